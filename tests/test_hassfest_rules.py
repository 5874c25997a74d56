"""The rules Home Assistant's validator, hassfest, applies to a custom integration, checked offline.

HACS and the hassfest GitHub action run home-assistant/core's ``script/hassfest`` on the integration. That
package is neither in the ``homeassistant`` distribution nor on PyPI, and this repository does not copy it in,
so the rules it applies to our files are re-stated here in our own code, on both Home Assistant versions the
suite runs on: the shape of strings.json and every translation, icons.json, services.yaml, the manifest, the
components the code uses, CONFIG_SCHEMA beside async_setup. The rules are as hassfest words them in its
messages, quoted where a check fails. Each check is also fed a broken copy (the last test), so a check that
stopped biting shows.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import copy
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import Platform
from homeassistant.helpers import selector
from homeassistant.loader import Manifest
from homeassistant.util import slugify
import pytest
import yaml

COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / "ev_energy"
TRANSLATION_FILES = [
    "strings.json",
    *sorted(f"translations/{p.name}" for p in (COMPONENT / "translations").glob("*.json")),
]

type Problems = list[str]
type Node = Any
# A rule checks one node at a path and appends what is wrong.
type Rule = Callable[[Node, str, Problems], None]

# hassfest's translation key: lower-case letters, digits, '-' and '_', no separator first, last or doubled.
TRANSLATION_KEY = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")
HTML_TAG = re.compile(r"<[a-z].*?>", re.IGNORECASE)
URL = re.compile(r"https?://", re.IGNORECASE)
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}


def _load(name: str) -> Any:
    content = (COMPONENT / name).read_text(encoding="utf-8")
    return yaml.safe_load(content) if name.endswith(".yaml") else json.loads(content)


# --- the rule builders: text, fixed keys, free keys ---------------------------------------------------------


def text(value: Node, path: str, problems: Problems) -> None:
    """A translated string as hassfest accepts it."""
    if not isinstance(value, str):
        problems.append(f"{path}: not a string")
        return
    checks = {
        "the string should not contain HTML": HTML_TAG.search(value),
        "the string should not contain leading or trailing spaces": value != value.strip(),
        "the string should not contain URLs, please use description placeholders instead": URL.search(
            value
        ),
        "the string should not contain placeholders inside single quotes": re.search(
            r"'\{\w+\}'", value
        ),
        "placeholders must be valid identifiers": any(
            not IDENTIFIER.fullmatch(name) for name in PLACEHOLDER.findall(value)
        ),
    }
    problems.extend(f"{path}: {message}" for message, failed in checks.items() if failed)


def icon(value: Node, path: str, problems: Problems) -> None:
    """An icon: hassfest takes only Material Design Icons."""
    if not isinstance(value, str) or not value.startswith("mdi:") or HTML_TAG.search(value):
        problems.append(f"{path}: the icon needs to be a valid icon from Material Design Icons")


def keys(required: dict[str, Rule] | None = None, optional: dict[str, Rule] | None = None) -> Rule:
    """A dict with these keys and no others."""
    required, optional = required or {}, optional or {}

    def rule(value: Node, path: str, problems: Problems) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path}: not a mapping")
            return
        problems.extend(
            f"{path}: extra key {key!r} not allowed"
            for key in value.keys() - required.keys() - optional.keys()
        )
        problems.extend(
            f"{path}: required key {key!r} missing" for key in required.keys() - value.keys()
        )
        for key, child in {**optional, **required}.items():
            if key in value:
                child(value[key], f"{path}.{key}", problems)

    return rule


def each(key_check: Callable[[str], bool], child: Rule, what: str = "key") -> Rule:
    """A dict whose keys pass key_check and whose values all follow child."""

    def rule(value: Node, path: str, problems: Problems) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path}: not a mapping")
            return
        for key, item in value.items():
            if not key_check(key):
                problems.append(f"{path}: invalid {what} {key!r}")
            child(item, f"{path}.{key}", problems)

    return rule


def is_translation_key(key: str) -> bool:
    return bool(TRANSLATION_KEY.fullmatch(key))


def is_slug(key: str) -> bool:
    return key == slugify(key)


def any_key(_key: str) -> bool:
    return True


def both(*rules: Rule) -> Rule:
    def rule(value: Node, path: str, problems: Problems) -> None:
        for one in rules:
            one(value, path, problems)

    return rule


# --- translations -----------------------------------------------------------------------------------------

texts = each(any_key, text)


def data_described(value: Node, path: str, problems: Problems) -> None:
    """A step's data_description describes only fields in its data."""
    for step_id, step in (value.get("step") or {}).items() if isinstance(value, dict) else ():
        for field in set(step.get("data_description", {})) - set(step.get("data", {})):
            problems.append(f"{path}.step.{step_id}: data_description key {field} is not in data")


