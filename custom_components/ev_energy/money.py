"""Amounts the API gives in minor units (pence, cents), converted with the currency's number of decimals."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not a hundredth; every other currency has two decimals.
_DECIMALS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def minor_unit_decimals(currency: str) -> int:
    """Return how many decimals the currency's minor unit has (2 for GBP: 100 pence)."""
    return _DECIMALS.get(currency.upper(), 2)


def from_minor_units(amount: int | None, currency: str | None) -> Decimal | None:
    """Return an amount in minor units in the currency's major unit (1234 pence -> 12.34)."""
    if amount is None or not currency:
        return None
    return Decimal(amount).scaleb(-minor_unit_decimals(currency))


def format_money(amount: int | None, currency: str | None) -> str | None:
    """Return an amount in minor units as text, e.g. ``1.23 GBP``."""
    value = from_minor_units(amount, currency)
    return None if value is None else f"{value} {currency}"
