"""Users and their home location."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import EvEnergyModel, expandable, nested
from .sites import EvseSite
from .tariffs import Tariff


@dataclass(frozen=True, slots=True, kw_only=True)
class Coordinates(EvEnergyModel):
    """A WGS 84 position in decimal degrees."""

    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Location(EvEnergyModel):
    """A user's home location; ``country_code`` is ISO 3166-1 alpha-2."""

    address_1: str | None = None
    address_2: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    coordinates: Coordinates | None = field(default=None, metadata=nested(lambda: Coordinates))
    tariff: str | Tariff | None = field(default=None, metadata=expandable(lambda: Tariff))
    city: str | None = None
    state: str | None = None
    evse_site: str | EvseSite | None = field(default=None, metadata=expandable(lambda: EvseSite))


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationDetail(Location):
    """A location as ``GET /users/{id}`` returns it, with the current grid carbon intensity."""

    current_carbon_intensity_grams_per_kilowatt_hour: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User(EvEnergyModel):
    """An ev.energy user; ``vehicles`` and ``evses`` are resource URLs."""

    id: str
    url: str | None = None
    email: str | None = None
    full_name: str | None = None
    joined_at: datetime | None = None
    terms_consent_datetime: datetime | None = None
    default_location: Location | None = field(default=None, metadata=nested(lambda: Location))
    vehicles: list[str] | None = None
    evses: list[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDetail(User):
    """A user as ``GET /users/{id}`` returns it (location with carbon intensity)."""

    default_location: LocationDetail | None = field(
        default=None, metadata=nested(lambda: LocationDetail)
    )
