"""What was asked of the simulator: a request log and counters for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RequestRecord:
    """One served request."""

    method: str
    path: str
    route: str
    query: dict[str, list[str]]
    client_id: str | None
    user_id: str | None
    status: int
    time: datetime
    duration_seconds: float

    @property
    def endpoint(self) -> str:
        """Return the endpoint template, e.g. ``GET /v2/evses/{evse_id}``."""
        return f"{self.method} {self.route}"


@dataclass
class Counters:
    """Request counts per endpoint template, per client id and per status."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_client: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    total: int = 0

    def add(self, record: RequestRecord) -> None:
        """Count ``record``."""
        self.total += 1
        self.by_endpoint[record.endpoint] += 1
        self.by_client[record.client_id or "-"] += 1
        self.by_status[record.status] += 1

    def as_dict(self) -> dict[str, object]:
        """Return the counters as JSON-ready data."""
        return {
            "total": self.total,
            "by_endpoint": dict(self.by_endpoint),
            "by_client": dict(self.by_client),
            "by_status": {str(k): v for k, v in self.by_status.items()},
        }


class RequestLog(list[RequestRecord]):
    """The list of served requests, oldest first, with running ``counters``."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.counters = Counters()

    def record(self, entry: RequestRecord) -> None:
        """Append ``entry`` and count it."""
        self.append(entry)
        self.counters.add(entry)

    def reset(self) -> None:
        """Forget all requests and counts."""
        self.clear()

    def clear(self) -> None:
        """Forget all requests and counts (``list.clear`` alone would leave the counters)."""
        super().clear()
        self.counters = Counters()

    def for_endpoint(self, endpoint: str) -> list[RequestRecord]:
        """Return the requests to ``endpoint`` (e.g. ``GET /v2/evses``)."""
        return [r for r in self if r.endpoint == endpoint]
