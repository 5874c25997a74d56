"""Scenario builders: the catalogue, the users and their devices, and a warm-up history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Routine
from .engine import Engine
from .ids import IdFactory
from .world import (
    BoundaryMeter,
    CarbonFeed,
    Evse,
    EvseMake,
    EvseModel,
    EvseSite,
    GridFeed,
    HemSystem,
    HomeBattery,
    HomeBatteryMake,
    HomeBatteryModel,
    Inverter,
    InverterMake,
    InverterModel,
    Notification,
    SolarArray,
    SolarForecast,
    Supplier,
    Tariff,
    User,
    Vehicle,
    VehicleMake,
    VehicleModel,
    VehicleTrim,
    World,
)

SCENARIOS = ("home", "fleet", "unintegrated", "empty")
HOME_LATITUDE = 51.4545
HOME_LONGITUDE = -0.9781


class UnknownScenarioError(ValueError):
    """The scenario name is not one of ``SCENARIOS``."""


@dataclass(frozen=True)
class ScenarioOptions:
    """Knobs of a scenario (``run_simulator(**options)`` / CLI flags)."""

    fleet_size: int = 5
    history_hours: float = 18.0
    sample_interval_seconds: float = 300.0
    home_battery: bool = False
    # The home's HEM system and grid meter (False: a home whose energy ev.energy does not see, so no home energy
    # reads; tests of other things run cheaper without them).
    home_energy: bool = True
    # Routine seconds per clock second (1: the day takes a day); see ``clock.Routine``.
    routine_speed: int = 1
    # The routine's time of day at the start, in minutes after midnight (None: the clock's).
    routine_start_minute: int | None = None


class WorldBuilder:
    """Creates users, catalogue entries and devices with deterministic IDs."""

    def __init__(self, world: World, ids: IdFactory, created_at: datetime) -> None:
        """Build into ``world``; ``created_at`` stamps creation times."""
        self.world = world
        self.ids = ids
        self.created_at = created_at
        self._catalogue()

    def _catalogue(self) -> None:
        w, ids = self.world, self.ids
        myenergi = EvseMake(ids.new("emak"), "myenergi", "myenergi")
        ohme = EvseMake(ids.new("emak"), "Ohme", "Ohme")
        w.evse_makes = {m.id: m for m in (myenergi, ohme)}
        zappi = EvseModel(ids.new("emod"), "zappi v2.1", myenergi.id, "zappi")
        epod = EvseModel(ids.new("emod"), "ePod", ohme.id, "Ohme ePod")
        w.evse_models = {m.id: m for m in (zappi, epod)}
        kia = VehicleMake(ids.new("vmak"), "Kia")
        nissan = VehicleMake(ids.new("vmak"), "Nissan")
        w.vehicle_makes = {m.id: m for m in (kia, nissan)}
        ev6 = VehicleModel(ids.new("vmod"), "EV6", kia.id, 77400)
        leaf = VehicleModel(ids.new("vmod"), "Leaf", nissan.id, 40000, "CHADEMO")
        w.vehicle_models = {m.id: m for m in (ev6, leaf)}
        gt_line = VehicleTrim(ids.new("trim"), "GT-Line 77.4 kWh", ev6.id, 77400)
        leaf_40 = VehicleTrim(ids.new("trim"), "Acenta 40 kWh", leaf.id, 40000)
        w.vehicle_trims = {t.id: t for t in (gt_line, leaf_40)}
        inverter_model = InverterModel(ids.new("imod"), "SE3680H")
        # Derived from the model's ID rather than minted: minting would shift every later ID.
        solaredge = InverterMake("imak" + inverter_model.id[4:], "SolarEdge")
        inverter_model.make_id = solaredge.id
        w.inverter_makes = {solaredge.id: solaredge}
        w.inverter_models = {inverter_model.id: inverter_model}
        supplier = Supplier(ids.new("supl"), "Octopus Energy")
        w.suppliers = {supplier.id: supplier}
        tariff = Tariff(ids.new("tari"), "Intelligent Three Rate", supplier.id)
        w.tariffs = {tariff.id: tariff}
        feed = CarbonFeed(ids.new("cabf"), "South England")
        w.carbon_feeds = {feed.id: feed}
        grid = GridFeed(ids.new("grfd"), "GB demand flexibility", "GB-DFS")
        w.grid_feeds = {grid.id: grid}

    def add_user(self, email: str, full_name: str) -> User:
        """Create a user in the default region with the default tariff."""
        index = len(self.world.users)
        user = User(
            id=self.ids.new("user"),
            email=email,
            full_name=full_name,
            joined_at=self.created_at - timedelta(days=300 + index),
            terms_consent_datetime=self.created_at - timedelta(days=300 + index),
            address_1=f"{12 + index} Example Road",
            city="Reading",
            postal_code="RG1 1AA",
            country_code="GB",
            latitude=HOME_LATITUDE,
            longitude=HOME_LONGITUDE,
            tariff_id=next(iter(self.world.tariffs)),
            carbon_feed_id=next(iter(self.world.carbon_feeds)),
        )
        self.world.users[user.id] = user
        self._notifications(user)
        return user

    def _notifications(self, user: User) -> None:
        samples = [
            ("car-disconnected", "ACTIONABLE", "Your car is disconnected", "Reconnect your car"),
            ("weekly-summary", "SERVICE", "Your weekly summary", "You saved 2.10 GBP"),
        ]
        for number, (message, category, title, body) in enumerate(samples):
            note = Notification(
                id=self.ids.new("notf"),
                user_id=user.id,
                message_id=message,
                category=category,
                event_time=self.created_at - timedelta(days=number + 1),
                short_text_title=title,
                short_text_body=body,
                detail_page_title=title,
                detail_page_body=f"{body}. Open the ev.energy app for details.",
                external_link=None,
                external_button_label="Open",
            )
            self.world.notifications[note.id] = note

    def _site(self, user: User) -> EvseSite:
        if user.evse_site_id is None:
            site = EvseSite(self.ids.new("site"), user.id)
            self.world.evse_sites[site.id] = site
            user.evse_site_id = site.id
        return self.world.evse_sites[user.evse_site_id]

    def add_evse(self, user_id: str) -> Evse:
        """Install a charger at the user's home."""
        number = len(self.world.evses) + 1
        models = list(self.world.evse_models)
        evse = Evse(
            id=self.ids.new("evse"),
            cpid=f"ZAP{10_400_000 + number * 137}",
            user_id=user_id,
            model_id=models[(number - 1) % len(models)],
            latitude=HOME_LATITUDE,
            longitude=HOME_LONGITUDE,
            ip_address=f"10.0.0.{20 + number}",
            meter_offset_watt_hours=1_250_000 + number * 10_000,
        )
        site = self._site(self.world.users[user_id])
        site.evse_ids.append(evse.id)
        evse.site_id = site.id
        self.world.evses[evse.id] = evse
        self.world.evse_logs[evse.id] = []
        return evse

    def add_vehicle(
        self,
        user_id: str,
        *,
        evse_id: str | None,
        integrated: str = "ACTIVE",
        trim_index: int = 0,
        arrival_minute: int = 17 * 60 + 20,
    ) -> Vehicle:
        """Add a car that parks at ``evse_id`` (not plugged in yet)."""
        trim = list(self.world.vehicle_trims.values())[trim_index % len(self.world.vehicle_trims)]
        model = self.world.vehicle_models[trim.model_id]
        make = self.world.vehicle_makes[model.make_id]
        battery = trim.battery_size_watt_hours or model.default_battery_size_watt_hours
        vehicle = Vehicle(
            id=self.ids.new("vhcl"),
            user_id=user_id,
            trim_id=trim.id,
            integrated=integrated,
            battery_size_watt_hours=battery,
            maximum_charge_limit_percentage=80,
            description=f"{make.name} {model.name}",
            charge_level_watt_hours=battery * 0.4,
            odometer_meters=18_500_000 + len(self.world.vehicles) * 1_000_000,
            home_evse_id=evse_id,
            arrival_minute=arrival_minute,
        )
        self.world.vehicles[vehicle.id] = vehicle
        if integrated != "UNINTEGRATED":
            self.world.vehicle_logs[vehicle.id] = []
        if evse_id is not None:
            self.world.evses[evse_id].vehicle_id = vehicle.id
        return vehicle

    def add_solar(self, user_id: str, capacity_watts: int = 4000) -> Inverter:
        """Add an inverter with its solar array."""
        inverter = Inverter(
            id=self.ids.new("invt"),
            user_id=user_id,
            model_id=next(iter(self.world.inverter_models)),
            created_at=self.created_at - timedelta(days=200),
        )
        self.world.inverters[inverter.id] = inverter
        self.world.inverter_logs[inverter.id] = []
        array = SolarArray(self.ids.new("solr"), user_id, inverter.id, capacity_watts)
        self.world.solar_arrays[array.id] = array
        self._solar_forecast(user_id, array)
        return inverter

    def _solar_forecast(self, user_id: str, array: SolarArray) -> None:
        """Give the user one solar forecast at home (ev.energy forecasts a place, not an array)."""
        if any(f.user_id == user_id for f in self.world.solar_forecasts.values()):
            return
        user = self.world.users[user_id]
        # Derived from the array's ID rather than minted: minting would shift every later ID.
        forecast = SolarForecast("solf" + array.id[4:], user_id, user.latitude, user.longitude)
        self.world.solar_forecasts[forecast.id] = forecast

    def add_home_energy(self, user_id: str, *, battery: bool) -> None:
        """Add a HEM system and a boundary meter (and optionally a home battery)."""
        created = self.created_at - timedelta(days=100)
        hem = HemSystem(self.ids.new("hems"), user_id, created)
        self.world.hem_systems[hem.id] = hem
        meter = BoundaryMeter(self.ids.new("bmet"), user_id, self.ids.new("bmmo"), created)
        self.world.boundary_meters[meter.id] = meter
        self.world.boundary_meter_logs[meter.id] = []
        if battery:
            home_battery = HomeBattery(self.ids.new("hoba"), user_id, self.ids.new("bmod"), created)
            self.world.home_batteries[home_battery.id] = home_battery
            # Derived from the battery's model ID rather than minted: minting would shift every later ID.
            make = HomeBatteryMake("bmak" + home_battery.model_id[4:], "Tesla")
            self.world.home_battery_makes[make.id] = make
            model = HomeBatteryModel(home_battery.model_id, "Powerwall 2", make.id)
            self.world.home_battery_models[model.id] = model
            self.world.home_battery_logs[home_battery.id] = []


