"""Exact decimal helpers: input conversion and half-up rounding (DOMAIN §7: Decimal, never float)."""

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import lru_cache, wraps

from .errors import ScoringError

ZERO = Decimal(0)

# Bounds on every number the engine accepts (issue 8): no KPI figure needs more, and they keep the exact
# arithmetic below cheap. Without them "1e999999999" is a valid Decimal whose exact division takes minutes.
MAX_DIGITS = 15  # significant digits, and decimal places
LIMIT_DIGITS = 12  # magnitude: strictly below 10**12
LIMIT = 10**LIMIT_DIGITS
LIMIT_TEXT = f"{LIMIT:,}"
_MAX_TEXT = 40  # longer text cannot be a number within the bounds; refused before it is parsed

# Additions and products of inputs with up to 60 significant digits are exact in this context; rounding only
# happens where a documented step says so (quantize, divide).
CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
# divide(): quotients truncated to CONTEXT's precision, then rounded once (see there).
_TRUNCATE = Context(prec=60, rounding=ROUND_DOWN, traps=[InvalidOperation, DivisionByZero, Overflow])
_TRUNCATED_LIMIT = 40  # digits before the point up to which the truncated quotient rounds exactly


def exact(function):
    """Run ``function`` in CONTEXT, so results do not depend on the caller's decimal context."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with localcontext(CONTEXT):
            return function(*args, **kwargs)

    return wrapper


def shown(value) -> str:
    """``value`` as quoted in a message: hostile input can be megabytes long."""
    try:
        text = str(value)
    except ValueError:  # an int beyond Python's limit for converting to text
        return "…"
    return text if len(text) <= 24 else text[:20] + "…"


def to_decimal(value, field: str | None = None) -> Decimal:
    """Accept int, Decimal or a decimal string within the bounds above; reject bool and float (a float is
    already inexact), exponent notation, NaN and infinities. Every check runs before any arithmetic."""
    if type(value) is str:  # the usual case, a number as stored: short plain text needs no more checks
        text = value.strip()
        if len(text) <= MAX_DIGITS and "e" not in text and "E" not in text:
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise ScoringError("not_a_number", field, value=shown(value)) from None
            if number.is_finite() and number.adjusted() < LIMIT_DIGITS:
                return number
    if isinstance(value, bool):
        raise ScoringError("bool_not_allowed", field, value=value)
    if isinstance(value, int):
        if not -LIMIT < value < LIMIT:
            raise ScoringError("too_large", field, value=shown(value), limit=LIMIT_TEXT)
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT:
            if text.lstrip("+-").replace(".", "", 1).isdigit():
                raise ScoringError("too_many_digits", field, value=shown(text), max=MAX_DIGITS)
            raise ScoringError("not_a_number", field, value=shown(text))
        try:
            number = Decimal(text)  # cheap even for "1e999999999"; only arithmetic on it is slow
        except InvalidOperation:
            raise ScoringError("not_a_number", field, value=shown(value)) from None
        if "e" in text or "E" in text:  # a valid Decimal with an "e" is exponent notation
            raise ScoringError("exponent_not_allowed", field, value=text)
    elif isinstance(value, float):
        raise ScoringError("float_not_allowed", field, value=value)
    elif value is None:
        raise ScoringError("required", field, name=field)
    else:
        raise ScoringError("not_a_number", field, value=shown(value))
    if not number.is_finite():
        raise ScoringError("not_finite", field, value=value)
    # Text of at most MAX_DIGITS characters cannot hold more digits or decimals than that.
    if type(value) is not str or len(text) > MAX_DIGITS:
        _sign, digits, exponent = number.as_tuple()
        if len(digits) > MAX_DIGITS or exponent < -MAX_DIGITS:
            raise ScoringError("too_many_digits", field, value=shown(value), max=MAX_DIGITS)
    if number.adjusted() >= LIMIT_DIGITS:  # |number| >= LIMIT, read off the exponent, not computed
        raise ScoringError("too_large", field, value=shown(value), limit=LIMIT_TEXT)
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
    """numerator / denominator rounded half-up to ``places``, exactly, whatever the caller's decimal context.

    Dividing with Decimal first rounds to the context precision and then quantize rounds again. Here the
    quotient is truncated to 60 significant digits instead, then rounded once: every halfway point it can be
    rounded at lies on that 60-digit grid (the quotient has fewer than 40 digits before the point), so a
    truncated quotient is below a halfway point exactly when the true one is, and the result is the exact
    quotient's. A larger quotient is divided with integers.
    """
    quotient = _TRUNCATE.divide(numerator, denominator)
    if quotient.adjusted() >= _TRUNCATED_LIMIT - places:
        return _divide_integers(numerator, denominator, places)
    result = quotient.quantize(_exponent(places), rounding=ROUND_HALF_UP, context=CONTEXT)
    return result if result else result.copy_abs()  # zero without a sign, as the integer path gives


def _divide_integers(numerator, denominator, places: int) -> Decimal:
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
