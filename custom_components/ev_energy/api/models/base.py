"""Shared machinery of the API models: tolerant, strictly typed parsing.

Parsing rules (see the package docstring for the full contract):
- unknown fields are ignored; every field except ``id`` may be missing or null;
- scalars must have the JSON type the spec gives (a string where a number is
  expected is "JSON of the wrong shape" and fails the whole parse), and so must
  nested objects and lists (see the field-metadata helpers at the end);
- timestamps become aware datetimes (naive ones are taken as UTC);
- an enum field ``x`` is paired with ``x_raw``, the string the API sent, because
  unknown enum values parse to the enum's ``UNKNOWN`` member;
- `EvEnergyModel.from_dict_salvaging` (used for the items of collections) gives up
  only a nested object that does not parse, not the whole item;
- `describe_parse_error` says what failed without quoting values (they may be secrets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
import types
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from mashumaro import DataClassDictMixin
from mashumaro.config import BaseConfig
from mashumaro.exceptions import InvalidFieldValue, MissingField

RAW_SUFFIX = "_raw"


def parse_datetime(value: object) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime (naive means UTC)."""
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def _parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date string, got {type(value).__name__}")
    return date.fromisoformat(value)


def _parse_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _parse_int(value: object) -> int:
    # bool is an int subclass in Python but never an integer in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _parse_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _parse_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _parse_decimal(value: object) -> Decimal:
    # The API sends decimals as strings ("0.1234"); accept plain numbers too.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"expected a decimal string, got {type(value).__name__}")
    parsed = Decimal(str(value))
    if not parsed.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return parsed


