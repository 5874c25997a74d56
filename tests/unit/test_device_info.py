"""How devices are named and described, whether or not ev.energy expanded their catalogue entries."""

from __future__ import annotations

from custom_components.ev_energy.api import Evse, Inverter, Vehicle
from custom_components.ev_energy.application_credentials import async_get_description_placeholders
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.entity import device_info
from custom_components.ev_energy.kinds import EVSE, INVERTER, VEHICLE

MODEL = "https://api.ev.energy/v2/evse_models/emod01HZZZZZZZZZZZZZZZZZZZZZZZ"


def test_a_charger_with_its_catalogue_entry_is_named_after_make_and_model() -> None:
    evse = Evse.from_dict(
        {
            "id": "evse01",
            "cpid": "CP-123",
            "model": {
                "id": "emod01",
                "name": "pro",
                "display_name": "Pro 7",
                "make": {"id": "emak01", "name": "zappi"},
            },
        }
    )
    info = device_info(EVSE, evse)
    assert info["identifiers"] == {(DOMAIN, "evse01")}
    assert (info["manufacturer"], info["model"], info["name"]) == ("zappi", "Pro 7", "zappi Pro 7")
    assert info["serial_number"] == "CP-123"


def test_a_charger_whose_model_is_only_a_url_still_gets_a_name() -> None:
    info = device_info(EVSE, Evse.from_dict({"id": "evse01", "cpid": "CP-1", "model": MODEL}))
    assert (info["manufacturer"], info["model"], info["name"]) == (None, None, "EV charger")


def test_a_vehicle_is_named_by_its_description_else_make_and_model() -> None:
    trim = {
        "id": "trim01",
        "name": "Long Range",
        "model": {"id": "vmod01", "name": "Model 3", "make": {"id": "vmak01", "name": "Tesla"}},
    }
    described = Vehicle.from_dict({"id": "vhcl01", "description": "Family car", "trim": trim})
    plain = Vehicle.from_dict({"id": "vhcl02", "description": "", "trim": trim})
    unknown = Vehicle.from_dict({"id": "vhcl03", "trim": None})
    assert device_info(VEHICLE, described)["name"] == "Family car"
    assert device_info(VEHICLE, described)["model"] == "Model 3 Long Range"
    assert device_info(VEHICLE, plain)["name"] == "Tesla Model 3"
    assert device_info(VEHICLE, unknown)["name"] == "Vehicle"


def test_an_inverter_is_a_solar_inverter() -> None:
    assert device_info(INVERTER, Inverter.from_dict({"id": "invt01"}))["name"] == "Solar inverter"


def test_an_inverter_shows_its_maker_and_model_when_expanded() -> None:
    model = {"id": "imod01", "name": "SE3680H", "make": {"id": "imak01", "name": "SolarEdge"}}
    expanded = device_info(INVERTER, Inverter.from_dict({"id": "invt01", "model": model}))
    assert (expanded["manufacturer"], expanded["model"]) == ("SolarEdge", "SE3680H")
    linked = device_info(
        INVERTER, Inverter.from_dict({"id": "invt01", "model": "https://x/v2/inverter_models/1"})
    )
    assert (linked["manufacturer"], linked["model"]) == (None, None)


async def test_the_credentials_dialog_names_the_redirect_uri_to_register() -> None:
    placeholders = await async_get_description_placeholders(None)  # type: ignore[arg-type]
    assert placeholders["redirect_url"] == "https://my.home-assistant.io/redirect/oauth"
