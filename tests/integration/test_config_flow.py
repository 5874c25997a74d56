"""The OAuth onboarding, walked for real against the simulator's /o/authorize/ and /o/token/."""

from __future__ import annotations

from typing import Any

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.kinds import SCOPES
from simulator.testing import DEFAULT_CLIENT_ID, Simulator

from .oauth import consent_in_simulator

pytestmark = pytest.mark.usefixtures("current_request_with_host", "credentials")


async def _walk_oauth(
    hass: HomeAssistant,
    sim: Simulator,
    client: ClientSessionGenerator,
    result: dict[str, Any],
    user_id: str | None = None,
) -> dict[str, Any]:
    """Follow the external step: consent at the simulator, come back through Home Assistant's callback."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    code, state = await consent_in_simulator(sim, result["url"], user_id=user_id)
    http = await client()
    response = await http.get(f"/auth/external/callback?code={code}&state={state}")
    assert response.status == 200
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def test_sign_in_creates_one_entry_for_the_account(
    hass: HomeAssistant, sim: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    url = URL(result["url"])
    assert str(url.with_query(None)) == f"{sim.origin}/o/authorize/"
    assert url.query["client_id"] == DEFAULT_CLIENT_ID
    assert set(url.query["scope"].split()) == set(SCOPES)

    result = await _walk_oauth(hass, sim, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.unique_id == sim.primary_user_id
    token = entry.data["token"]
    assert sim.oauth.validate(token["access_token"]) is not None
    assert token["refresh_token"]
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED


async def test_the_same_account_cannot_be_added_twice(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await _walk_oauth(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_an_unreadable_account_aborts_with_a_clear_reason(
    hass: HomeAssistant, sim: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    sim.faults.server_errors(5, status=502, path_prefix="/v2/users")
    result = await _walk_oauth(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_reauthentication_stores_the_new_tokens(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    integration: MockConfigEntry,
) -> None:
    old_refresh_token = integration.data["token"]["refresh_token"]
    result = await integration.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    result = await _walk_oauth(hass, sim, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert integration.data["token"]["refresh_token"] != old_refresh_token


async def test_reauthentication_refuses_another_account(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    integration: MockConfigEntry,
) -> None:
    other_user = sim.add_user().id
    token_before = dict(integration.data["token"])
    result = await integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    result = await _walk_oauth(hass, sim, hass_client_no_auth, result, user_id=other_user)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert integration.data["token"] == token_before


async def test_reconfigure_signs_in_again_keeping_the_entry(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    integration: MockConfigEntry,
) -> None:
    old_access_token = integration.data["token"]["access_token"]
    result = await integration.start_reconfigure_flow(hass)
    result = await _walk_oauth(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert integration.data["token"]["access_token"] != old_access_token
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reconfigure_refuses_another_account(
    hass: HomeAssistant,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    integration: MockConfigEntry,
) -> None:
    other_user = sim.add_user().id
    result = await integration.start_reconfigure_flow(hass)
    result = await _walk_oauth(hass, sim, hass_client_no_auth, result, user_id=other_user)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_an_account_gone_between_consent_and_setup_aborts(
    hass: HomeAssistant, sim: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A token whose user list is empty (the account was deleted) must not create a nameless entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    code, state = await consent_in_simulator(sim, result["url"])
    del sim.state.users[sim.primary_user_id]
    http = await hass_client_no_auth()
    await http.get(f"/auth/external/callback?code={code}&state={state}")
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