class ApiEnum(StrEnum):
    """A string enum that maps values it does not know to its ``UNKNOWN`` member.

    The API is beta and documents that enum values "may be added"; a new value
    must not break parsing. Models keep the original string in ``<field>_raw``.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self:
        return cls["UNKNOWN"]


class EvEnergyModel(DataClassDictMixin):
    """Base class of all API models (frozen dataclasses built with mashumaro)."""

    # Older spellings of a field, read when the current one is absent ({old: new}).
    _FIELD_ALIASES: ClassVar[Mapping[str, str]] = {}

    class Config(BaseConfig):
        """Mashumaro settings shared by every model."""

        # Models refer to each other in cycles (EVSE <-> status log); compile
        # the parsers on first use, when every class exists.
        lazy_compilation = True
        serialization_strategy = {  # noqa: RUF012 - mashumaro reads it as a class attribute
            datetime: {"deserialize": parse_datetime},
            date: {"deserialize": _parse_date},
            str: {"deserialize": _parse_str},
            int: {"deserialize": _parse_int},
            float: {"deserialize": _parse_float},
            bool: {"deserialize": _parse_bool},
            Decimal: {"deserialize": _parse_decimal},
        }

    @classmethod
    def __pre_deserialize__(cls, d: dict[Any, Any]) -> dict[Any, Any]:
        """Check the shape mashumaro does not check, and fill the ``*_raw`` fields."""
        if not isinstance(d, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(d).__name__}")
        shape = _shape_of(cls)
        for name in shape.list_fields:
            value = d.get(name)
            # Mashumaro would turn a string into a list of characters.
            if value is not None and not isinstance(value, list):
                raise TypeError(
                    f"{cls.__name__}.{name}: expected a list, got {type(value).__name__}"
                )
        if not shape.raw_fields and not cls._FIELD_ALIASES:
            return d
        d = dict(d)
        for old_name, new_name in cls._FIELD_ALIASES.items():
            if new_name not in d and old_name in d:
                d[new_name] = d[old_name]
        for raw_name in shape.raw_fields:
            value = d.get(raw_name.removesuffix(RAW_SUFFIX))
            d[raw_name] = value if isinstance(value, str) else None
        return d

    @classmethod
    def from_dict_salvaging(cls, d: dict[str, Any]) -> tuple[Self, dict[str, str]]:
        """Parse like ``from_dict``, except that a nested object that fails costs only itself.

        When the parse fails, each field holding nested JSON (an expanded reference
        such as ``latest_status_log``, a nested object or a list of them) is parsed
        on its own; the ones that fail are replaced by None and the item is parsed
        again. Nested objects are given up whole, one level deep: a broken field of
        a car's expanded status log drops that status log, not the car. Anything
        else wrong (the item's own fields, its ``id``) still raises.

        Returns the model and, for each field replaced by None, why it failed
        (`describe_parse_error`).
        """
        try:
            return cls.from_dict(d), {}
        except Exception:
            broken = _broken_nested_fields(cls, d)
            if not broken:
                raise
        return cls.from_dict({**d, **dict.fromkeys(broken)}), broken


class _Shape:
    """What `__pre_deserialize__` needs to know about a model class."""

    __slots__ = ("list_fields", "raw_fields")

    def __init__(self, list_fields: tuple[str, ...], raw_fields: tuple[str, ...]) -> None:
        self.list_fields = list_fields
        self.raw_fields = raw_fields


_SHAPES: dict[type, _Shape] = {}


def _shape_of(cls: type[EvEnergyModel]) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _compute_shape(cls)
    return shape


def _compute_shape(cls: type[EvEnergyModel]) -> _Shape:
    hints = get_type_hints(cls)
    model_fields = fields(cls)  # type: ignore[arg-type]
    names = {f.name for f in model_fields}
    # Fields with their own deserializer (see the helpers below) check themselves.
    list_fields = tuple(
        f.name for f in model_fields if "deserialize" not in f.metadata and _is_list(hints[f.name])
    )
    raw_fields = tuple(
        name
        for name in names
        if name.endswith(RAW_SUFFIX) and _is_enum(hints.get(name.removesuffix(RAW_SUFFIX)))
    )
    return _Shape(list_fields, raw_fields)


def _broken_nested_fields(cls: type[EvEnergyModel], d: dict[str, Any]) -> dict[str, str]:
    """Return the fields of ``d`` whose nested JSON does not parse, with the reason."""
    broken: dict[str, str] = {}
    for model_field in fields(cls):  # type: ignore[arg-type]
        deserialize = model_field.metadata.get("deserialize")
        value = d.get(model_field.name)
        if deserialize is None or not isinstance(value, dict | list):
            continue
        try:
            deserialize(value)
        except Exception as err:  # noqa: BLE001 - mashumaro raises many types, all "bad shape"
            broken[model_field.name] = describe_parse_error(err)
    return broken


def describe_parse_error(err: BaseException) -> str:
    """Say which field failed to parse and why, naming JSON types but never values.

    Mashumaro's messages quote the offending value (which may be an e-mail address
    or a serial); this walks its chain of field errors to the root cause instead.
    """
    path: list[str] = []
    holder: str | None = None
    cause: BaseException | None = err
    while isinstance(cause, InvalidFieldValue | MissingField):
        holder = holder or cause.holder_class.__name__
        path.append(cause.field_name)
        if isinstance(cause, MissingField):
            return f"{holder}.{'.'.join(path)}: missing"
        cause = cause.__cause__ or cause.__context__
    where = f"{holder}.{'.'.join(path)}: " if holder else ""
    if isinstance(cause, TypeError):  # ours name the JSON type expected and got, no value
        return f"{where}{cause}"
    if cause is None:
        return f"{where}invalid value"
    return f"{where}invalid value ({type(cause).__name__})"


def _union_members(hint: Any) -> tuple[Any, ...]:
    if get_origin(hint) in (Union, types.UnionType):
        return get_args(hint)
    return (hint,)


def _is_list(hint: Any) -> bool:
    """Whether the field must be a list when present (``list[X] | None``, not ``str | list[X]``)."""
    members = [member for member in _union_members(hint) if member is not type(None)]
    return bool(members) and all(get_origin(member) is list for member in members)


def _is_enum(hint: Any) -> bool:
    return any(
        isinstance(member, type) and issubclass(member, Enum) for member in _union_members(hint)
    )


def resource_id(value: object) -> str | None:
    """Return the ID of a reference that is either a URL or an expanded object.

    Expandable fields hold the resource's URL (``https://api.ev.energy/v2/evses/evse01...``)
    or, when expanded, the resource itself. This returns the ID in both cases: the
    object's ``id``, or the last path segment of the URL. ``None`` gives ``None``.
    """
    if value is None:
        return None
    if isinstance(value, str):
        path = value.split("?", 1)[0].split("#", 1)[0]
        if "://" in path:  # drop scheme and host, keep the path
            path = path.split("://", 1)[1].partition("/")[2]
        segments = [segment for segment in path.split("/") if segment]
        return segments[-1] if segments else None
    identifier = getattr(value, "id", None)
    if isinstance(identifier, str):
        return identifier
    return None


# Field metadata, used as ``field(default=None, metadata=expandable(lambda: Evse))``.
# Mashumaro resolves ``X | None`` and ``str | X | None`` by trying each
# member and silently falling back to None when an object does not parse; these
# make a malformed nested object fail the parse like any other wrong shape.
# ``model`` is a zero-argument callable so that classes defined later (cycles) work.

ModelFactory = Callable[[], type[EvEnergyModel]]
FieldMetadata = dict[str, Callable[[object], object]]


def _nested_value(model: ModelFactory, value: object) -> EvEnergyModel:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return model().from_dict(value)


def nested(model: ModelFactory) -> FieldMetadata:
    """A field holding one nested object (or null)."""

    def deserialize(value: object) -> EvEnergyModel | None:
        return None if value is None else _nested_value(model, value)

    return {"deserialize": deserialize}


def nested_list(model: ModelFactory) -> FieldMetadata:
    """A field holding a list of nested objects (or null)."""

    def deserialize(value: object) -> list[EvEnergyModel] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [_nested_value(model, item) for item in value]

    return {"deserialize": deserialize}


def nested_one_or_list(model: ModelFactory) -> FieldMetadata:
    """A field the spec gives as one object but describes as several: one object, a list of them, or null."""

    def deserialize(value: object) -> list[EvEnergyModel] | None:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return [_nested_value(model, item) for item in items]

    return {"deserialize": deserialize}


def _reference_value(model: ModelFactory, value: object) -> str | EvEnergyModel:
    return value if isinstance(value, str) else _nested_value(model, value)


def expandable(model: ModelFactory) -> FieldMetadata:
    """A reference field: the resource's URL, or the resource when expanded (or null)."""

    def deserialize(value: object) -> str | EvEnergyModel | None:
        return None if value is None else _reference_value(model, value)

    return {"deserialize": deserialize}


def expandable_list(model: ModelFactory) -> FieldMetadata:
    """A list of references, each a URL or an expanded resource (or null)."""

    def deserialize(value: object) -> list[str | EvEnergyModel] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [_reference_value(model, item) for item in value]

    return {"deserialize": deserialize}


def url_or_list(model: ModelFactory) -> FieldMetadata:
    """A field that is a URL, or when expanded the list it points at (or null)."""

    def deserialize(value: object) -> str | list[EvEnergyModel] | None:
        if value is None or isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise TypeError(f"expected a URL or a list, got {type(value).__name__}")
        return [_nested_value(model, item) for item in value]

    return {"deserialize": deserialize}


def url_or_raw(*, is_list: bool = False) -> FieldMetadata:
    """A debug-only expansion kept as raw JSON: a URL or an object (or, if ``is_list``, a list of them)."""

    def check(value: object) -> object:
        if value is None or isinstance(value, str | dict):
            return value
        raise TypeError(f"expected a URL or an object, got {type(value).__name__}")

    def deserialize(value: object) -> object:
        if not is_list or value is None:
            return check(value)
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [item for item in value if check(item) is not None]

    return {"deserialize": deserialize}
