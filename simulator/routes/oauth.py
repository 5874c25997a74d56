"""``/o/authorize/``, ``/o/token/`` and ``/o/revoke_token/`` (django-oauth-toolkit style)."""

from __future__ import annotations

import base64
import binascii
from html import escape
from urllib.parse import unquote

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping
from yarl import URL

from simulator.context import Caller, set_caller, simulator_of
from simulator.oauth import OAuthClient, OAuthError, OAuthServer, TokenPair

routes = web.RouteTableDef()
_AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
)


def _html_page(title: str, body: str, status: int = 200) -> web.Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")


def _redirect(uri: str, **params: str | None) -> web.HTTPFound:
    target = URL(uri)
    query = [*target.query.items(), *((k, v) for k, v in params.items() if v is not None)]
    return web.HTTPFound(str(target.with_query(query)))


def _client_for_redirect(request: web.Request, params: MultiMapping[str]) -> OAuthClient:
    """Validate client and redirect URI; errors here are shown, never redirected (RFC 6749)."""
    oauth = simulator_of(request).oauth
    client = oauth.clients.get(params.get("client_id", ""))
    if client is None:
        raise web.HTTPBadRequest(text="Invalid client_id.")
    if not client.accepts_redirect(params.get("redirect_uri", "")):
        raise web.HTTPBadRequest(text="Mismatching redirect URI.")
    return client


def _user_for(request: web.Request, hint: str | None) -> str:
    sim = simulator_of(request)
    for user in sim.state.users.values():
        if hint in (user.id, user.email):
            return user.id
    return sim.primary_user_id


def _grant(request: web.Request, params: MultiMapping[str], client: OAuthClient) -> web.HTTPFound:
    sim = simulator_of(request)
    redirect_uri = params["redirect_uri"]
    state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "plain", "S256"):
        return _redirect(redirect_uri, error="invalid_request", state=state)
    try:
        scopes = sim.oauth.parse_scopes(params.get("scope"))
    except OAuthError as err:
        return _redirect(redirect_uri, error=err.error, state=state)
    code = sim.oauth.create_code(
        client,
        _user_for(request, params.get("login_hint")),
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=params.get("code_challenge") or None,
        code_challenge_method=method,
    )
    return _redirect(redirect_uri, code=code, state=state)


@routes.get("/o/authorize/")
async def authorize_page(request: web.Request) -> web.StreamResponse:
    """Show the consent page (or approve at once in demo mode)."""
    params = request.query
    client = _client_for_redirect(request, params)
    if simulator_of(request).demo_approve:
        raise _grant(request, params, client)
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{escape(params[name])}'>"
        for name in _AUTHORIZE_FIELDS
        if name in params
    )
    scopes = escape(params.get("scope", "all scopes"))
    body = (
        f"<p><b>{escape(client.name)}</b> wants to access your ev.energy account "
        f"({scopes}).</p><form method='post' action='/o/authorize/'>{hidden}"
        "<button type='submit' name='allow' value='Authorize'>Allow</button> "
        "<button type='submit' name='allow' value='Deny'>Deny</button></form>"
    )
    return _html_page("Authorize", body)


async def _form(request: web.Request) -> MultiDictProxy[str]:
    posted = await request.post()
    return MultiDictProxy(MultiDict((k, str(v)) for k, v in posted.items()))


@routes.post("/o/authorize/")
async def authorize_decision(request: web.Request) -> web.StreamResponse:
    """Handle the Allow / Deny form."""
    form = await _form(request)
    client = _client_for_redirect(request, form)
    if form.get("allow") != "Authorize":
        raise _redirect(form["redirect_uri"], error="access_denied", state=form.get("state"))
    raise _grant(request, form, client)


def _client_credentials(
    request: web.Request, form: MultiDictProxy[str]
) -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


def _token_json(pair: TokenPair) -> web.Response:
    body: dict[str, object] = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "scope": pair.scope,
    }
    if pair.refresh_token is not None:
        body["refresh_token"] = pair.refresh_token
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _oauth_error(err: OAuthError) -> web.Response:
    body = {"error": err.error}
    if err.description:
        body["error_description"] = err.description
    headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if err.status == 401 else {}
    return web.json_response(body, status=err.status, headers=headers)


def _run_grant(oauth: OAuthServer, client: OAuthClient, form: MultiDictProxy[str]) -> TokenPair:
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return oauth.exchange_code(
            client, form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        )
    if grant_type == "refresh_token":
        return oauth.refresh(client, form.get("refresh_token"), form.get("scope"))
    if grant_type == "client_credentials":
        return oauth.issue(
            client.client_id, None, oauth.parse_scopes(form.get("scope")), with_refresh_token=False
        )
    raise OAuthError("unsupported_grant_type")


@routes.post("/o/token/")
async def token(request: web.Request) -> web.Response:
    """Issue tokens for the authorization_code, refresh_token and client_credentials grants."""
    oauth = simulator_of(request).oauth
    form = await _form(request)
    try:
        client = oauth.authenticate_client(*_client_credentials(request, form))
        set_caller(Caller(client.client_id, None, None, frozenset()))
        pair = _run_grant(oauth, client, form)
    except OAuthError as err:
        return _oauth_error(err)
    return _token_json(pair)


@routes.post("/o/revoke_token/")
async def revoke_token(request: web.Request) -> web.Response:
    """Revoke an access or refresh token (200 even for unknown tokens, per RFC 7009)."""
    oauth = simulator_of(request).oauth
    form = await _form(request)
    try:
        client = oauth.authenticate_client(*_client_credentials(request, form))
    except OAuthError as err:
        return _oauth_error(err)
    if not form.get("token"):
        return _oauth_error(OAuthError("invalid_request"))
    oauth.revoke(client, form["token"])
    return web.Response(status=200)
