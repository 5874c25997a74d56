"""Each device kind in kinds.py names real client calls, the scopes they need and expansions the API accepts.

The registry is what the poll, the reconciler, diagnostics, repairs and the sign-in read: a wrong name, scope
or expansion here would break a whole kind of device, so each is checked against the client and the simulator
(which follows ev.energy's OpenAPI document, and refuses an expansion the endpoint does not offer).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import inspect

import aiohttp
import pytest

from custom_components.ev_energy.api import EvEnergyClient, EvEnergyForbiddenError, StaticTokenAuth
from custom_components.ev_energy.const import DOMAIN
from custom_components.ev_energy.kinds import ACCOUNT_SCOPE, KINDS, OTHER_SCOPES, SCOPES, AnyKind
from simulator.oauth import ALL_SCOPES
from simulator.testing import Simulator
from tests.conftest import SimulatorFactory


class _CallNames:
    """Stands in for the client: each attribute a kind reads is answered with its name."""

    def __getattr__(self, name: str) -> str:
        return name


def _call_names(kind: AnyKind) -> list[str]:
    client = _CallNames()
    calls = [kind.list_devices, kind.get_device]
    if kind.status_logs is not None:
        calls.append(kind.status_logs)
    return [call(client) for call in calls]  # type: ignore[arg-type]


def test_sign_in_asks_every_kinds_scopes_once_and_only_scopes_ev_energy_knows() -> None:
    for kind in KINDS:
        assert set(kind.scopes) <= set(SCOPES), kind.collection
    assert len(SCOPES) == len(set(SCOPES))
    assert set(SCOPES) == {
        ACCOUNT_SCOPE,
        *OTHER_SCOPES,
        *(scope for kind in KINDS for scope in kind.scopes),
    }
    assert set(SCOPES) <= ALL_SCOPES


def test_every_kind_has_its_own_collection() -> None:
    collections = [kind.collection for kind in KINDS]
    assert len(collections) == len(set(collections))
    assert "account" not in collections, "the account's read has its own missing-permission repair"


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.collection)
def test_a_kinds_calls_are_the_clients_requests(kind: AnyKind) -> None:
    for name in _call_names(kind):
        assert inspect.iscoroutinefunction(getattr(EvEnergyClient, name, None)), name


@pytest.fixture
async def sim(simulator_factory: SimulatorFactory) -> AsyncIterator[Simulator]:
    # The home with a battery: one device of every kind.
    async with simulator_factory("home", home_battery=True) as running:
        yield running


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def _client(sim: Simulator, session: aiohttp.ClientSession, scopes: set[str]) -> EvEnergyClient:
    token = sim.issue_token(scopes=sorted(scopes))
    return EvEnergyClient(session, StaticTokenAuth(token.access_token), base_url=sim.api_base)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.collection)
async def test_a_kind_reads_its_devices_with_its_scope_and_expansions(
    kind: AnyKind, sim: Simulator, session: aiohttp.ClientSession
) -> None:
    client = _client(sim, session, {kind.read_scope})
    # The simulator answers 400 to an expansion the endpoint does not offer.
    devices = await kind.list_devices(client)(expand=kind.expand)
    assert devices, f"the home has {kind.collection}"
    for device in devices:
        assert isinstance(kind.latest_sample(device), kind.status_log)
        info = kind.device_info(device)
        assert info["identifiers"] == {(DOMAIN, device.id)}
        assert info.get("manufacturer"), "the maker was expanded"
        assert info.get("model"), "the model was expanded"
        assert (await kind.get_device(client)(device.id)).id == device.id

    without = _client(sim, session, set(SCOPES) - {kind.read_scope})
    with pytest.raises(EvEnergyForbiddenError):
        await kind.list_devices(without)(expand=kind.expand)
