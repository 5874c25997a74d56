"""Every language says everything strings.json says, with the same placeholders, in final text.

Custom integrations get no translation build step: Home Assistant reads ``translations/<language>.json``
as they are, so a ``[%key:...%]`` reference would show literally. When strings.json gains keys, the
failure lists, per language, the keys to translate.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

import pytest

COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / "ev_energy"
LANGUAGES = ("de", "fr", "es", "nl")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Entity and state names a language may share with English ("Online", "Status", "Mode", "Smart", ...).
MAX_SHARE_LEFT_IN_ENGLISH = 0.1


def _flat(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _strings(name: str) -> dict[str, str]:
    return dict(_flat(json.loads((COMPONENT / name).read_text(encoding="utf-8"))))


SOURCE = _strings("strings.json")


def test_translation_files_are_english_and_the_four_languages() -> None:
    files = {path.stem for path in (COMPONENT / "translations").glob("*.json")}
    assert files == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_has_exactly_the_keys_of_strings_json(language: str) -> None:
    translated = _strings(f"translations/{language}.json")
    missing = sorted(SOURCE.keys() - translated.keys())
    extra = sorted(translated.keys() - SOURCE.keys())
    assert not missing, f"translations/{language}.json lacks {len(missing)} keys: {missing}"
    assert not extra, f"translations/{language}.json has keys strings.json lacks: {extra}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_keeps_the_placeholders_of_each_string(language: str) -> None:
    translated = _strings(f"translations/{language}.json")
    wrong = {
        key: (sorted(PLACEHOLDER.findall(text)), sorted(PLACEHOLDER.findall(translated[key])))
        for key, text in SOURCE.items()
        if key in translated
        and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(translated[key]))
    }
    assert not wrong, (
        f"translations/{language}.json, key: (strings.json's, its placeholders): {wrong}"
    )


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_language_is_final_text(language: str) -> None:
    translated = _strings(f"translations/{language}.json")
    references = sorted(key for key, text in translated.items() if "[%key:" in text)
    empty = sorted(key for key, text in translated.items() if not text.strip())
    assert not references, f"translations/{language}.json has unresolved references: {references}"
    assert not empty, f"translations/{language}.json has empty strings: {empty}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_is_translated_not_copied(language: str) -> None:
    translated = _strings(f"translations/{language}.json")
    english = sorted(key for key, text in SOURCE.items() if translated.get(key) == text)
    assert len(english) <= MAX_SHARE_LEFT_IN_ENGLISH * len(SOURCE), (
        f"translations/{language}.json leaves {len(english)} strings in English: {english}"
    )