def _populate(builder: WorldBuilder, scenario: str, options: ScenarioOptions) -> str:
    user = builder.add_user("alex@example.com", "Alex Example")
    if scenario == "home":
        evse = builder.add_evse(user.id)
        builder.add_vehicle(user.id, evse_id=evse.id)
        builder.add_solar(user.id)
        if options.home_energy:
            builder.add_home_energy(user.id, battery=options.home_battery)
    elif scenario == "fleet":
        for index in range(options.fleet_size):
            evse = builder.add_evse(user.id)
            arrival = 16 * 60 + (index * 17) % 80
            builder.add_vehicle(user.id, evse_id=evse.id, trim_index=index, arrival_minute=arrival)
    elif scenario == "unintegrated":
        evse = builder.add_evse(user.id)
        builder.add_vehicle(user.id, evse_id=evse.id, integrated="UNINTEGRATED", trim_index=1)
    return user.id


def build_scenario(
    scenario: str, *, seed: int, start: datetime, options: ScenarioOptions
) -> tuple[World, Engine, WorldBuilder, str]:
    """Build a world, run it through ``history_hours`` of warm-up, and stop at ``start``."""
    if scenario not in SCENARIOS:
        raise UnknownScenarioError(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")
    world = World()
    ids = IdFactory(seed)
    warm_up_start = start - timedelta(hours=options.history_hours)
    builder = WorldBuilder(world, ids, warm_up_start)
    primary_user_id = _populate(builder, scenario, options)
    engine = Engine(
        world,
        ids,
        seed=seed,
        start=warm_up_start,
        sample_interval=timedelta(seconds=options.sample_interval_seconds),
        routine=Routine.starting_at(start, options.routine_speed, options.routine_start_minute),
    )
    for vehicle in world.vehicles.values():
        engine.plan_trip(vehicle, warm_up_start)
        if vehicle.home_evse_id is not None:
            engine.plug_in(vehicle)
    engine.advance_to(start)
    return world, engine, builder, primary_user_id