def flow(*, title_removed: bool = False) -> Rule:
    step = keys(
        optional={
            "title": text,
            "description": text,
            "data": texts,
            "data_description": texts,
            "menu_options": texts,
            "submit": text,
            "sections": each(
                any_key, keys(optional={"name": text, "description": text, "data": texts})
            ),
        }
    )
    optional: dict[str, Rule] = {
        "flow_title": text,
        "error": texts,
        "abort": texts,
        "progress": texts,
        "create_entry": texts,
    }
    if not title_removed:
        optional["title"] = text
    return both(keys(required={"step": each(any_key, step)}, optional=optional), data_described)


def one_of_description_or_fix_flow(value: Node, path: str, problems: Problems) -> None:
    """An issue says what is wrong in a description, or repairs it in a fix flow: one, not both."""
    if isinstance(value, dict) and ("description" in value) == ("fix_flow" in value):
        problems.append(
            f"{path}: needs exactly one of description and fix_flow"
            " (hassfest: two or more values in the same group of exclusion 'fixable')"
        )


states = each(is_translation_key, text, "translation key")
TRANSLATIONS = keys(
    optional={
        "title": text,
        "config": flow(title_removed=True),
        "options": flow(),
        "selector": each(
            lambda key: key == "_" or is_slug(key),
            keys(optional={"options": states}),
        ),
        "application_credentials": keys(optional={"description": text}),
        "issues": each(
            any_key,
            both(
                keys(required={"title": text}, optional={"description": text, "fix_flow": flow()}),
                one_of_description_or_fix_flow,
            ),
        ),
        "device": each(is_translation_key, keys(optional={"name": text}), "translation key"),
        "entity": each(
            is_slug,
            each(
                is_translation_key,
                keys(
                    optional={
                        "name": text,
                        "state": states,
                        "unit_of_measurement": text,
                        "state_attributes": each(
                            is_translation_key,
                            keys(optional={"name": text, "state": states}),
                            "translation key",
                        ),
                    }
                ),
                "translation key",
            ),
            "platform",
        ),
        "exceptions": each(is_slug, keys(optional={"message": text})),
        "services": each(
            is_translation_key,
            keys(
                required={"name": text, "description": text},
                optional={
                    "fields": each(
                        is_translation_key,
                        keys(
                            required={"name": text, "description": text}, optional={"example": text}
                        ),
                    ),
                    "sections": each(
                        is_translation_key,
                        keys(required={"name": text}, optional={"description": text}),
                    ),
                },
            ),
        ),
        "common": each(is_slug, text),
    }
)


def translation_problems(strings: Node) -> Problems:
    problems: Problems = []
    TRANSLATIONS(strings, "", problems)
    return [problem.removeprefix(".") for problem in problems]


# --- icons.json -------------------------------------------------------------------------------------------


def not_same_as_default(value: Node, path: str, problems: Problems) -> None:
    """A state icon that is the default icon says nothing: hassfest asks for it to go."""
    if isinstance(value, dict) and (default := value.get("default")):
        for state, state_icon in (value.get("state") or {}).items():
            if state_icon == default:
                problems.append(
                    f"{path}.state.{state}: the icon is the same as the default icon and thus can be removed"
                )


icon_states = each(is_translation_key, icon, "translation key")
ENTITY_ICONS = both(
    keys(
        optional={
            "default": icon,
            "state": icon_states,
            "state_attributes": each(
                is_translation_key,
                both(keys(optional={"default": icon, "state": icon_states}), not_same_as_default),
                "translation key",
            ),
        }
    ),
    not_same_as_default,
)


ICONS = keys(
    optional={
        # A hub's icons.json has entity icons by platform; entity_component is for entity integrations.
        "entity": each(
            is_slug, each(is_translation_key, ENTITY_ICONS, "translation key"), "platform"
        ),
        "services": each(
            is_translation_key,
            lambda value, path, problems: (
                icon(value, path, problems)
                if isinstance(value, str)
                else keys(required={"service": icon}, optional={"sections": each(any_key, icon)})(
                    value, path, problems
                )
            ),
        ),
    }
)


def icon_problems(icons: Node) -> Problems:
    problems: Problems = []
    ICONS(icons, "icons.json", problems)
    return problems


# --- services.yaml ----------------------------------------------------------------------------------------


def a_selector(value: Node, path: str, problems: Problems) -> None:
    try:
        selector.validate_selector(value)
    except Exception as err:  # noqa: BLE001 - voluptuous's Invalid on 2025.4, probatio's on 2026
        problems.append(f"{path}: invalid selector: {err}")


def a_bool(value: Node, path: str, problems: Problems) -> None:
    if not isinstance(value, bool):
        problems.append(f"{path}: not a boolean")


