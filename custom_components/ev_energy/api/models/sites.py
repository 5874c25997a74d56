"""EVSE sites (chargers managed through a charge point management system)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import EvEnergyModel
from .enums import CpmsConnection


@dataclass(frozen=True, slots=True, kw_only=True)
class EvseSite(EvEnergyModel):
    """A site grouping chargers of a CPMS (``/evse_sites``)."""

    id: str
    url: str | None = None
    evses: list[str] | None = None
    cpms_connection: CpmsConnection | None = None
    cpms_connection_raw: str | None = None
    cpms_connection_display_name: str | None = None
    user_connected: bool | None = None
