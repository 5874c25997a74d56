"""The asyncio client of the ev.energy v2 REST API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import platform
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from .auth import AbstractAuth
from .const import (
    API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_PAGES,
    DEFAULT_REQUEST_TIMEOUT,
    HEADER_API_VERSION,
    PAGE_SIZE,
    USER_AGENT_PRODUCT,
    __version__,
)
from .exceptions import (
    EvEnergyConnectionError,
    EvEnergyIncompleteListError,
    EvEnergyInvalidResponseError,
    EvEnergyTimeoutError,
    error_for_status,
)
from .item_list import DroppedItem, ItemList, joined
from .models import (
    BoundaryMeter,
    CarbonFeed,
    CarbonIntensity,
    ChargingSession,
    ChargingSubSession,
    EnergyStatsResolution,
    EnergyUsage,
    EvEnergyModel,
    Evse,
    EvseConnectivity,
    EvseMake,
    EvseModel,
    EvseSite,
    EvseStatusLog,
    HemEnergyStats,
    HemLivePower,
    HemSystem,
    HomeBattery,
    HomeBatteryStatusLog,
    Inverter,
    Notification,
    Schedule,
    SolarArray,
    SolarForecast,
    SolarForecastLog,
    StateOfCharge,
    SubSessionMode,
    Tariff,
    TariffPrice,
    User,
    UserDetail,
    Vehicle,
    VehicleLocationLog,
    VehicleMake,
    VehicleModel,
    VehicleReconnection,
    VehicleStatusLog,
    VehicleTrim,
)
from .models.base import describe_parse_error
from .pagination import STOP_EXPLANATIONS, IncompleteListReason, PageWalker, next_link
from .rate_limit import RateLimitState, rate_limit_from_headers, retry_after_seconds

_LOGGER = logging.getLogger(__name__)

QueryValue = str | int | bool | datetime | None
Query = Sequence[tuple[str, str]]

_JSON_MIME_TYPES = ("application/json", "application/problem+json")


@dataclass(frozen=True, slots=True)
class _Response:
    """What the client keeps of one HTTP response."""

    status: int
    data: Any
    next_link: URL | None
    # The Link header named a next page that could not be read.
    next_link_malformed: bool


def format_datetime(value: datetime) -> str:
    """Format a datetime as the API expects: UTC, ISO 8601 with ``Z`` (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _query(expand: Iterable[str] = (), **filters: QueryValue) -> list[tuple[str, str]]:
    """Build query pairs: ``expand`` repeated per field, None filters dropped."""
    if isinstance(expand, str):  # a lone "model" must not become m, o, d, e, l
        expand = (expand,)
    pairs = [("expand", field) for field in expand]
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif isinstance(value, datetime):
            pairs.append((name, format_datetime(value)))
        else:
            pairs.append((name, str(value)))
    return pairs


class EvEnergyClient:
    """Asynchronous client of the ev.energy v2 API.

    The caller owns the ``aiohttp.ClientSession``. Every method raises only
    `EvEnergyError` subclasses, except that exceptions from ``auth`` propagate
    unchanged. List methods follow ``Link: rel="next"`` for up to ``max_pages``
    pages of 100 items and return the items in the API's order (logs and
    sessions: newest first) as an `ItemList`: each item is parsed on its own, and
    those that do not parse are left out and reported in ``dropped``. A list that
    could not be read to its end raises `EvEnergyIncompleteListError`.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        auth: AbstractAuth,
        *,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        user_agent_suffix: str | None = None,
        on_response: Callable[[RateLimitState], None] | None = None,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        """Create a client.

        Args:
            session: The aiohttp session to send requests with (not closed by us).
            auth: Supplies the bearer token for each request.
            base_url: API root including the version path, e.g. ``https://api.ev.energy/v2``.
            request_timeout: Total seconds allowed per HTTP request.
            user_agent_suffix: Appended to the User-Agent (e.g. ``HomeAssistant/2025.4``).
            on_response: Called with the new `RateLimitState` after each response
                that carried rate-limit headers.
            on_request: Called as each HTTP request is sent (retries and every page
                included), so a caller can count what it spends.
        """
        self._session = session
        self._auth = auth
        self._base_url = URL(base_url.rstrip("/"))
        self._origin = self._base_url.origin()
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._user_agent = " ".join(
            filter(
                None,
                (
                    f"{USER_AGENT_PRODUCT}/{__version__}",
                    f"aiohttp/{aiohttp.__version__}",
                    f"Python/{platform.python_version()}",
                    user_agent_suffix,
                ),
            )
        )
        self._on_response = on_response
        self._on_request = on_request
        self._rate_limit: RateLimitState | None = None
        self._request_count = 0

    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return str(self._base_url)

    @property
    def user_agent(self) -> str:
        """The User-Agent header sent with every request."""
        return self._user_agent

    @property
    def rate_limit(self) -> RateLimitState | None:
        """Rate-limit state from the latest response that reported one (errors included)."""
        return self._rate_limit

    @property
    def request_count(self) -> int:
        """Number of HTTP requests this client has sent."""
        return self._request_count

    # ------------------------------------------------------------------ transport

    def _url(self, *segments: str) -> URL:
        """The URL of a resource below the base URL, each segment percent-encoded.

        IDs come from responses and users; encoding ``/``, ``?``, ``#`` and dot
        segments keeps them from changing which path we request.
        """
        if not segments:
            return self._base_url.joinpath("", encoded=True)  # GET / is ".../v2/"
        return self._base_url.joinpath(*(_path_segment(s) for s in segments), encoded=True)

    async def _send(
        self, method: str, url: URL, *, query: Query | None = None, body: object = None
    ) -> _Response:
        """Send one request and return its decoded JSON body and next link."""
        # Outside the try: token-refresh failures are the auth object's to report.
        token = await self._auth.async_get_access_token()
        headers = {
            "Authorization": f"Bearer {token}",
            HEADER_API_VERSION: API_VERSION,
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        data: bytes | None = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        self._request_count += 1
        if self._on_request is not None:
            self._on_request()
        _LOGGER.debug("%s %s %s", method, url, query or "")
        try:
            async with self._session.request(
                method, url, params=query, data=data, headers=headers, timeout=self._timeout
            ) as response:
                payload = await response.read()
                self._observe_rate_limit(response.headers)
                next_link, next_link_malformed = _next_link(response)
                status = response.status
                content_type = response.content_type
                headers_in = response.headers
        except TimeoutError as err:
            raise EvEnergyTimeoutError(f"{method} {url} timed out") from err
        except (aiohttp.ClientError, OSError) as err:
            raise EvEnergyConnectionError(f"{method} {url} failed: {err!r}") from err
        if status >= 400:
            raise error_for_status(
                status, _problem(payload), retry_after_seconds(headers_in, datetime.now(UTC))
            )
        data = _decode(payload, content_type, status)
        return _Response(status, data, next_link, next_link_malformed)

    def _observe_rate_limit(self, headers: Mapping[str, str]) -> None:
        state = rate_limit_from_headers(headers, datetime.now(UTC))
        if state is None:
            return
        self._rate_limit = state
        if self._on_response is not None:
            try:
                self._on_response(state)
            except Exception:  # an observer's bug must not fail the API call
                _LOGGER.exception("on_response callback failed")

    async def _get(self, *segments: str, query: Query | None = None) -> Any:
        return (await self._send("GET", self._url(*segments), query=query)).data

    async def _get_list[ModelT: EvEnergyModel](
        self,
        model: type[ModelT],
        *segments: str,
        query: Query = (),
        max_pages: int,
        member: str | None = None,
    ) -> ItemList[ModelT]:
        """Read every page of a collection, following next links within `PageWalker`'s limits.

        ``member`` names the key holding the list when each page is an object.
        Raises `EvEnergyIncompleteListError` when the walk stopped before the end.
        """
        url = self._url(*segments)
        first_query = [*query, ("page_size", str(PAGE_SIZE))]
        walker = PageWalker(url.extend_query(first_query), self._origin, max_pages)
        pages: list[ItemList[ModelT]] = []
        page_url: URL | None = url
        page_query: Query | None = first_query
        while page_url is not None:
            response = await self._send("GET", page_url, query=page_query)
            page = response.data if member is None else _member(response.data, member)
            pages.append(_parse_items(model, page))
            page_url = walker.next_url(response.next_link, malformed=response.next_link_malformed)
            page_query = None  # next links carry their own query
        items = joined(pages)
        if walker.stop_reason is not None:
            raise _incomplete(url, walker.pages_fetched, walker.stop_reason, items)
        return items

    async def _get_one[ModelT: EvEnergyModel](
        self, model: type[ModelT], *segments: str, query: Query | None = None
    ) -> ModelT:
        return _parse(model, await self._get(*segments, query=query))

    async def _write[ModelT: EvEnergyModel](
        self, method: str, model: type[ModelT], *segments: str, body: object = None
    ) -> ModelT:
        response = await self._send(method, self._url(*segments), body=body)
        return _parse(model, response.data)

    # ------------------------------------------------------------------ root, users

    async def get_root(self) -> dict[str, str]:
        """Return the API's collection URLs by name (``GET /``)."""
        data = await self._get()
        if not isinstance(data, dict):
            raise EvEnergyInvalidResponseError("GET / did not return an object")
        return {str(key): value for key, value in data.items() if isinstance(value, str)}

    async def list_users(
        self,
        *,
        expand: Iterable[str] = (),
        email: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[User]:
        """List users; with an authorization-code token, just the token's user."""
        return await self._get_list(
            User, "users", query=_query(expand, email=email), max_pages=max_pages
        )

    async def get_user(self, user_id: str, *, expand: Iterable[str] = ()) -> UserDetail:
        """Get a user, with the location's current carbon intensity."""
        return await self._get_one(UserDetail, "users", user_id, query=_query(expand))

    async def update_user_tariff(self, user_id: str, tariff_url: str) -> User:
        """Set the tariff of the user's default location (a tariff URL)."""
        body = {"default_location": {"tariff": tariff_url}}
        return await self._write("PATCH", User, "users", user_id, body=body)

    # ------------------------------------------------------------------ EVSEs

    async def list_evses(
        self,
        *,
        expand: Iterable[str] = (),
        cpid: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[Evse]:
        """List chargers; expand e.g. ``model``, ``model.make``, ``latest_status_log``."""
        return await self._get_list(
            Evse, "evses", query=_query(expand, cpid=cpid), max_pages=max_pages
        )

    async def get_evse(self, evse_id: str, *, expand: Iterable[str] = ()) -> Evse:
        """Get one charger."""
        return await self._get_one(Evse, "evses", evse_id, query=_query(expand))

    async def list_evse_status_logs(
        self,
        evse_id: str,
        *,
        sampled_at_gte: datetime | None = None,
        sampled_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[EvseStatusLog]:
        """List a charger's status logs, newest first (the API's order)."""
        query = _query(sampled_at__gte=sampled_at_gte, sampled_at__lte=sampled_at_lte)
        return await self._get_list(
            EvseStatusLog, "evses", evse_id, "status_logs", query=query, max_pages=max_pages
        )

    async def get_evse_connectivity(
        self, evse_id: str, *, expand: Iterable[str] = ()
    ) -> EvseConnectivity:
        """Get a charger's signal strength, reliability, IP and firmware."""
        return await self._get_one(
            EvseConnectivity, "evses", evse_id, "connectivity", query=_query(expand)
        )

    async def list_evse_makes(
        self, *, available_for_user_id: str | None = None, max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[EvseMake]:
        """List charger manufacturers."""
        query = _query(available_for_user_id=available_for_user_id)
        return await self._get_list(EvseMake, "evse_makes", query=query, max_pages=max_pages)

    async def get_evse_make(self, evse_make_id: str) -> EvseMake:
        """Get a charger manufacturer."""
        return await self._get_one(EvseMake, "evse_makes", evse_make_id)

    async def list_evse_models(
        self,
        *,
        expand: Iterable[str] = (),
        make_id: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[EvseModel]:
        """List charger models."""
        query = _query(expand, make_id=make_id)
        return await self._get_list(EvseModel, "evse_models", query=query, max_pages=max_pages)

    async def get_evse_model(self, evse_model_id: str, *, expand: Iterable[str] = ()) -> EvseModel:
        """Get a charger model."""
        return await self._get_one(EvseModel, "evse_models", evse_model_id, query=_query(expand))

    async def list_evse_sites(self, *, max_pages: int = DEFAULT_MAX_PAGES) -> ItemList[EvseSite]:
        """List EVSE sites (needs the ``site:read`` scope)."""
        return await self._get_list(EvseSite, "evse_sites", max_pages=max_pages)

    async def get_evse_site(self, evse_site_id: str) -> EvseSite:
        """Get an EVSE site."""
        return await self._get_one(EvseSite, "evse_sites", evse_site_id)

    # ------------------------------------------------------------------ vehicles

    async def list_vehicles(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[Vehicle]:
        """List vehicles; expand e.g. ``trim.model.make``, ``latest_status_log``."""
        return await self._get_list(Vehicle, "vehicles", query=_query(expand), max_pages=max_pages)

    async def get_vehicle(self, vehicle_id: str, *, expand: Iterable[str] = ()) -> Vehicle:
        """Get one vehicle."""
        return await self._get_one(Vehicle, "vehicles", vehicle_id, query=_query(expand))

    async def update_vehicle(
        self,
        vehicle_id: str,
        *,
        maximum_charge_limit_percentage: int | None = None,
        smart_charging_enabled: bool | None = None,
    ) -> Vehicle:
        """Change a vehicle's charge limit (%, 50..100) and/or smart charging.

        Sends only the fields given. Raises ValueError if none is.
        """
        body: dict[str, object] = {}
        if maximum_charge_limit_percentage is not None:
            body["maximum_charge_limit_percentage"] = maximum_charge_limit_percentage
        if smart_charging_enabled is not None:
            body["smart_charging_enabled"] = smart_charging_enabled
        if not body:
            raise ValueError("update_vehicle needs at least one field to change")
        return await self._write("PATCH", Vehicle, "vehicles", vehicle_id, body=body)

    async def list_vehicle_status_logs(
        self,
        vehicle_id: str,
        *,
        sampled_at_gte: datetime | None = None,
        sampled_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[VehicleStatusLog]:
        """List a vehicle's status logs, newest first (the API's order)."""
        query = _query(sampled_at__gte=sampled_at_gte, sampled_at__lte=sampled_at_lte)
        return await self._get_list(
            VehicleStatusLog,
            "vehicles",
            vehicle_id,
            "status_logs",
            query=query,
            max_pages=max_pages,
        )

    async def list_vehicle_location_logs(
        self,
        vehicle_id: str,
        *,
        sampled_at_gte: datetime | None = None,
        sampled_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[VehicleLocationLog]:
        """List when a vehicle's position was sampled and whether it was at home, newest first."""
        query = _query(sampled_at__gte=sampled_at_gte, sampled_at__lte=sampled_at_lte)
        return await self._get_list(
            VehicleLocationLog,
            "vehicles",
            vehicle_id,
            "location_logs",
            query=query,
            max_pages=max_pages,
        )

    async def get_latest_vehicle_location_log(self, vehicle_id: str) -> VehicleLocationLog | None:
        """Return a vehicle's newest location log (None when it has none), in one request.

        The list is sorted newest first, so its first page of one item is the newest; the next link is not
        followed. Raises `EvEnergyInvalidResponseError` when the newest log cannot be read.
        """
        url = self._url("vehicles", vehicle_id, "location_logs")
        response = await self._send("GET", url, query=[("page_size", "1")])
        items = _parse_items(VehicleLocationLog, response.data)
        if items.dropped:
            raise EvEnergyInvalidResponseError(f"Unreadable location log of {vehicle_id}")
        return items[0] if items else None

    async def get_state_of_charge(self, vehicle_id: str) -> StateOfCharge:
        """Get a vehicle's state of charge and its source (manual or connected)."""
        return await self._get_one(StateOfCharge, "vehicles", vehicle_id, "state_of_charge")

    async def set_state_of_charge(self, vehicle_id: str, percentage: int | None) -> StateOfCharge:
        """Set a manual state of charge (%, 0..100); None clears it."""
        body = {"state_of_charge_percentage": percentage}
        return await self._write(
            "PATCH", StateOfCharge, "vehicles", vehicle_id, "state_of_charge", body=body
        )

    async def reconnect_vehicle(self, vehicle_id: str) -> VehicleReconnection:
        """Get a link for the user to reconnect an INACTIVE vehicle."""
        return await self._write("POST", VehicleReconnection, "vehicles", vehicle_id, "reconnect")

    async def list_vehicle_trims(
        self,
        *,
        expand: Iterable[str] = (),
        model_id: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[VehicleTrim]:
        """List vehicle trims."""
        query = _query(expand, model_id=model_id)
        return await self._get_list(VehicleTrim, "vehicle_trims", query=query, max_pages=max_pages)

    async def get_vehicle_trim(self, trim_id: str, *, expand: Iterable[str] = ()) -> VehicleTrim:
        """Get a vehicle trim."""
        return await self._get_one(VehicleTrim, "vehicle_trims", trim_id, query=_query(expand))

    async def list_vehicle_models(
        self,
        *,
        expand: Iterable[str] = (),
        make_id: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[VehicleModel]:
        """List vehicle models."""
        query = _query(expand, make_id=make_id)
        return await self._get_list(
            VehicleModel, "vehicle_models", query=query, max_pages=max_pages
        )

    async def get_vehicle_model(self, model_id: str, *, expand: Iterable[str] = ()) -> VehicleModel:
        """Get a vehicle model."""
        return await self._get_one(VehicleModel, "vehicle_models", model_id, query=_query(expand))

    async def list_vehicle_makes(
        self, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[VehicleMake]:
        """List vehicle manufacturers."""
        return await self._get_list(VehicleMake, "vehicle_makes", max_pages=max_pages)

    async def get_vehicle_make(self, make_id: str) -> VehicleMake:
        """Get a vehicle manufacturer."""
        return await self._get_one(VehicleMake, "vehicle_makes", make_id)

    # ------------------------------------------------------------------ solar, batteries, HEM

    async def list_inverters(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[Inverter]:
        """List solar inverters; expand ``latest_status_log`` for the current power."""
        return await self._get_list(
            Inverter, "inverters", query=_query(expand), max_pages=max_pages
        )

    async def get_inverter(self, inverter_id: str, *, expand: Iterable[str] = ()) -> Inverter:
        """Get one solar inverter."""
        return await self._get_one(Inverter, "inverters", inverter_id, query=_query(expand))

    async def list_solar_arrays(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[SolarArray]:
        """List solar arrays."""
        return await self._get_list(
            SolarArray, "solar_arrays", query=_query(expand), max_pages=max_pages
        )

    async def list_solar_forecasts(
        self, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[SolarForecast]:
        """List the solar forecasts (one per forecast location)."""
        return await self._get_list(SolarForecast, "solar_forecasts", max_pages=max_pages)

    async def get_solar_forecast(self, solar_forecast_id: str) -> SolarForecast:
        """Get one solar forecast."""
        return await self._get_one(SolarForecast, "solar_forecasts", solar_forecast_id)

    async def list_solar_forecast_logs(
        self,
        solar_forecast_id: str,
        *,
        started_at_gte: datetime | None = None,
        started_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[SolarForecastLog]:
        """List a forecast's periods (W per kW of capacity), the latest period first."""
        query = _query(started_at__gte=started_at_gte, started_at__lte=started_at_lte)
        return await self._get_list(
            SolarForecastLog,
            "solar_forecasts",
            solar_forecast_id,
            "forecast_logs",
            query=query,
            max_pages=max_pages,
        )

    async def list_home_batteries(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[HomeBattery]:
        """List home batteries."""
        return await self._get_list(
            HomeBattery, "home_batteries", query=_query(expand), max_pages=max_pages
        )

    async def get_home_battery(
        self, home_battery_id: str, *, expand: Iterable[str] = ()
    ) -> HomeBattery:
        """Get one home battery."""
        return await self._get_one(
            HomeBattery, "home_batteries", home_battery_id, query=_query(expand)
        )

    async def list_home_battery_status_logs(
        self,
        home_battery_id: str,
        *,
        sampled_at_gte: datetime | None = None,
        sampled_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[HomeBatteryStatusLog]:
        """List a home battery's status logs, newest first (the API's order)."""
        query = _query(sampled_at__gte=sampled_at_gte, sampled_at__lte=sampled_at_lte)
        return await self._get_list(
            HomeBatteryStatusLog,
            "home_batteries",
            home_battery_id,
            "status_logs",
            query=query,
            max_pages=max_pages,
        )

    async def list_hem_systems(self, *, max_pages: int = DEFAULT_MAX_PAGES) -> ItemList[HemSystem]:
        """List home energy management systems."""
        return await self._get_list(HemSystem, "hem_systems", max_pages=max_pages)

    async def get_hem_live_power(self, hem_system_id: str) -> HemLivePower:
        """Get a home's instantaneous power flows (W)."""
        return await self._get_one(HemLivePower, "hem_systems", hem_system_id, "live_power")

    async def get_hem_energy_stats(
        self,
        hem_system_id: str,
        start: datetime,
        end: datetime,
        resolution: EnergyStatsResolution | str,
    ) -> HemEnergyStats:
        """Get a home's energy flows (Wh) in buckets of ``resolution`` (PT30M, P1D, P1M).

        Windows are at most 24 h, 31 days and 366 days respectively, aligned to buckets.
        """
        query = _query(start=start, end=end, resolution=str(resolution))
        return await self._get_one(
            HemEnergyStats, "hem_systems", hem_system_id, "energy_stats", query=query
        )

    async def list_boundary_meters(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[BoundaryMeter]:
        """List grid boundary meters."""
        return await self._get_list(
            BoundaryMeter, "boundary_meters", query=_query(expand), max_pages=max_pages
        )

    # ------------------------------------------------------------------ sessions

    async def list_charging_sessions(
        self, *, expand: Iterable[str] = (), max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[ChargingSession]:
        """List charging sessions, newest first; the API offers no filters."""
        return await self._get_list(
            ChargingSession, "charging_sessions", query=_query(expand), max_pages=max_pages
        )

    async def get_charging_session(
        self, session_id: str, *, expand: Iterable[str] = ()
    ) -> ChargingSession:
        """Get one charging session."""
        return await self._get_one(
            ChargingSession, "charging_sessions", session_id, query=_query(expand)
        )

    async def boost_start(self, session_id: str) -> ChargingSession:
        """Charge now: end the smart sub-session and start a boost one.

        Raises `EvEnergyConflictError` when smart charging is off or not in progress,
        `EvEnergyDeviceUnreachableError` when the device cannot be reached.
        """
        return await self._write(
            "POST", ChargingSession, "charging_sessions", session_id, "boost_start"
        )

    async def boost_end(self, session_id: str) -> ChargingSession:
        """Stop boosting and return to smart charging (409 when not boosting)."""
        return await self._write(
            "POST", ChargingSession, "charging_sessions", session_id, "boost_end"
        )

    async def list_charging_sub_sessions(
        self,
        *,
        evse_id: str | None = None,
        vehicle_id: str | None = None,
        is_finished: bool | None = None,
        mode: SubSessionMode | str | None = None,
        start_gt: datetime | None = None,
        start_lt: datetime | None = None,
        end_gt: datetime | None = None,
        end_lt: datetime | None = None,
        expand: Iterable[str] = (),
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[ChargingSubSession]:
        """List charging sub-sessions, newest first, filtered as given."""
        query = _query(
            expand,
            evse_id=evse_id,
            vehicle_id=vehicle_id,
            is_finished=is_finished,
            mode=None if mode is None else str(mode),
            start__gt=start_gt,
            start__lt=start_lt,
            end__gt=end_gt,
            end__lt=end_lt,
        )
        return await self._get_list(
            ChargingSubSession, "charging_sub_sessions", query=query, max_pages=max_pages
        )

    async def get_charging_sub_session(
        self, sub_session_id: str, *, expand: Iterable[str] = ()
    ) -> ChargingSubSession:
        """Get one charging sub-session."""
        return await self._get_one(
            ChargingSubSession, "charging_sub_sessions", sub_session_id, query=_query(expand)
        )

    async def get_energy_usage(
        self, sub_session_id: str, *, merge_consecutive_intervals: bool | None = None
    ) -> EnergyUsage:
        """Get when a sub-session's energy flowed, interval by interval."""
        query = _query(merge_consecutive_intervals=merge_consecutive_intervals)
        return await self._get_one(
            EnergyUsage, "charging_sub_sessions", sub_session_id, "energy_usage", query=query
        )

    async def get_schedules(
        self,
        sub_session_id: str,
        *,
        started_at_gte: datetime | None = None,
        started_at_lte: datetime | None = None,
        only_most_recently_created: bool | None = None,
    ) -> ItemList[Schedule]:
        """Get a sub-session's charging schedule intervals."""
        query = _query(
            started_at__gte=started_at_gte,
            started_at__lte=started_at_lte,
            only_most_recently_created=only_most_recently_created,
        )
        data = await self._get("charging_sub_sessions", sub_session_id, "schedules", query=query)
        return _parse_items(Schedule, _member(data, "schedules"))

    # ------------------------------------------------------------------ tariffs, carbon

    async def get_tariff(self, tariff_id: str, *, expand: Iterable[str] = ()) -> Tariff:
        """Get a tariff, with its current price (minor units)."""
        return await self._get_one(Tariff, "tariffs", tariff_id, query=_query(expand))

    async def list_tariff_prices(
        self,
        tariff_id: str,
        *,
        started_at_gte: datetime | None = None,
        started_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[TariffPrice]:
        """List a tariff's price intervals (minor units)."""
        query = _query(started_at__gte=started_at_gte, started_at__lte=started_at_lte)
        return await self._get_list(
            TariffPrice, "tariffs", tariff_id, "prices", query=query, max_pages=max_pages
        )

    async def list_carbon_feeds(
        self, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[CarbonFeed]:
        """List carbon-intensity feeds."""
        return await self._get_list(CarbonFeed, "carbon_feeds", max_pages=max_pages)

    async def list_carbon_intensities(
        self,
        carbon_feed_id: str,
        *,
        started_at_gte: datetime | None = None,
        started_at_lte: datetime | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> ItemList[CarbonIntensity]:
        """List a feed's carbon intensities (gCO2/kWh), newest first."""
        query = _query(started_at__gte=started_at_gte, started_at__lte=started_at_lte)
        # Each page is an object wrapping the list, unlike other list endpoints.
        return await self._get_list(
            CarbonIntensity,
            "carbon_feeds",
            carbon_feed_id,
            "carbon_intensities",
            query=query,
            max_pages=max_pages,
            member="carbon_intensities",
        )

    # ------------------------------------------------------------------ webhooks, notifications

    async def get_webhook_portal(self) -> str:
        """Return a one-time URL of the Svix portal where webhooks are configured."""
        url = _member(await self._get("webhook_portal"), "url")
        if not isinstance(url, str):
            raise EvEnergyInvalidResponseError("webhook_portal: 'url' is not a string")
        return url

    async def list_notifications(
        self, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> ItemList[Notification]:
        """List the user's notifications."""
        return await self._get_list(Notification, "notifications", max_pages=max_pages)

    async def mark_notification_read(
        self, notification_id: str, read_at: datetime | None = None
    ) -> Notification:
        """Mark a notification read at ``read_at`` (default: now)."""
        body = {"read_at": format_datetime(read_at or datetime.now(UTC))}
        response = await self._send("PATCH", self._url("notifications", notification_id), body=body)
        data = response.data
        # The spec wraps the PATCH response as {"Notification": {...}}; accept both.
        if isinstance(data, dict) and isinstance(data.get("Notification"), dict):
            data = data["Notification"]
        return _parse(Notification, data)


# ---------------------------------------------------------------------- helpers


def _path_segment(segment: str) -> str:
    if segment in (".", ".."):
        return segment.replace(".", "%2E")
    return quote(segment, safe="")


def _next_link(response: aiohttp.ClientResponse) -> tuple[URL | None, bool]:
    """Return the next link and whether the Link header named one that could not be read."""
    return next_link(response.headers.getall("Link", []), response.url)


def _incomplete(
    url: URL, pages: int, reason: IncompleteListReason, items: ItemList[Any]
) -> EvEnergyIncompleteListError:
    collection = url.name.replace("_", " ")
    if reason is IncompleteListReason.PAGE_CAP:
        _LOGGER.warning(
            "Stopped reading %s at the limit of %s pages; the list is longer", collection, pages
        )
    message = (
        f"The {collection} list is incomplete: reading stopped after {pages} "
        f"page{'s' if pages > 1 else ''} because {STOP_EXPLANATIONS[reason]}"
    )
    return EvEnergyIncompleteListError(message, reason=reason, items=items)


def _decode(payload: bytes, content_type: str, status: int) -> Any:
    """Decode a success body; empty bodies (e.g. 204) decode to None."""
    if not payload.strip():
        return None
    if not _is_json(content_type):
        raise EvEnergyInvalidResponseError(
            f"Expected JSON, got {content_type or 'no content type'}", status=status
        )
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise EvEnergyInvalidResponseError(f"Broken JSON: {err}", status=status) from err


def _is_json(content_type: str) -> bool:
    return content_type in _JSON_MIME_TYPES or content_type.endswith("+json")


def _problem(payload: bytes) -> Mapping[str, object] | None:
    """The problem+json object of an error response, if the body is one."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _member(data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        raise EvEnergyInvalidResponseError(f"Expected a JSON object with '{key}'")
    return data.get(key)


def _parse[ModelT: EvEnergyModel](model: type[ModelT], data: Any) -> ModelT:
    """Build a model, turning any parsing failure into EvEnergyInvalidResponseError."""
    return _parse_with(model, data, model.from_dict)


def _parse_items[ModelT: EvEnergyModel](model: type[ModelT], data: Any) -> ItemList[ModelT]:
    """Parse a JSON list item by item: what does not parse is dropped and reported.

    A bad nested object costs only itself (see `EvEnergyModel.from_dict_salvaging`).
    """
    if not isinstance(data, list):
        raise EvEnergyInvalidResponseError(
            f"Expected a JSON list of {model.__name__}, got {type(data).__name__}"
        )
    items: list[ModelT] = []
    dropped: list[DroppedItem] = []
    dropped_fields: list[DroppedItem] = []
    for raw in data:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        item_id = item_id if isinstance(item_id, str) else None
        try:
            item, broken = _parse_with(model, raw, model.from_dict_salvaging)
        except EvEnergyInvalidResponseError as err:
            _LOGGER.debug(
                "Dropped a %s (id %s) that could not be parsed: %s", model.__name__, item_id, err
            )
            dropped.append(DroppedItem(item_id, str(err)))
            continue
        items.append(item)
        for field, reason in broken.items():
            _LOGGER.debug("Dropped %s.%s of %s: %s", model.__name__, field, item_id, reason)
            dropped_fields.append(DroppedItem(item_id, reason, field))
    return ItemList(items, dropped, dropped_fields)


def _parse_with[ModelT: EvEnergyModel, ResultT](
    model: type[ModelT], data: Any, build: Callable[[dict[str, Any]], ResultT]
) -> ResultT:
    if not isinstance(data, dict):
        raise EvEnergyInvalidResponseError(
            f"Expected a JSON object for {model.__name__}, got {type(data).__name__}"
        )
    try:
        return build(data)
    except Exception as err:  # mashumaro raises many types; all mean "bad shape"
        raise EvEnergyInvalidResponseError(
            f"Cannot parse {model.__name__}: {describe_parse_error(err)}"
        ) from err
