"""Exceptions raised by the ev.energy API client.

Every failure of a request surfaces as a subclass of `EvEnergyError`; transport,
decoding and parsing errors never escape raw. Exceptions raised by the injected
`AbstractAuth` are the one deliberate exception to this rule: they propagate
unchanged, so the caller can tell "could not refresh my token" from "the API said no".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .item_list import ItemList
    from .pagination import IncompleteListReason


class EvEnergyError(Exception):
    """Base class of every error raised by the client.

    Attributes:
        status: HTTP status code, when the error came from an HTTP response.
        problem_type: The RFC 9457 problem ``type`` URI, when the API sent one.
        title: The problem ``title``.
        detail: The problem ``detail``.
        instance: The problem ``instance`` URI.
        field_errors: Per-field validation messages (``{"field": ["message", ...]}``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem_type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Store the message and whatever problem details the API gave."""
        super().__init__(message)
        self.status = status
        self.problem_type = problem_type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})


class EvEnergyConnectionError(EvEnergyError):
    """The API could not be reached (DNS, refused connection, reset, TLS...)."""


class EvEnergyTimeoutError(EvEnergyConnectionError):
    """The request did not complete within the client's timeout."""


class EvEnergyInvalidResponseError(EvEnergyError):
    """The API answered with something we cannot use.

    Raised for non-JSON or broken JSON bodies, HTML error pages, JSON of the wrong
    shape, and 4xx statuses without a more specific class.
    """


class EvEnergyIncompleteListError(EvEnergyError):
    """A list read stopped before the end of the list, so the list is not the whole truth.

    Raised by every list method when the next page could not be followed: it was on
    another origin, pointed back to a page already read, could not be read, or the
    page cap was reached. Never raised for a list that simply ended.

    Attributes:
        reason: Why the walk stopped: ``"foreign_origin"``, ``"loop"``,
            ``"malformed_link"`` or ``"page_cap"`` (an `IncompleteListReason`).
        items: What was read before the stop, parsed like a complete list (an
            `ItemList`, with its ``dropped`` report); for callers to whom part of
            the list is useful, such as history reads. Never treat it as complete.
    """

    def __init__(self, message: str, *, reason: IncompleteListReason, items: ItemList[Any]) -> None:
        """Store why the walk stopped and what it read."""
        super().__init__(message)
        self.reason = reason
        self.items = items


class EvEnergyBadRequestError(EvEnergyInvalidResponseError):
    """HTTP 400: the API rejected the request (see ``field_errors``)."""


class EvEnergyAuthError(EvEnergyError):
    """HTTP 401: the access token is missing, expired or revoked."""


class EvEnergyForbiddenError(EvEnergyError):
    """HTTP 403: the token lacks a scope or the resource is not this user's."""


class EvEnergyNotFoundError(EvEnergyError):
    """HTTP 404: the resource does not exist or is not visible to this user."""


class EvEnergyConflictError(EvEnergyError):
    """HTTP 409: the action is not possible now (e.g. boost while not smart charging)."""


class EvEnergyRateLimitError(EvEnergyError):
    """HTTP 429: the rate limit is exhausted.

    Attributes:
        retry_after: Seconds to wait before the next request, when the API said so.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        problem_type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Store the wait the API asked for, next to the usual problem details."""
        super().__init__(
            message,
            status=status,
            problem_type=problem_type,
            title=title,
            detail=detail,
            instance=instance,
            field_errors=field_errors,
        )
        self.retry_after = retry_after


class EvEnergyDeviceUnreachableError(EvEnergyError):
    """HTTP 503: the command could not be delivered to the vehicle or charger."""


class EvEnergyServerError(EvEnergyError):
    """HTTP 5xx other than 503: the API failed."""


_ERRORS_BY_STATUS: dict[int, type[EvEnergyError]] = {
    400: EvEnergyBadRequestError,
    401: EvEnergyAuthError,
    403: EvEnergyForbiddenError,
    404: EvEnergyNotFoundError,
    409: EvEnergyConflictError,
    503: EvEnergyDeviceUnreachableError,
}


def error_for_status(
    status: int, problem: Mapping[str, object] | None, retry_after: float | None = None
) -> EvEnergyError:
    """Build the exception for an HTTP error status and its (optional) problem+json body."""
    problem = problem or {}
    problem_type = _text(problem, "type")
    title = _text(problem, "title")
    detail = _text(problem, "detail")
    instance = _text(problem, "instance")
    field_errors = _field_errors(problem.get("field_errors"))
    message = _message(status, title, detail)
    if status == 429:
        return EvEnergyRateLimitError(
            message,
            retry_after=retry_after,
            status=status,
            problem_type=problem_type,
            title=title,
            detail=detail,
            instance=instance,
            field_errors=field_errors,
        )
    error_class = _ERRORS_BY_STATUS.get(status)
    if error_class is None:
        error_class = EvEnergyServerError if status >= 500 else EvEnergyInvalidResponseError
    return error_class(
        message,
        status=status,
        problem_type=problem_type,
        title=title,
        detail=detail,
        instance=instance,
        field_errors=field_errors,
    )


def _text(problem: Mapping[str, object], key: str) -> str | None:
    value = problem.get(key)
    return value if isinstance(value, str) else None


def _field_errors(value: object) -> dict[str, list[str]]:
    """Normalise ``{"field": ["msg", ...]}``; tolerate a bare string per field."""
    if not isinstance(value, Mapping):
        return {}
    errors: dict[str, list[str]] = {}
    for field, messages in value.items():
        if isinstance(messages, str):
            errors[str(field)] = [messages]
        elif isinstance(messages, list):
            errors[str(field)] = [str(message) for message in messages]
    return errors


def _message(status: int, title: str | None, detail: str | None) -> str:
    parts = [f"HTTP {status}"]
    if title:
        parts.append(title)
    if detail and detail != title:
        parts.append(detail)
    return ": ".join(parts)