FIELD = keys(
    optional={
        "selector": a_selector,
        "required": a_bool,
        "advanced": a_bool,
        "example": lambda *_: None,
        "default": lambda *_: None,
        # A custom integration may still describe fields here; ours do it in the translations.
        "name": text,
        "description": text,
    }
)
SERVICES = each(
    is_slug,
    keys(
        optional={
            "fields": each(any_key, FIELD),
            "target": lambda *_: None,
            "name": text,
            "description": text,
        }
    ),
    "service",
)


def service_problems(services: Node, strings: Node) -> Problems:
    problems: Problems = []
    SERVICES(services, "services.yaml", problems)
    described = strings.get("services", {})
    for name, service in services.items():
        # Home Assistant shows a custom integration's action in its en.json words: every action and field needs them.
        if name not in described:
            problems.append(f"Service {name} has no name and is not in the translations file")
            continue
        fields = set((service or {}).get("fields", {}))
        problems.extend(
            f"Service {name} has a field {field} with no name and is not in the translations file"
            for field in sorted(fields - set(described[name].get("fields", {})))
        )
        problems.extend(
            f"Service {name} has a field {field} in the translations file that is not in the schema"
            for field in sorted(set(described[name].get("fields", {})) - fields)
        )
    problems.extend(
        f"translations describe a service {name} that services.yaml lacks"
        for name in sorted(set(described) - set(services))
    )
    return problems


# --- manifest.json ----------------------------------------------------------------------------------------


def manifest_problems(manifest: Node) -> Problems:
    problems: Problems = []
    order = sorted(manifest, key=lambda key: {"domain": "0", "name": "1"}.get(key, f"2{key}"))
    if list(manifest) != order:
        problems.append(
            "Manifest keys are not sorted correctly: domain, name, then alphabetical order"
        )
    known = set(Manifest.__annotations__) - {"is_built_in", "overwrites_built_in"}
    problems.extend(f"Invalid manifest: extra key {key!r}" for key in sorted(set(manifest) - known))
    for key in ("domain", "name", "documentation", "codeowners", "version"):
        if key not in manifest:
            problems.append(f"Invalid manifest: required key {key!r} missing")
    if manifest.get("domain") != COMPONENT.name:
        problems.append("Domain does not match dir name")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append("Domain is missing an IoT Class")
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        problems.append(f"Invalid integration_type {manifest.get('integration_type')!r}")
    if not str(manifest.get("documentation", "")).startswith("https://"):
        problems.append("Documentation url is not prefixed with https")
    if not AwesomeVersion(str(manifest.get("version", ""))).valid:
        problems.append(f"'{manifest.get('version')}' is not a valid version.")
    if both_ways := set(manifest.get("dependencies", [])) & set(
        manifest.get("after_dependencies", [])
    ):
        problems.append(f"{sorted(both_ways)} both in dependencies and after_dependencies")
    return problems


