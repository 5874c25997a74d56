"""OAuth 2 as ev.energy runs it: consent page, grants, PKCE, rotation, revocation."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from simulator.testing import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.conftest import SimulatorFactory

from .conftest import Api, Reply

REDIRECT = "https://example.com/auth/external/callback"
BASIC = aiohttp.BasicAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


def _authorize_params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "s-123",
        **extra,
    }


def _query(reply: Reply) -> dict[str, str]:
    location = reply.headers["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _consent(api: Api, decision: str = "Authorize", **extra: str) -> Reply:
    """Open the consent page and press a button, like a user would."""
    page = await api.get("/o/authorize/", params=_authorize_params(**extra), token=None)
    assert page.status == 200
    html = page.body.decode()
    assert "Allow" in html
    assert "Deny" in html
    form = dict(re.findall(r"name='(\w+)' value='([^']*)'", html))
    form["allow"] = decision
    return await api.request("POST", "/o/authorize/", data=form, token=None, allow_redirects=False)


async def _code(api: Api, **extra: str) -> str:
    reply = await _consent(api, **extra)
    assert reply.status == 302
    return _query(reply)["code"]


async def _token(api: Api, form: dict[str, str], auth: aiohttp.BasicAuth | None = BASIC) -> Reply:
    return await api.request("POST", "/o/token/", data=form, token=None, auth=auth)


async def _exchange(api: Api, code: str, **extra: str) -> Reply:
    return await _token(
        api,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra},
    )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_allow_redirects_with_code_and_state(api: Api) -> None:
    reply = await _consent(api)
    assert reply.status == 302
    assert reply.headers["Location"].startswith(REDIRECT + "?")
    query = _query(reply)
    assert query["state"] == "s-123"
    assert query["code"]


async def test_deny_redirects_with_access_denied(api: Api) -> None:
    reply = await _consent(api, decision="Deny")
    assert reply.status == 302
    assert _query(reply) == {"error": "access_denied", "state": "s-123"}


@pytest.mark.parametrize(
    ("param", "value"),
    [("client_id", "someone-else"), ("redirect_uri", "https://evil.example/callback")],
)
async def test_bad_client_or_redirect_is_not_redirected(api: Api, param: str, value: str) -> None:
    params = _authorize_params(**{param: value})
    reply = await api.get("/o/authorize/", params=params, token=None, allow_redirects=False)
    assert reply.status == 400
    assert "Location" not in reply.headers


@pytest.mark.parametrize(
    "redirect",
    [
        "https://my.home-assistant.io/redirect/oauth",
        "http://127.0.0.1:8123/auth/external/callback",
        "http://localhost:40123/auth/external/callback",
    ],
)
async def test_registered_redirect_uris_are_accepted(api: Api, redirect: str) -> None:
    params = _authorize_params(redirect_uri=redirect)
    reply = await api.get("/o/authorize/", params=params, token=None)
    assert reply.status == 200


async def test_unsupported_response_type_is_reported_to_the_client(api: Api) -> None:
    api.sim.demo_approve = True
    params = _authorize_params(response_type="token")
    reply = await api.get("/o/authorize/", params=params, token=None, allow_redirects=False)
    assert _query(reply)["error"] == "unsupported_response_type"


async def test_demo_approve_redirects_without_a_click(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    async with simulator_factory("home", demo_approve=True) as sim:
        api = Api(sim, http, None)
        reply = await api.get(
            "/o/authorize/", params=_authorize_params(), token=None, allow_redirects=False
        )
        assert reply.status == 302
        code = _query(reply)["code"]
        assert (await _exchange(api, code)).status == 200


async def test_code_exchange_returns_the_token_response(api: Api) -> None:
    reply = await _exchange(api, await _code(api, scope="evse:read vehicle:read"))
    assert reply.status == 200
    body = reply.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 36000
    assert body["scope"] == "evse:read vehicle:read"
    evses = await api.get("/v2/evses", token=body["access_token"])
    assert evses.status == 200
    users = await api.get("/v2/users", token=body["access_token"])
    assert users.status == 403


async def test_client_secret_in_the_form_works_too(api: Api) -> None:
    code = await _code(api)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    assert (await _token(api, form, auth=None)).status == 200


@pytest.mark.parametrize(
    "auth",
    [aiohttp.BasicAuth(DEFAULT_CLIENT_ID, "wrong"), aiohttp.BasicAuth("nobody", "x"), None],
)
async def test_bad_client_credentials_are_invalid_client(
    api: Api, auth: aiohttp.BasicAuth | None
) -> None:
    code = await _code(api)
    reply = await _token(
        api, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}, auth
    )
    assert reply.status == 401
    assert reply.json() == {"error": "invalid_client"}


async def test_malformed_basic_header_is_invalid_client(api: Api) -> None:
    reply = await api.request(
        "POST",
        "/o/token/",
        data={"grant_type": "client_credentials"},
        token=None,
        headers={"Authorization": "Basic !!!not-base64"},
    )
    assert reply.status == 401


async def test_a_code_works_once(api: Api) -> None:
    code = await _code(api)
    assert (await _exchange(api, code)).status == 200
    second = await _exchange(api, code)
    assert second.status == 400
    assert second.json() == {"error": "invalid_grant"}


async def test_a_code_expires_after_60_seconds(api: Api) -> None:
    code = await _code(api)
    api.sim.clock.advance(61)
    reply = await _exchange(api, code)
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_grant"


async def test_a_code_needs_the_same_redirect_uri(api: Api) -> None:
    code = await _code(api)
    reply = await _token(
        api,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://my.home-assistant.io/redirect/oauth",
        },
    )
    assert reply.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("method", "good"),
    [("S256", True), ("S256", False), ("plain", True), ("plain", False)],
)
async def test_pkce_is_checked_when_a_challenge_was_sent(api: Api, method: str, good: bool) -> None:
    verifier = "v" * 50
    challenge = _challenge(verifier) if method == "S256" else verifier
    code = await _code(api, code_challenge=challenge, code_challenge_method=method)
    reply = await _exchange(api, code, code_verifier=verifier if good else "w" * 50)
    assert reply.status == (200 if good else 400)


async def test_pkce_verifier_is_required_once_challenged(api: Api) -> None:
    code = await _code(api, code_challenge=_challenge("v" * 50), code_challenge_method="S256")
    assert (await _exchange(api, code)).json()["error"] == "invalid_grant"


async def test_unknown_challenge_method_is_rejected(api: Api) -> None:
    api.sim.demo_approve = True
    params = _authorize_params(code_challenge="abc", code_challenge_method="S512")
    reply = await api.get("/o/authorize/", params=params, token=None, allow_redirects=False)
    assert _query(reply)["error"] == "invalid_request"


async def test_unknown_scope_is_rejected(api: Api) -> None:
    api.sim.demo_approve = True
    params = _authorize_params(scope="evse:read launch:missiles")
    reply = await api.get("/o/authorize/", params=params, token=None, allow_redirects=False)
    assert _query(reply)["error"] == "invalid_scope"


async def _tokens(api: Api) -> dict[str, Any]:
    reply = await _exchange(api, await _code(api))
    assert reply.status == 200
    body: dict[str, Any] = reply.json()
    return body


async def test_refresh_rotates_and_the_old_token_stops_working(api: Api) -> None:
    first = await _tokens(api)
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    reply = await _token(api, form)
    assert reply.status == 200
    second = reply.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await api.get("/v2/evses", token=second["access_token"])).status == 200
    assert (await api.get("/v2/evses", token=first["access_token"])).status == 401
    again = await _token(api, form)
    assert again.status == 400
    assert again.json() == {"error": "invalid_grant"}


async def test_refresh_can_narrow_but_not_widen_scopes(api: Api) -> None:
    first = await _exchange(api, await _code(api, scope="evse:read vehicle:read"))
    token = first.json()["refresh_token"]
    wider = await _token(
        api, {"grant_type": "refresh_token", "refresh_token": token, "scope": "user:read"}
    )
    assert wider.json()["error"] == "invalid_scope"
    narrower = await _token(
        api, {"grant_type": "refresh_token", "refresh_token": token, "scope": "evse:read"}
    )
    assert narrower.json()["scope"] == "evse:read"


async def test_refresh_token_of_another_client_is_invalid(api: Api) -> None:
    api.sim.register_client("other-app", "other-secret")
    first = await _tokens(api)
    reply = await _token(
        api,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        aiohttp.BasicAuth("other-app", "other-secret"),
    )
    assert reply.json()["error"] == "invalid_grant"


async def test_access_tokens_expire(api: Api) -> None:
    token = api.sim.issue_token(expires_in=5).access_token
    assert (await api.get("/v2/evses", token=token)).status == 200
    api.sim.clock.advance(6)
    reply = await api.get("/v2/evses", token=token)
    assert reply.status == 401
    assert reply.json()["detail"] == "Invalid or expired token."


async def test_token_lifetime_is_configurable(
    simulator_factory: SimulatorFactory, http: aiohttp.ClientSession
) -> None:
    async with simulator_factory("home", access_token_lifetime=3) as sim:
        api = Api(sim, http, None)
        body = await _tokens(api)
        assert body["expires_in"] == 3


async def test_client_credentials_sees_all_users_and_can_act_as_one(api: Api) -> None:
    other = api.sim.add_user()
    api.sim.faults.add_evse(user_id=other.id)
    reply = await _token(api, {"grant_type": "client_credentials", "scope": "user:read evse:read"})
    body = reply.json()
    assert "refresh_token" not in body
    token = body["access_token"]
    users = (await api.get("/v2/users", token=token)).json()
    assert {u["id"] for u in users} == set(api.sim.state.users)
    as_other = await api.get("/v2/evses", token=token, headers={"EvEnergy-User": other.id})
    assert [e["user"] for e in as_other.json()] == [f"{api.sim.api_base}/users/{other.id}"]
    everyone = await api.get("/v2/evses", token=token)
    assert len(everyone.json()) == 2
    unknown = await api.get(
        "/v2/evses", token=token, headers={"EvEnergy-User": "user00000000000000000000000000"}
    )
    assert unknown.status == 400


async def test_unsupported_grant_type(api: Api) -> None:
    reply = await _token(api, {"grant_type": "password"})
    assert reply.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
async def test_revoking_either_token_kills_both(api: Api, which: str) -> None:
    tokens = await _tokens(api)
    reply = await api.request(
        "POST", "/o/revoke_token/", data={"token": tokens[which]}, token=None, auth=BASIC
    )
    assert reply.status == 200
    assert (await api.get("/v2/evses", token=tokens["access_token"])).status == 401
    refresh = await _token(
        api, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"


async def test_revoke_needs_client_auth_and_a_token(api: Api) -> None:
    unauthenticated = await api.request("POST", "/o/revoke_token/", data={"token": "x"}, token=None)
    assert unauthenticated.status == 401
    missing = await api.request("POST", "/o/revoke_token/", data={}, token=None, auth=BASIC)
    assert missing.json() == {"error": "invalid_request"}


async def test_fault_revokes_every_token_of_a_user(api: Api) -> None:
    tokens = await _tokens(api)
    revoked = api.sim.faults.revoke_tokens(user_id=api.sim.primary_user_id)
    assert revoked >= 2  # the fixture's token and the one from the dance
    assert (await api.get("/v2/evses")).status == 401
    refresh = await _token(
        api, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"


async def test_login_hint_picks_the_consenting_user(api: Api) -> None:
    other = api.sim.add_user(email="sam@example.com")
    tokens = (await _exchange(api, await _code(api, login_hint="sam@example.com"))).json()
    users = (await api.get("/v2/users", token=tokens["access_token"])).json()
    assert [u["id"] for u in users] == [other.id]
