"""OAuth 2 authorization server state, modelled on django-oauth-toolkit as ev.energy runs it.

Authorization codes live 60 s, access tokens 36000 s (both in simulated time), refresh
tokens rotate (the old one stops working), client credentials tokens have no user.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import re
import secrets

from .clock import Clock

DEFAULT_CLIENT_ID = "ha-test-client"
DEFAULT_CLIENT_SECRET = "ha-test-secret"  # noqa: S105 - a well-known test credential
DEFAULT_REDIRECT_URIS = (
    "https://my.home-assistant.io/redirect/oauth",
    "https://example.com/auth/external/callback",
)
_LOOPBACK_CALLBACK = re.compile(
    r"^http://(127\.0\.0\.1|localhost)(:\d{1,5})?/auth/external/callback$"
)
CODE_LIFETIME = timedelta(seconds=60)
DEFAULT_ACCESS_TOKEN_LIFETIME = 36000

DECLARED_SCOPES = [
    "carbon:read",
    "grid:read",
    "evse:read",
    "evse:write",
    "vehicle:read",
    "user:read",
    "charging_session:read",
    "tariff:read",
    "tariff:prices:read",
    "user:write",
    "inverter:read",
    "inverter:write",
    "home_battery:read",
    "home_energy:read",
    "boundary_meter:read",
    "vehicle:write",
    "vehicle_catalogue:write",
    "charging_session:write",
    "solar:write",
    "solar:read",
    "subscription:read",
    "debug:read",
    "dispatch_coordinator:read",
    "dispatch_event:write",
    "solar_forecast:read",
    "payout_method:read",
    "payout_method:write",
    "notification_preferences:read",
    "notification_preferences:write",
    "route_planner_preferences:read",
    "route_planner_preferences:write",
    "saved_routes:read",
    "saved_routes:write",
    "region:read",
    "region:write",
]
# Used by operations in the spec without being declared (incl. the spec's typo).
UNDECLARED_SCOPES = [
    "site:read",
    "support:read",
    "support:write",
    "utility_account:write",
    "programs:write",
    "chargingsession:read",
]
ALL_SCOPES = frozenset(DECLARED_SCOPES + UNDECLARED_SCOPES)


class OAuthError(Exception):
    """An RFC 6749 error: ``error`` code and HTTP status."""

    def __init__(self, error: str, status: int = 400, description: str | None = None) -> None:
        """Describe the error."""
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


@dataclass
class OAuthClient:
    """A registered OAuth application."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    allow_loopback_callbacks: bool = True
    name: str = "Home Assistant"

    def accepts_redirect(self, uri: str) -> bool:
        """Return whether ``uri`` is a registered redirect URI of this client."""
        if uri in self.redirect_uris:
            return True
        return self.allow_loopback_callbacks and bool(_LOOPBACK_CALLBACK.match(uri))


