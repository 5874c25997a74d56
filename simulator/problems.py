"""RFC 9457 problem details, shaped like ev.energy's."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# The API version every /v2 answer names (EvEnergy-Version).
API_VERSION = "2"
PROBLEM_BASE = "https://api.ev.energy/v2/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemError(Exception):
    """Raised by handlers; the API middleware turns it into a problem+json response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        field_errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Describe the problem; ``slug`` becomes ``type`` under the problems base URL."""
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.field_errors = field_errors
        self.headers = headers or {}

    def body(self, instance: str) -> dict[str, Any]:
        """Return the JSON body for a request to ``instance``."""
        body: dict[str, Any] = {
            "type": f"{PROBLEM_BASE}{self.slug}/",
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "instance": instance,
        }
        if self.field_errors:
            body["field_errors"] = self.field_errors
        return body

    def response(self, instance: str) -> web.Response:
        """Return the problem as an aiohttp response."""
        return web.Response(
            status=self.status,
            body=json.dumps(self.body(instance)).encode(),
            content_type=PROBLEM_CONTENT_TYPE,
            headers=self.headers,
        )


def not_found(what: str = "resource") -> ProblemError:
    """Return the 404 problem (also used for someone else's resource)."""
    return ProblemError(404, "not-found", "Not Found", f"No {what} matches the given query.")


def validation_failed(slug: str, field_errors: dict[str, list[str]]) -> ProblemError:
    """Return a 400 problem listing the invalid fields."""
    return ProblemError(
        400,
        slug,
        "Request failed validation.",
        "Error on fields: " + ", ".join(field_errors),
        field_errors=field_errors,
    )


def pagination_error(parameter: str) -> ProblemError:
    """Return the 400 problem for a bad pagination parameter."""
    return ProblemError(
        400,
        "pagination-parameters",
        "Invalid pagination parameter",
        f"Invalid value for pagination parameter: {parameter}",
    )


def conflict(detail: str) -> ProblemError:
    """Return a 409 problem (e.g. boost not possible)."""
    return ProblemError(409, "conflict", "Conflict", detail)
