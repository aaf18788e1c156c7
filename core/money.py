"""Money rules: integer minor units with a currency, never floats."""

from __future__ import annotations

from dataclasses import dataclass

# ISO 4217 currencies whose minor unit is not 1/100 (the ones a parking operator may meet).
_EXPONENTS = {"JPY": 0, "KRW": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    def format(self) -> str:
        """`12.50 EUR`: plain and unambiguous in any language."""
        exp = currency_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d} {self.currency}" if exp else f"{sign}{whole} {self.currency}"


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def price_for_minutes(price_per_hour: int, minutes: int) -> int:
    """ceil(price_per_hour × minutes / 60) in minor units (DESIGN.md §5), exactly."""
    if price_per_hour < 0 or minutes < 0:
        raise ValueError("price and minutes must not be negative")
    return -(-price_per_hour * minutes // 60)


def parse_amount(text: str, currency: str) -> int:
    """`12`, `12.5`, `12,50` → minor units; ValueError on anything else."""
    cleaned = text.strip().replace(",", ".")
    exp = currency_exponent(currency)
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > exp)):
        raise ValueError(f"not an amount: {text!r}")
    minor: int = int(whole) * 10**exp + (int(frac.ljust(exp, "0")) if frac else 0)
    return minor