@dataclass(frozen=True)
class TokenPair:
    """What ``issue_token`` and the token endpoint hand out."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str


@dataclass
class AccessToken:
    """A bearer token and who it speaks for."""

    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: datetime
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class RefreshToken:
    """A refresh token; ``used`` after one rotation."""

    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    access_token: str
    used: bool = False
    revoked: bool = False


@dataclass
class AuthorizationCode:
    """A one-time code from the consent page."""

    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str = "plain"
    used: bool = False


@dataclass
class OAuthServer:
    """Clients, codes and tokens."""

    clock: Clock
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)

    def register_client(self, client: OAuthClient) -> None:
        """Register (or replace) an OAuth application."""
        self.clients[client.client_id] = client

    # ------------------------------------------------------------ clients
    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        """Return the client if the credentials match, else raise ``invalid_client``."""
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(
            client.client_secret.encode(), (client_secret or "").encode()
        ):
            raise OAuthError("invalid_client", 401)
        return client

    @staticmethod
    def parse_scopes(requested: str | None) -> frozenset[str]:
        """Return the scopes asked for (all when none are named); unknown ones are an error."""
        if not requested:
            return ALL_SCOPES
        scopes = frozenset(requested.split())
        if not scopes <= ALL_SCOPES:
            raise OAuthError("invalid_scope")
        return scopes

    # -------------------------------------------------------------- codes
    def create_code(
        self,
        client: OAuthClient,
        user_id: str,
        *,
        redirect_uri: str,
        scopes: frozenset[str],
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """Mint a 60-second authorization code."""
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code,
            client_id=client.client_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            expires_at=self.clock.now() + CODE_LIFETIME,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method or "plain",
        )
        return code

    def exchange_code(
        self,
        client: OAuthClient,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> TokenPair:
        """Trade a code for tokens (``invalid_grant`` when used, expired or mismatched)."""
        grant = self.codes.get(code or "")
        if (
            grant is None
            or grant.used
            or grant.client_id != client.client_id
            or self.clock.now() >= grant.expires_at
            or (redirect_uri is not None and redirect_uri != grant.redirect_uri)
        ):
            raise OAuthError("invalid_grant")
        if grant.code_challenge is not None and not _pkce_ok(grant, code_verifier):
            raise OAuthError("invalid_grant", description="PKCE verification failed")
        grant.used = True
        return self.issue(client.client_id, grant.user_id, grant.scopes)

    # ------------------------------------------------------------- tokens
    def issue(
        self,
        client_id: str,
        user_id: str | None,
        scopes: Iterable[str],
        *,
        expires_in: int | None = None,
        with_refresh_token: bool = True,
    ) -> TokenPair:
        """Mint an access token (and a refresh token)."""
        lifetime = self.access_token_lifetime if expires_in is None else expires_in
        scope_set = frozenset(scopes)
        access = AccessToken(
            token=secrets.token_urlsafe(30),
            client_id=client_id,
            user_id=user_id,
            scopes=scope_set,
            expires_at=self.clock.now() + timedelta(seconds=lifetime),
        )
        self.access_tokens[access.token] = access
        refresh_value = None
        if with_refresh_token:
            refresh_value = secrets.token_urlsafe(30)
            access.refresh_token = refresh_value
            self.refresh_tokens[refresh_value] = RefreshToken(
                refresh_value, client_id, user_id, scope_set, access.token
            )
        return TokenPair(access.token, refresh_value, lifetime, " ".join(sorted(scope_set)))

    def refresh(self, client: OAuthClient, token: str | None, scope: str | None) -> TokenPair:
        """Rotate a refresh token: the old one stops working, a new pair is issued."""
        record = self.refresh_tokens.get(token or "")
        if record is None or record.used or record.revoked or record.client_id != client.client_id:
            raise OAuthError("invalid_grant")
        scopes = record.scopes
        if scope:
            requested = frozenset(scope.split())
            if not requested <= record.scopes:
                raise OAuthError("invalid_scope")
            scopes = requested
        record.used = True
        old_access = self.access_tokens.get(record.access_token)
        if old_access is not None:
            old_access.revoked = True
        return self.issue(client.client_id, record.user_id, scopes)

    def validate(self, token: str) -> AccessToken | None:
        """Return the live access token record, or None when unknown, expired or revoked."""
        record = self.access_tokens.get(token)
        if record is None or record.revoked or self.clock.now() >= record.expires_at:
            return None
        return record

    def revoke(self, client: OAuthClient, token: str) -> None:
        """Revoke an access or refresh token of ``client`` (unknown tokens are ignored)."""
        access = self.access_tokens.get(token)
        if access is not None and access.client_id == client.client_id:
            access.revoked = True
            if access.refresh_token in self.refresh_tokens:
                self.refresh_tokens[access.refresh_token].revoked = True
        refresh = self.refresh_tokens.get(token)
        if refresh is not None and refresh.client_id == client.client_id:
            refresh.revoked = True
            if refresh.access_token in self.access_tokens:
                self.access_tokens[refresh.access_token].revoked = True

    def revoke_all(self, *, user_id: str | None = None, client_id: str | None = None) -> int:
        """Revoke every token (of a user and/or client); return how many access tokens died."""

        def matches(record: AccessToken | RefreshToken) -> bool:
            return (user_id is None or record.user_id == user_id) and (
                client_id is None or record.client_id == client_id
            )

        count = 0
        for access in self.access_tokens.values():
            if matches(access):
                count += not access.revoked
                access.revoked = True
        for refresh in self.refresh_tokens.values():
            if matches(refresh):
                refresh.revoked = True
        return count


def _pkce_ok(grant: AuthorizationCode, verifier: str | None) -> bool:
    if not verifier:
        return False
    if grant.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return secrets.compare_digest(computed, grant.code_challenge or "")
