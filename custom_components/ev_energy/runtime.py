"""What a loaded entry holds, and the entry's type: a module of their own, below every part that fills them.

Every module names the entry's type from here, so none imports the polling coordinator only for it; the parts
themselves are named for type checking only, which keeps this module free of import circles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import EvEnergyClient
    from .carbon import CarbonCoordinator
    from .coordinator import EvEnergyCoordinator
    from .gateway import RequestGateway
    from .home_energy import HomeEnergyReader
    from .hourly import HourlyStatistics
    from .ledger import SampleLedger
    from .live_power import LivePowerCoordinator
    from .location import LocationCoordinator
    from .sessions import SessionsReader
    from .solar_forecast import SolarForecastCoordinator
    from .tariff import TariffCoordinator

type EvEnergyConfigEntry = ConfigEntry[EvEnergyRuntimeData]


@dataclass
class EvEnergyRuntimeData:
    """What a loaded entry holds."""

    gateway: RequestGateway
    coordinator: EvEnergyCoordinator
    ledger: SampleLedger
    sessions: SessionsReader
    statistics: HourlyStatistics
    home_energy: HomeEnergyReader
    live_power: LivePowerCoordinator
    carbon: CarbonCoordinator
    solar_forecast: SolarForecastCoordinator
    location: LocationCoordinator
    tariff: TariffCoordinator
    # The readers beside polling that ev.energy refused (403): reader name -> the scope it needs (the repair's).
    refused_scopes: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> EvEnergyClient:
        """Return the API client (behind the gateway: send with `gateway.request`)."""
        return self.gateway.client

    @property
    def user_id(self) -> str:
        """Return the ev.energy user of the entry (the coordinator's)."""
        return self.coordinator.user_id
