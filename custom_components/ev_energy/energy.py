"""An energy total that never goes backwards and never counts the same energy twice.

A charger's ``meter_reading_watt_hours`` is a lifetime counter, but a cloud API can send a stray low value, and a
meter can be replaced or reset. A ``total_increasing`` sensor that followed such a reading would make the Energy
panel count the whole meter again. This total follows the meter while it rises, holds on a single low reading,
and only after a second low reading in a row accepts that the meter restarted (from zero), adding what it
counted since.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class MeterTotal:
    """Energy counted from a meter's readings, in Wh."""

    total_wh: float | None = None
    last_reading_wh: float | None = None
    low_reading_wh: float | None = None

    def add_reading(self, reading_wh: float | None) -> float | None:
        """Take in a meter reading and return the total."""
        if reading_wh is None or reading_wh < 0:
            return self.total_wh
        if self.total_wh is None or self.last_reading_wh is None:
            self.total_wh = self.last_reading_wh = reading_wh
        elif reading_wh >= self.last_reading_wh:
            self.total_wh += reading_wh - self.last_reading_wh
            self.last_reading_wh = reading_wh
            self.low_reading_wh = None
        elif self.low_reading_wh is None or reading_wh < self.low_reading_wh:
            # One low reading may be a glitch: hold until the next one tells.
            self.low_reading_wh = reading_wh
        else:
            # Two low readings in a row: the meter restarted from zero.
            self.total_wh += reading_wh
            self.last_reading_wh = reading_wh
            self.low_reading_wh = None
        return self.total_wh

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MeterTotal:
        """Restore from ``as_dict``; anything unreadable starts afresh."""
        if not data:
            return cls()
        try:
            return cls(
                **{
                    key: _optional_float(data.get(key))
                    for key in ("total_wh", "last_reading_wh", "low_reading_wh")
                }
            )
        except (TypeError, ValueError):
            return cls()


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