# --- the code: components used, CONFIG_SCHEMA -------------------------------------------------------------


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(COMPONENT.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def used_components() -> dict[str, set[str]]:
    """The integrations each module imports from homeassistant.components, by name."""
    used: dict[str, set[str]] = {}
    for path, module in _modules():
        for node in ast.walk(module):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "homeassistant.components":
                    names = [alias.name for alias in node.names]
                elif node.module.startswith("homeassistant.components."):
                    names = [node.module.split(".")[2]]
            elif isinstance(node, ast.Import):
                names = [
                    alias.name.split(".")[2]
                    for alias in node.names
                    if alias.name.startswith("homeassistant.components.")
                ]
            for name in names:
                used.setdefault(name, set()).add(path.relative_to(COMPONENT).as_posix())
    return used


def dependency_problems(manifest: Node, used: dict[str, set[str]]) -> Problems:
    allowed = (
        {str(platform) for platform in Platform}
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
    )
    return [
        f"Using component {name} but it's not in 'dependencies' or 'after_dependencies' ({sorted(where)})"
        for name, where in sorted(used.items())
        # A platform of ours (diagnostics.py, repairs.py) imports its own component's helpers.
        if name not in allowed and not (COMPONENT / f"{name}.py").is_file()
    ]


# --- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_translations_follow_hassfests_schema(name: str) -> None:
    assert translation_problems(_load(name)) == []


def test_icons_follow_hassfests_schema() -> None:
    assert icon_problems(_load("icons.json")) == []


def test_services_yaml_follows_hassfests_schema_and_every_action_is_described() -> None:
    assert service_problems(_load("services.yaml"), _load("translations/en.json")) == []


def test_services_yaml_lists_the_actions_the_code_registers() -> None:
    source = "\n".join(
        (COMPONENT / name).read_text(encoding="utf-8") for name in ("const.py", "services.py")
    )
    registered = {
        value
        for name, value in re.findall(r'^(SERVICE_\w+)(?:: Final)? = "(\w+)"', source, re.MULTILINE)
        if re.search(rf"async_register\(\s*DOMAIN,\s*{name}\b", source)
    }
    assert registered, "found no hass.services.async_register(DOMAIN, SERVICE_...) in services.py"
    assert registered == set(_load("services.yaml"))


def test_manifest_follows_hassfests_schema() -> None:
    assert manifest_problems(_load("manifest.json")) == []


def test_every_component_the_code_uses_is_a_dependency() -> None:
    assert dependency_problems(_load("manifest.json"), used_components()) == []


def test_config_flow_integration_has_its_files() -> None:
    manifest = _load("manifest.json")
    assert manifest["config_flow"] is True
    assert (COMPONENT / "config_flow.py").is_file()
    if (COMPONENT / "application_credentials.py").is_file():
        assert "application_credentials" in manifest["dependencies"]


def test_async_setup_has_a_config_schema() -> None:
    """hassfest: integrations which implement 'async_setup' or 'setup' must define CONFIG_SCHEMA."""
    init = ast.parse((COMPONENT / "__init__.py").read_text(encoding="utf-8"))
    functions = {
        node.name for node in init.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assigned = {
        target.id
        for node in init.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    if functions & {"async_setup", "setup"}:
        assert "CONFIG_SCHEMA" in assigned


# A broken copy per rule: each must be reported, or the check above has stopped biting.
def _broken_issue(strings: dict[str, Any]) -> None:
    strings["issues"]["vehicle_disconnected"]["description"] = "Reconnect the car."


def _url_in_text(strings: dict[str, Any]) -> None:
    strings["config"]["abort"]["cannot_connect"] = "See https://ev.energy for help."


def _upper_case_state(strings: dict[str, Any]) -> None:
    strings["entity"]["sensor"]["evse_mode"]["state"]["Idle"] = "Idle"


def _service_without_name(strings: dict[str, Any]) -> None:
    del strings["services"]["get_charging_sessions"]["name"]


def _stray_data_description(strings: dict[str, Any]) -> None:
    strings["options"]["step"]["init"]["data_description"]["missing"] = "Not a field."


@pytest.mark.parametrize(
    ("break_it", "reported"),
    [
        (
            _broken_issue,
            "issues.vehicle_disconnected: needs exactly one of description and fix_flow",
        ),
        (_url_in_text, "config.abort.cannot_connect: the string should not contain URLs"),
        (_upper_case_state, "invalid translation key 'Idle'"),
        (_service_without_name, "services.get_charging_sessions: required key 'name' missing"),
        (_stray_data_description, "data_description key missing is not in data"),
    ],
)
def test_a_broken_translation_is_reported(
    break_it: Callable[[dict[str, Any]], None], reported: str
) -> None:
    strings = copy.deepcopy(_load("strings.json"))
    break_it(strings)
    problems = translation_problems(strings)
    assert any(reported in problem for problem in problems), problems


def test_broken_icons_services_manifest_and_dependencies_are_reported() -> None:
    icons = copy.deepcopy(_load("icons.json"))
    icons["entity"]["sensor"]["evse_mode"]["state"]["idle"] = icons["entity"]["sensor"][
        "evse_mode"
    ]["default"]
    icons["services"]["get_charging_sessions"] = {"service": "pap:history"}
    assert sorted(icon_problems(icons)) == [
        (
            "icons.json.entity.sensor.evse_mode.state.idle: the icon is the same as the default icon"
            " and thus can be removed"
        ),
        (
            "icons.json.services.get_charging_sessions.service: the icon needs to be a valid icon"
            " from Material Design Icons"
        ),
    ]

    services = copy.deepcopy(_load("services.yaml"))
    services["get_charging_schedule"]["fields"]["device_id"]["selector"] = {"no_such_selector": {}}
    services["get_charging_schedule"]["fields"]["undescribed"] = {"required": False}
    problems = service_problems(services, _load("translations/en.json"))
    assert any("invalid selector" in problem for problem in problems), problems
    assert any("field undescribed with no name" in problem for problem in problems), problems

    manifest = _load("manifest.json")
    reordered = {"name": manifest["name"], **manifest, "version": "not a version"}
    problems = manifest_problems(reordered)
    assert (
        "Manifest keys are not sorted correctly: domain, name, then alphabetical order" in problems
    )
    assert "'not a version' is not a valid version." in problems

    used = {**used_components(), "http": {"__init__.py"}}
    assert dependency_problems(manifest, used) == [
        "Using component http but it's not in 'dependencies' or 'after_dependencies' (['__init__.py'])"
    ]
