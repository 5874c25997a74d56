"""The world outside the house: sun, grid carbon intensity, tariff prices, house load.

Pure functions of time (plus the seed for noise), so any instant can be asked about
again later and gives the same answer: status logs, energy stats and the carbon and
price endpoints stay consistent with what the engine used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
import random

HALF_HOUR = timedelta(minutes=30)
SLOT_SECONDS = 1800

# A UK three-rate time-of-use tariff in pence per kWh, by local (UTC in winter) time.
OFF_PEAK_PENCE = 8
MID_PEAK_PENCE = 24
PEAK_PENCE = 35
OFF_PEAK_HOURS = (0.5, 4.5)
PEAK_HOURS = (16.0, 19.0)


def slot_start(when: datetime) -> datetime:
    """Return the start of the half-hour slot containing ``when``."""
    minute = 0 if when.minute < 30 else 30
    return when.replace(minute=minute, second=0, microsecond=0)


def _hour_of_day(when: datetime) -> float:
    utc = when.astimezone(UTC)
    return utc.hour + utc.minute / 60 + utc.second / 3600


def _noise(seed: int, kind: str, when: datetime) -> float:
    """Return a deterministic value in [0, 1) for a half-hour slot."""
    key = f"{seed}:{kind}:{int(slot_start(when).timestamp())}"
    return random.Random(key).random()


def tariff_price_pence(when: datetime) -> int:
    """Return the import price for ``when`` in pence per kWh."""
    hour = _hour_of_day(when)
    if OFF_PEAK_HOURS[0] <= hour < OFF_PEAK_HOURS[1]:
        return OFF_PEAK_PENCE
    if PEAK_HOURS[0] <= hour < PEAK_HOURS[1]:
        return PEAK_PENCE
    return MID_PEAK_PENCE


def carbon_intensity(seed: int, when: datetime) -> int:
    """Return grid carbon intensity (gCO2/kWh): high at the evening peak, low at night and noon."""
    hour = _hour_of_day(slot_start(when))
    evening_peak = 90 * math.exp(-(((hour - 18.0) / 2.5) ** 2))
    night_dip = -50 * math.exp(-(((hour - 3.5) / 2.5) ** 2))
    noon_dip = -30 * math.exp(-(((hour - 12.5) / 2.0) ** 2))
    noise = 30 * (_noise(seed, "carbon", when) - 0.5)
    return round(170 + evening_peak + night_dip + noon_dip + noise)


def carbon_classification(intensity: int) -> str:
    """Return the GB carbon intensity index band for ``intensity``."""
    if intensity < 60:
        return "very low"
    if intensity < 140:
        return "low"
    if intensity < 210:
        return "moderate"
    if intensity < 310:
        return "high"
    return "very high"


def daylight_hours(when: datetime, latitude: float) -> tuple[float, float]:
    """Return (sunrise, sunset) as UTC hours for a site near the Greenwich meridian."""
    day_of_year = when.timetuple().tm_yday
    declination = -23.44 * math.cos(2 * math.pi * (day_of_year + 10) / 365)
    ratio = -math.tan(math.radians(latitude)) * math.tan(math.radians(declination))
    half_day = math.degrees(math.acos(max(-1.0, min(1.0, ratio)))) / 15
    return 12.0 - half_day, 12.0 + half_day


def solar_power_watts(seed: int, when: datetime, capacity_watts: int, latitude: float) -> int:
    """Return PV output: a sine over the daylight hours, 0 at night, dimmed by cloud."""
    sunrise, sunset = daylight_hours(when, latitude)
    hour = _hour_of_day(when)
    if not sunrise < hour < sunset:
        return 0
    elevation = math.sin(math.pi * (hour - sunrise) / (sunset - sunrise))
    winter_factor = 0.35 + 0.65 * (sunset - sunrise) / 16.5
    cloud = 0.55 + 0.45 * _noise(seed, "cloud", when)
    return max(0, round(capacity_watts * elevation * winter_factor * cloud))


def house_load_watts(seed: int, when: datetime) -> int:
    """Return the house's own consumption without the EV (W)."""
    hour = _hour_of_day(when)
    evening = 900 * math.exp(-(((hour - 19.0) / 2.0) ** 2))
    morning = 500 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
    return round(250 + evening + morning + 150 * _noise(seed, "load", when))
