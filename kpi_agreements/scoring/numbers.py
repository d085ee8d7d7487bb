"""Exact decimal helpers: input conversion and half-up rounding (DOMAIN §7: Decimal, never float)."""

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from functools import lru_cache, wraps

from .errors import ScoringError

ZERO = Decimal(0)

# Additions and products of inputs with up to 60 significant digits are exact in this context; rounding only
# happens where a documented step says so (quantize, divide).
CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


def exact(function):
    """Run ``function`` in CONTEXT, so results do not depend on the caller's decimal context."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with localcontext(CONTEXT):
            return function(*args, **kwargs)

    return wrapper


def to_decimal(value, field: str | None = None) -> Decimal:
    """Accept int, Decimal or a decimal string; reject bool and float (a float is already inexact)."""
    if isinstance(value, bool):
        raise ScoringError("bool_not_allowed", field, value=value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ScoringError("not_a_number", field, value=value) from None
    elif isinstance(value, float):
        raise ScoringError("float_not_allowed", field, value=value)
    elif value is None:
        raise ScoringError("required", field, name=field)
    else:
        raise ScoringError("not_a_number", field, value=value)
    if not number.is_finite():
        raise ScoringError("not_finite", field, value=value)
    return number


def to_int(value, field: str | None = None) -> int:
    """A whole number given as int, Decimal or string ("3", "3.0"); bool and float rejected."""
    number = to_decimal(value, field)
    if number != number.to_integral_value():
        raise ScoringError("not_an_integer", field, value=value)
    return int(number)


@lru_cache(maxsize=16)
def _exponent(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals (the rounding rule of DOMAIN §7)."""
    return value.quantize(_exponent(places), rounding=ROUND_HALF_UP)


def divide(numerator: Decimal, denominator: Decimal, places: int) -> Decimal:
    """numerator / denominator rounded half-up to ``places``, computed exactly with integers.

    Dividing with Decimal first rounds to the context precision and then quantize rounds again; the exact
    quotient avoids that double rounding, and does not depend on the caller's decimal context.
    """
    n1, d1 = numerator.as_integer_ratio()
    n2, d2 = denominator.as_integer_ratio()
    num, den = n1 * d2 * 10**places, d1 * n2
    if den < 0:
        num, den = -num, -den
    quotient, remainder = divmod(abs(num), den)
    if 2 * remainder >= den:
        quotient += 1
    sign = "-" if num < 0 and quotient else ""
    return Decimal(f"{sign}{quotient}E-{places}")
