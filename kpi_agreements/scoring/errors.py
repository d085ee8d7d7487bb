"""The one exception type of the scoring package, and its message catalogue.

Every error carries a stable ``code``, the ``params`` its message needs and the ``field`` it belongs to,
so the Django layer can show a translated (Thai) message next to the right form field: look ``code`` up
in its own gettext catalogue and format it with ``params``. ``MESSAGES`` holds the English defaults.
"""

MESSAGES: dict[str, str] = {
    # input values
    "required": "The value '{name}' is missing.",
    "not_a_number": "'{value}' is not a number.",
    "not_finite": "'{value}' is not a usable number.",
    "float_not_allowed": (
        "{value} was given as a floating-point number; give it as text or a Decimal so it stays exact."
    ),
    "bool_not_allowed": "A number is needed here, not yes/no ({value}).",
    "not_an_integer": "'{value}' must be a whole number.",
    "not_a_bool": "Answer yes or no here (got '{value}').",
    "not_a_list": "A list of values is needed here.",
    "not_a_mapping": "A record of named values is needed here.",
    "blank_text": "This text cannot be blank.",
    "not_a_date": "'{value}' is not a date.",
    # criteria and results
    "unknown_method": "'{value}' is not a scoring method; use one of: {choices}.",
    "thresholds_count": "Give exactly 5 threshold values, one for each level 1 to 5 (got {count}).",
    "thresholds_not_monotone": (
        "The 5 threshold values must go steadily up (a higher result is better) or steadily down "
        "(a lower result is better), with no two values equal."
    ),
    "direction_mismatch": "The threshold values go {actual}, but the KPI says a {expected} result is better.",
    "bad_direction": "The direction must be 'higher' or 'lower' (got '{value}').",
    "level_range": "The level must be a whole number from 1 to 5 (got {value}).",
    "levels_count": "Give a description for each of the 5 levels (got {count}).",
    "measures_empty": "Add at least one measure.",
    "actuals_count": "Give one result for each of the {expected} measures (got {count}).",
    "milestone_levels_count": "Give the steps of each of the 5 levels (got {count} levels).",
    "milestone_level_empty": "Level {level} has no steps; every level needs at least one step.",
    "milestone_shape": "Mark each of the {expected} steps of level {level} as done or not (got {count}).",
    # weights, scores and roll-up
    "negative_weight": "A weight cannot be negative (got {value}).",
    "zero_total_weight": "The weights add up to zero; at least one weight must be above zero.",
    "empty": "There is nothing to combine: no KPI scores were given.",
    "score_range": "A score must be between 0 and 5 (got {value}).",
    "negative_penalty": "A penalty cannot be negative (got {value}).",
    "unknown_kpi": "KPI '{key}' is not among the weighted KPIs.",
    "rule_exceeds_weight": "The rules for KPI '{key}' move {moved} of weight, but it only has {weight}.",
    "no_kpi_left": "No KPI with weight is left to take over the weight {weight} of the dropped KPIs.",
    # deadlines and penalties
    "unknown_round": "There is no {value}-month reporting round; use one of: {choices}.",
    "negative_days": "The number of days late cannot be negative (got {value}).",
    # policy
    "bad_interpolation": "Interpolation must be 'linear' or 'step' (got '{value}').",
    "bad_places": "The number of decimal places must be a whole number from 0 to 10 (got {value}).",
    "bad_floor": "The lowest score must be 0 or 1 (got {value}).",
    "policy_unknown_field": "'{value}' is not a scoring policy setting.",
}


class ScoringError(ValueError):
    """Invalid input to a scoring function.

    ``code``: stable key into ``MESSAGES``; ``params``: values for the message; ``field``: where the bad value
    sits (``"thresholds"``, ``"measures[1].weight"``, ``"actual"``) or ``None``; ``message`` / ``str(error)``:
    the English text.
    """

    def __init__(self, code: str, field: str | None = None, **params):
        self.code = code
        self.field = field
        self.params = params
        template = MESSAGES.get(code, code)
        self.message = template.format(**params)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ScoringError(code={self.code!r}, field={self.field!r}, params={self.params!r})"
