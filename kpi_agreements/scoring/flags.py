"""Site-visit (post-evaluation) flags the system raises itself (DOMAIN §8; 003 slide 27)."""

from decimal import Decimal

from .numbers import to_decimal
from .policy import ScoringPolicy

FAR_FROM_TARGET = "far_from_target"
EXTERNAL_OBSTACLES = "external_obstacles"
MISSING_REPORT = "missing_report"
FLAGS = (FAR_FROM_TARGET, EXTERNAL_OBSTACLES, MISSING_REPORT)

DEFAULT_POLICY = ScoringPolicy()


def site_visit_flags(
    score: Decimal | None,
    narrative: str | None,
    external_obstacles: bool | str | None = False,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> list[str]:
    """Flag codes for one KPI's round report, in the order of ``FLAGS``.

    - ``far_from_target``: the score is below ``policy.far_below`` (default 2: level 1, "much below target")
      or at least ``policy.far_above`` (default 5, "much better than target"; the source flags results far
      above target too). Set ``far_above`` to None to flag only low results.
    - ``external_obstacles``: the report says obstacles outside the unit's control (a true flag or text).
    - ``missing_report``: no score (no result entered) or a blank narrative (an unclear report).
    The fourth ground of §8, doubtful data, is a reviewer's judgement and is not raised here.
    """
    flags = []
    if score is not None:
        value = to_decimal(score, "score")
        if value < policy.far_below or (policy.far_above is not None and value >= policy.far_above):
            flags.append(FAR_FROM_TARGET)
    if isinstance(external_obstacles, str):
        external_obstacles = bool(external_obstacles.strip())
    if external_obstacles:
        flags.append(EXTERNAL_OBSTACLES)
    if score is None or narrative is None or not narrative.strip():
        flags.append(MISSING_REPORT)
    return flags
