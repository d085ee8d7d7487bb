"""ScoringPolicy: the per-fiscal-year settings DOMAIN marks **policy** (§7, §8), stored by the app as JSON."""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal

from .errors import ScoringError
from .numbers import to_decimal, to_int

INTERPOLATIONS = ("linear", "step")


class PenaltyTable(Mapping):
    """Read-only, hashable {round months: points per working day late} (§8), so the policy stays frozen."""

    __slots__ = ("_data",)

    def __init__(self, data=()):
        items = data.items() if isinstance(data, Mapping) else data
        table = {}
        for months, amount in items:
            key = f"late_penalty_per_day[{months}]"
            number = to_decimal(amount, key)
            if number < 0:
                raise ScoringError("negative_penalty", key, value=number)
            table[to_int(months, key)] = number
        self._data = dict(sorted(table.items()))

    def __getitem__(self, months):
        return self._data[months]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __hash__(self):
        return hash(tuple(self._data.items()))

    def __repr__(self):
        return f"PenaltyTable({self._data!r})"


def _default_penalties() -> PenaltyTable:
    # §8: only the 12-month report is penalised by default, 0.05 points per working day late.
    return PenaltyTable({6: Decimal(0), 9: Decimal(0), 12: Decimal("0.05")})


@dataclass(frozen=True)
class ScoringPolicy:
    """Scoring settings of one fiscal year. Numbers may be given as int, Decimal or decimal strings."""

    floor: Decimal = Decimal(1)  # §7: score of a result short of level 1 (1 or 0)
    interpolation: str = "linear"  # §7: "linear" between thresholds, or "step" to whole levels
    places: int = 4  # §7: scores shown and rounded to 4 places
    pass_score: Decimal = Decimal(5)  # §7 method 4
    fail_score: Decimal = Decimal(1)
    milestone_partial: bool = False  # §7 method 3: credit for part of the next level's steps
    late_penalty_per_day: Mapping = field(default_factory=_default_penalties)  # §8, keyed by round months
    incentive_threshold: Decimal = Decimal(3)  # §7: OPDC incentive eligibility
    far_below: Decimal = Decimal(2)  # §8 site visit: a score below this is far below target
    far_above: Decimal | None = Decimal(5)  # §8 site visit: a score at or above this is far above target

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        if self.interpolation not in INTERPOLATIONS:
            raise ScoringError("bad_interpolation", "interpolation", value=self.interpolation)
        if isinstance(self.places, bool) or not isinstance(self.places, int) or not 0 <= self.places <= 10:
            raise ScoringError("bad_places", "places", value=self.places)
        if not isinstance(self.milestone_partial, bool):
            raise ScoringError("not_a_bool", "milestone_partial", value=self.milestone_partial)
        floor = to_decimal(self.floor, "floor")
        if floor not in (0, 1):
            raise ScoringError("bad_floor", "floor", value=self.floor)
        put("floor", floor)
        for name in ("pass_score", "fail_score", "incentive_threshold", "far_below", "far_above"):
            value = getattr(self, name)
            if value is None and name == "far_above":
                continue
            number = to_decimal(value, name)
            if not 0 <= number <= 5:
                raise ScoringError("score_range", name, value=value)
            put(name, number)
        if not isinstance(self.late_penalty_per_day, PenaltyTable):
            put("late_penalty_per_day", PenaltyTable(self.late_penalty_per_day))

    @classmethod
    def from_dict(cls, data: Mapping) -> "ScoringPolicy":
        """Build from ``to_dict()`` output (JSON); missing settings take their defaults."""
        if not isinstance(data, Mapping):
            raise ScoringError("not_a_mapping", None)
        known = {f.name for f in fields(cls)}
        for name in data:
            if name not in known:
                raise ScoringError("policy_unknown_field", str(name), value=name)
        return cls(**data)

    def to_dict(self) -> dict:
        """JSON-ready: decimals as strings, penalty table keys as strings (JSON object keys)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, PenaltyTable):
                value = {str(months): str(amount) for months, amount in value.items()}
            out[f.name] = value
        return out
