"""Tokens: a slow or broken token endpoint is a temporary fault, and removing the entry revokes the tokens."""

from __future__ import annotations

import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import AuthorizationServer, ClientCredential
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.ev_energy import auth
from custom_components.ev_energy.api import EvEnergyConnectionError
from custom_components.ev_energy.api.const import DEFAULT_REQUEST_TIMEOUT
from custom_components.ev_energy.auth import (
    ASSUMED_TOKEN_LIFETIME,
    ConfigEntryAuth,
    EvEnergyAuthImplementation,
)
from custom_components.ev_energy.const import DOMAIN
from simulator.oauth import OAuthError
from simulator.testing import DEFAULT_CLIENT_ID, Simulator

from .helpers import reauth_flows, spin, when_stuck_in

TOKEN_URL = "https://ev.example/o/token/"


def _expire_token(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    token = {**entry.data["token"], "expires_at": time.time() - 10}
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": token})


def _refresh_token_works(sim: Simulator, refresh_token: str) -> bool:
    try:
        sim.oauth.refresh(sim.oauth.clients[DEFAULT_CLIENT_ID], refresh_token, None)
    except OAuthError:
        return False
    return True


@pytest.mark.usefixtures("credentials")
async def test_a_hanging_token_endpoint_fails_setup_softly_after_the_request_timeout(
    hass: HomeAssistant,
    sim: Simulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim.faults.timeout(count=1, path_prefix="/o/token/", seconds=3600)
    config_entry.add_to_hass(hass)
    _expire_token(hass, config_entry)
    stored = config_entry.data["token"]
    setup = await when_stuck_in(
        sim, sim.faults.state.bursts[-1], hass.config_entries.async_setup(config_entry.entry_id)
    )
    freezer.tick(auth.TOKEN_REQUEST_TIMEOUT - 1)
    await spin(100)
    assert not setup.done(), "a slow answer gets as long as an API request"
    freezer.tick(2)
    await setup
    assert auth.TOKEN_REQUEST_TIMEOUT == DEFAULT_REQUEST_TIMEOUT
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.data["token"] == stored
    assert not reauth_flows(hass)


@pytest.mark.usefixtures("credentials")
async def test_a_cut_off_token_answer_keeps_the_refresh_token_and_never_starts_reauthentication(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    sim.faults.malformed_json(count=1, path_prefix="/o/token/")
    config_entry.add_to_hass(hass)
    _expire_token(hass, config_entry)
    stored = config_entry.data["token"]
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.data["token"] == stored, "the broken answer is not saved"
    assert not reauth_flows(hass)


@pytest.fixture
def offline_entry(hass: HomeAssistant) -> MockConfigEntry:
    """An entry whose token endpoint is mocked at the HTTP edge (the simulator always answers well-formed)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="user01",
        data={
            "auth_implementation": DOMAIN,
            "token": {
                "access_token": "old-access",
                "refresh_token": "old-refresh",
                "token_type": "Bearer",
                "expires_in": 36000,
                "expires_at": time.time() + 36000,
            },
        },
    )
    entry.add_to_hass(hass)
    return entry


def _auth_for(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigEntryAuth:
    implementation = EvEnergyAuthImplementation(
        hass,
        DOMAIN,
        ClientCredential("client", "secret"),
        AuthorizationServer(authorize_url="https://ev.example/o/authorize/", token_url=TOKEN_URL),
    )
    return ConfigEntryAuth(OAuth2Session(hass, entry, implementation))


@pytest.mark.parametrize(
    "answer",
    [
        {"refresh_token": "new-refresh", "expires_in": 3600},
        {"access_token": "", "refresh_token": "new-refresh", "expires_in": 3600},
        {"access_token": "new", "refresh_token": None, "expires_in": 3600},
        ["access_token", "new"],
    ],
    ids=["no-access-token", "empty-access-token", "null-refresh-token", "not-an-object"],
)
async def test_a_token_answer_that_is_no_token_is_a_temporary_error_and_is_not_saved(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    offline_entry: MockConfigEntry,
    answer: Any,
) -> None:
    aioclient_mock.post(TOKEN_URL, json=answer)
    stored = offline_entry.data["token"]
    with pytest.raises(EvEnergyConnectionError):
        await _auth_for(hass, offline_entry).async_force_refresh()
    assert offline_entry.data["token"] == stored
    assert not reauth_flows(hass)


async def test_a_token_answer_that_is_not_json_is_a_temporary_error(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, offline_entry: MockConfigEntry
) -> None:
    aioclient_mock.post(TOKEN_URL, text="<html>Service temporarily unavailable</html>")
    stored = offline_entry.data["token"]
    with pytest.raises(EvEnergyConnectionError):
        await _auth_for(hass, offline_entry).async_force_refresh()
    assert offline_entry.data["token"] == stored


@pytest.mark.parametrize(
    "expires_in",
    [{}, {"expires_in": "one hour"}, {"expires_in": True}, {"expires_in": 0}, {"expires_in": None}],
    ids=[
        "no-lifetime",
        "lifetime-in-words",
        "boolean-lifetime",
        "no-lifetime-left",
        "null-lifetime",
    ],
)
async def test_a_token_answer_without_a_usable_lifetime_keeps_the_rotated_tokens(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    offline_entry: MockConfigEntry,
    expires_in: dict[str, Any],
) -> None:
    """RFC 6749 makes expires_in optional: the rotated refresh token must be saved, never thrown away."""
    aioclient_mock.post(
        TOKEN_URL, json={"access_token": "new", "refresh_token": "new-refresh", **expires_in}
    )
    await _auth_for(hass, offline_entry).async_force_refresh()
    token = offline_entry.data["token"]
    assert (token["access_token"], token["refresh_token"]) == ("new", "new-refresh")
    assert token["expires_at"] == pytest.approx(time.time() + ASSUMED_TOKEN_LIFETIME, abs=60)
    assert not reauth_flows(hass)


async def test_a_token_answer_with_a_numeric_lifetime_in_a_string_is_used(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, offline_entry: MockConfigEntry
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "new", "expires_in": "3600"})
    await _auth_for(hass, offline_entry).async_force_refresh()
    token = offline_entry.data["token"]
    # A refresh answer without a refresh token keeps the one we have.
    assert (token["access_token"], token["refresh_token"]) == ("new", "old-refresh")
    assert token["expires_at"] == pytest.approx(time.time() + 3600, abs=60)


async def test_removing_the_entry_revokes_both_tokens(
    hass: HomeAssistant, sim: Simulator, integration: MockConfigEntry
) -> None:
    token = integration.data["token"]
    assert sim.oauth.validate(token["access_token"]) is not None
    await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert sim.oauth.validate(token["access_token"]) is None
    assert not _refresh_token_works(sim, token["refresh_token"])
    revocations = [r for r in sim.requests if r.path == "/o/revoke_token/"]
    assert [r.status for r in revocations] == [200, 200]


async def test_a_token_endpoint_that_does_not_answer_does_not_hold_up_the_removal(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim.faults.timeout(count=1, path_prefix="/o/revoke_token/", seconds=3600)
    removal = await when_stuck_in(
        sim, sim.faults.state.bursts[-1], hass.config_entries.async_remove(integration.entry_id)
    )
    freezer.tick(auth.REVOKE_TIMEOUT + 1)
    await removal
    await hass.async_block_till_done()
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_a_refused_revocation_does_not_fail_the_removal(
    hass: HomeAssistant,
    sim: Simulator,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.faults.server_errors(2, status=503, path_prefix="/o/revoke_token/")
    await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert not hass.config_entries.async_entries(DOMAIN)
    assert "refused to revoke" in caplog.text
    assert integration.data["token"]["access_token"] not in caplog.text


async def test_an_entry_without_application_credentials_is_removed_all_the_same(
    hass: HomeAssistant, sim: Simulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert not hass.config_entries.async_entries(DOMAIN)
    assert not [r for r in sim.requests if r.path == "/o/revoke_token/"]
