"""The round card (e-SAR card) of DOMAIN §8: rules (a)-(e) of docs/scoring.md, its errors and properties."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kpi_agreements.scoring.card as card_module
from kpi_agreements.scoring import (
    MESSAGES,
    DimensionScore,
    KPIScore,
    RoundCard,
    ScoringError,
    ScoringPolicy,
    agreement_score,
    combine,
    round_card,
    score,
    weighted_score,
)

UP = {"thresholds": [60, 70, 80, 90, 100]}
DOWN = {"thresholds": [50, 40, 30, 20, 10]}
LEVELS = {"levels": ["a", "b", "c", "d", "e"]}
STEPS = {"levels": [["a"], ["b"], ["c"], ["d"], ["e"]]}
FLOOR_0 = ScoringPolicy(floor=0)


def leaf(code, weight, actual=None, parent=None, dimension="A", criteria=UP, **extra):
    """A quantitative leaf; ``actual=None`` means not reported."""
    result = None if actual is None else {"actual": actual}
    kpi = {"code": code, "parent": parent, "dimension": dimension, "weight": weight}
    return {**kpi, "method": "quantitative", "criteria": criteria, "result": result, **extra}


def parent(code, parent=None, dimension="A", **extra):
    return {"code": code, "parent": parent, "dimension": dimension, **extra}


def figures(card):
    return {code: (str(k.weight), str(k.score), str(k.weighted), k.missing) for code, k in card.kpis.items()}


# -- the worked example of docs/scoring.md ("The round card") ------------------------------------------

WORKED_EXAMPLE = [
    parent("1", dimension="A"),
    leaf("1.1", 10, "85", parent="1", dimension="A"),
    {"code": "1.2", "parent": "1", "dimension": "A", "weight": 5, "method": "qualitative",
     "criteria": LEVELS, "result": {"level": 4}},
    {"code": "2", "parent": None, "dimension": "A", "weight": 20, "method": "pass_fail",
     "criteria": {"condition": "The plan is approved"}, "result": {"passed": True}},
    {"code": "3", "parent": None, "dimension": "B", "weight": 15, "method": "milestone",
     "criteria": STEPS, "result": None},
    leaf("4", 35, "27", dimension="B", criteria=DOWN),
]  # fmt: skip


def test_the_worked_example_of_the_documentation():
    card = round_card(WORKED_EXAMPLE, penalty=Decimal("0.15"), policy=ScoringPolicy())
    assert figures(card) == {
        "1": ("15", "3.6667", "0.6471", False),
        "1.1": ("10", "3.5000", "0.4118", False),
        "1.2": ("5", "4.0000", "0.2353", False),
        "2": ("20", "5.0000", "1.1765", False),
        "3": ("15", "1.0000", "0.1765", True),
        "4": ("35", "3.3000", "1.3588", False),
    }
    assert {key: (str(d.weight), str(d.score), str(d.weighted)) for key, d in card.dimensions.items()} == {
        "A": ("35", "4.4286", "1.8236"),
        "B": ("50", "2.6100", "1.5353"),
    }
    assert card.weight == 85
    assert (str(card.subtotal), str(card.penalty), str(card.total)) == ("3.3589", "0.1500", "3.2089")
    assert card.missing == ("3",)


def test_a_dimensions_weighted_score_is_the_sum_of_printed_figures_not_its_score_weighted_again():
    card = round_card(WORKED_EXAMPLE)
    dimension = card.dimensions["A"]
    assert dimension.weighted == Decimal("1.8236")  # 0.4118 + 0.2353 + 1.1765
    assert weighted_score(dimension.score, dimension.weight, card.weight) == Decimal("1.8235")


# -- (a) leaf scores -----------------------------------------------------------------------------------

METHOD_CASES = [
    ("quantitative", UP, {"actual": "87.5"}, "3.7500"),
    ("quantitative", DOWN, {"actual": "27"}, "3.3000"),
    (
        "multi_quantitative",
        {
            "measures": [
                {"name": "m1", "weight": 2, "thresholds": [60, 70, 80, 90, 100]},
                {"name": "m2", "weight": 1, "thresholds": [1, 2, 3, 4, 5]},
            ]
        },
        {"actuals": ["85", "2"]},
        "3.0000",
    ),  # fmt: skip
    ("milestone", STEPS, {"done": [[True], [True], [False], [True], [False]]}, "2.0000"),
    ("pass_fail", {"condition": "done"}, {"passed": False}, "1.0000"),
    ("qualitative", LEVELS, {"level": 2}, "2.0000"),
]


@pytest.mark.parametrize(("method", "criteria", "result", "expected"), METHOD_CASES)
def test_a_leaf_scores_by_its_method_exactly_as_score_does(method, criteria, result, expected):
    kpi = {"code": "1", "dimension": "A", "weight": 100, "method": method, "criteria": criteria}
    card = round_card([{**kpi, "result": result}])
    assert card.kpis["1"].score == score(method, criteria, result) == Decimal(expected)
    assert card.kpis["1"].weighted == Decimal(expected)  # weight 100 of 100
    assert card.kpis["1"].leaf and not card.kpis["1"].missing


def test_a_leaf_uses_the_policy_given():
    kpis = [leaf("1", 100, "87.5")]
    assert round_card(kpis).kpis["1"].score == Decimal("3.7500")
    assert round_card(kpis, policy=ScoringPolicy(interpolation="step")).kpis["1"].score == Decimal("3.0000")


@pytest.mark.parametrize(("policy", "expected"), [(ScoringPolicy(), "1.0000"), (FLOOR_0, "0.0000")])
def test_a_result_short_of_level_1_scores_the_floor_without_being_missing(policy, expected):
    card = round_card([leaf("1", 100, "59")], policy=policy)
    assert (str(card.kpis["1"].score), card.kpis["1"].missing, card.missing) == (expected, False, ())


@pytest.mark.parametrize(("policy", "expected"), [(ScoringPolicy(), "1.0000"), (FLOOR_0, "0.0000")])
def test_a_leaf_without_a_result_scores_the_floor_and_is_marked_missing(policy, expected):
    card = round_card([leaf("1", 60, "85"), leaf("2", 40)], policy=policy)
    missing = card.kpis["2"]
    assert (str(missing.score), missing.missing) == (expected, True)
    assert missing.weighted == weighted_score(expected, 40, 100)
    assert card.missing == ("2",)
    assert not card.kpis["1"].missing


def test_a_result_key_left_out_counts_as_not_reported():
    kpi = leaf("1", 100)
    del kpi["result"]
    card = round_card([kpi])
    assert (card.kpis["1"].score, card.missing) == (Decimal("1.0000"), ("1",))


def test_a_leaf_without_a_result_still_has_its_criteria_checked():
    with pytest.raises(ScoringError) as error:
        round_card([leaf("1", 100, criteria={"thresholds": [1, 2, 3]})])
    assert (error.value.code, error.value.field) == ("thresholds_count", "kpis[1].criteria.thresholds")


def test_each_leafs_criteria_are_read_once(monkeypatch):
    calls = []

    def counting(method, criteria):
        calls.append(method)
        return parse(method, criteria)

    parse = card_module._parse_criteria
    monkeypatch.setattr(card_module, "_parse_criteria", counting)
    round_card(WORKED_EXAMPLE)
    assert len(calls) == 5  # the five leaves; the parent has no criteria


# -- (b) leaf weighted scores against W ----------------------------------------------------------------


def test_weighted_scores_are_taken_against_the_sum_of_the_leaf_weights_when_a_kpi_reports_later():
    # A 6-month card: KPI 3 (weight 15) reports from the 9-month round, so it is left out and W = 85.
    card = round_card([leaf("1", 50, "85"), leaf("2", 35, "90")])
    assert card.weight == 85
    assert card.kpis["1"].weighted == Decimal("2.0588")  # 3.5 x 50 / 85 = 2.058823...
    assert card.kpis["2"].weighted == Decimal("1.6471")  # 4 x 35 / 85 = 1.647058...
    assert card.subtotal == card.total == Decimal("3.7059")


def test_weights_summing_to_100_weigh_as_score_times_weight_over_100():
    card = round_card([leaf("1", 13, "84.567"), leaf("2", 87, "90")])
    assert card.kpis["1"].score == Decimal("3.4567")
    assert card.kpis["1"].weighted == Decimal("0.4494")  # 3.4567 x 13 / 100 = 0.449371
    assert card.kpis["2"].weighted == Decimal("3.4800")
    assert card.subtotal == Decimal("3.9294")


def test_a_leaf_weighing_0_gets_its_score_but_counts_in_nothing():
    card = round_card([leaf("1", 100, "85", dimension="A"), leaf("2", 0, "100", dimension="A")])
    assert card.kpis["2"].score == Decimal("5.0000")
    assert card.kpis["2"].weighted == Decimal("0.0000")
    assert card.dimensions["A"].score == Decimal("3.5000")
    assert card.subtotal == Decimal("3.5000")


def test_leaf_weights_are_kept_exactly_as_given():
    card = round_card([leaf("1", "33.3333", "85"), leaf("2", Decimal("66.6667"), "85")])
    assert [str(k.weight) for k in card.kpis.values()] == ["33.3333", "66.6667"]
    assert card.weight == Decimal("100.0000")


# -- (c) parents ---------------------------------------------------------------------------------------


def nested():
    """1 > (1.1 > (1.1.1, 1.1.2), 1.2): 1.1 scores 5/3, rounded, before 1 combines it."""
    return [
        parent("1"),
        parent("1.1", parent="1"),
        leaf("1.1.1", 1, "60", parent="1.1"),  # 1.0000
        leaf("1.1.2", 2, "70", parent="1.1"),  # 2.0000
        leaf("1.2", 3, "60", parent="1"),  # 1.0000
    ]


def test_a_parent_combines_its_direct_children_rounded_not_its_leaves():
    card = round_card(nested())
    assert card.kpis["1.1"].score == Decimal("1.6667")  # (1 x 1 + 2 x 2) / 3
    # (3 x 1.6667 + 3 x 1) / 6 = 1.33335 -> 1.3334; over the leaves it would be 8 / 6 -> 1.3333
    assert card.kpis["1"].score == Decimal("1.3334")
    assert combine([(1, 1), (2, 2), (3, 1)]) == Decimal("1.3333")


def test_a_parents_weight_and_weighted_score_are_sums_over_its_children_at_any_depth():
    card = round_card(nested())
    assert figures(card) == {
        "1": ("6", "1.3334", "1.3334", False),
        "1.1": ("3", "1.6667", "0.8334", False),
        "1.1.1": ("1", "1.0000", "0.1667", False),
        "1.1.2": ("2", "2.0000", "0.6667", False),
        "1.2": ("3", "1.0000", "0.5000", False),
    }
    assert [k.leaf for k in card.kpis.values()] == [False, False, True, True, True]
    assert card.subtotal == Decimal("1.3334")


def test_a_chain_of_single_children_carries_the_leafs_figures_up():
    kpis = [parent("1"), parent("1.1", "1"), parent("1.1.1", "1.1"), leaf("1.1.1.1", 20, "85", "1.1.1")]
    card = round_card([*kpis, leaf("2", 80, "90")])
    for code in ("1", "1.1", "1.1.1", "1.1.1.1"):
        assert (card.kpis[code].weight, card.kpis[code].score) == (20, Decimal("3.5000"))
        assert card.kpis[code].weighted == Decimal("0.7000")


def test_a_weight_or_method_given_to_a_parent_is_ignored():
    kpis = nested()
    kpis[0] = parent("1", weight=99, method="qualitative", criteria={}, result={"level": 5})
    card = round_card(kpis)
    assert (card.kpis["1"].weight, card.kpis["1"].score) == (6, Decimal("1.3334"))
    assert card.weight == 6


def test_a_parent_is_missing_if_any_of_its_leaves_is():
    kpis = nested()
    kpis[3] = leaf("1.1.2", 2, None, parent="1.1")
    card = round_card(kpis)
    assert {code: k.missing for code, k in card.kpis.items()} == {
        "1": True, "1.1": True, "1.1.1": False, "1.1.2": True, "1.2": False,
    }  # fmt: skip
    assert card.kpis["1.1.2"].score == Decimal("1.0000")
    assert card.missing == ("1.1.2",)


def test_a_parent_whose_leaves_all_weigh_0_has_no_score():
    card = round_card(
        [parent("1"), leaf("1.1", 0, "85", "1"), leaf("1.2", 0, "90", "1"), leaf("2", 100, "85")]
    )
    assert (card.kpis["1"].weight, card.kpis["1"].score, card.kpis["1"].weighted) == (0, None, 0)
    assert card.kpis["1.1"].score == Decimal("3.5000")


def test_children_may_come_before_their_parents_and_the_card_keeps_the_input_order():
    kpis = nested()[::-1]
    card = round_card(kpis)
    assert list(card.kpis) == ["1.2", "1.1.2", "1.1.1", "1.1", "1"]
    assert card.kpis["1"].score == Decimal("1.3334")


# -- (d) dimensions ------------------------------------------------------------------------------------


def test_a_dimension_combines_its_leaves_and_sums_their_weighted_scores():
    card = round_card(
        [
            parent("1", dimension="A"),
            leaf("1.1", 13, "85", "1", dimension="A"),  # 3.5000
            leaf("1.2", 7, "93", "1", dimension="A"),  # 4.3000
            leaf("2", 30, "70", dimension="B"),  # 2.0000
            leaf("3", 50, "100", dimension="A"),  # 5.0000
        ]
    )
    a = card.dimensions["A"]
    assert (a.key, a.weight) == ("A", 70)
    assert a.score == Decimal("4.6514")  # (45.5 + 30.1 + 250) / 70 = 4.651428...
    assert a.weighted == Decimal("0.4550") + Decimal("0.3010") + Decimal("2.5000") == Decimal("3.2560")
    assert card.dimensions["B"] == DimensionScore("B", Decimal(30), Decimal("2.0000"), Decimal("0.6000"))
    assert list(card.dimensions) == ["A", "B"]


def test_dimensions_come_in_order_of_their_first_leaf_and_may_be_any_hashable_key():
    card = round_card([leaf("1", 20, "85", dimension=2), leaf("2", 30, "85", dimension=(1, "x")),
                       leaf("3", 50, "85", dimension=2)])  # fmt: skip
    assert list(card.dimensions) == [2, (1, "x")]
    assert card.dimensions[2].weight == 70


def test_a_leaf_without_a_dimension_counts_under_none():
    kpi = leaf("1", 100, "85")
    del kpi["dimension"]
    assert list(round_card([kpi]).dimensions) == [None]


def test_a_dimension_whose_leaves_all_weigh_0_has_no_score():
    card = round_card([leaf("1", 100, "85", dimension="A"), leaf("2", 0, "85", dimension="B")])
    assert card.dimensions["B"] == DimensionScore("B", Decimal(0), None, Decimal("0.0000"))


# -- (e) subtotal, penalty, total ----------------------------------------------------------------------


def test_the_total_is_the_subtotal_less_the_penalty():
    card = round_card([leaf("1", 100, "85")], penalty="0.05")
    assert (str(card.subtotal), str(card.penalty), str(card.total)) == ("3.5000", "0.0500", "3.4500")


def test_no_penalty_by_default():
    card = round_card([leaf("1", 100, "85")])
    assert (card.penalty, card.total) == (Decimal("0.0000"), Decimal("3.5000"))


@pytest.mark.parametrize(
    ("policy", "penalty", "expected"),
    [
        (ScoringPolicy(), "0.5", "1.0000"),  # 1.3 - 0.5 = 0.8, lifted to the floor 1
        (ScoringPolicy(), "0.3", "1.0000"),  # exactly at the floor
        (ScoringPolicy(), "0.2999", "1.0001"),
        (FLOOR_0, "0.5", "0.8000"),  # the floor 0 is far below
        (FLOOR_0, "2", "0.0000"),
    ],
)
def test_a_penalty_never_takes_the_total_below_the_floor(policy, penalty, expected):
    card = round_card([leaf("1", 100, "63")], penalty=penalty, policy=policy)  # 1.3000
    assert card.subtotal == Decimal("1.3000")
    assert str(card.total) == expected


def test_the_floor_applies_to_a_card_whose_kpis_all_score_0():
    card = round_card([leaf("1", 60), leaf("2", 40, "10")], penalty="0.15", policy=FLOOR_0)
    assert (str(card.subtotal), str(card.total), card.missing) == ("0.0000", "0.0000", ("1",))


def test_the_penalty_is_shown_rounded_and_the_total_subtracts_the_figure_shown():
    card = round_card([leaf("1", 100, "85")], penalty="0.00005")
    assert (str(card.penalty), str(card.total)) == ("0.0001", "3.4999")


def test_the_subtotal_is_the_sum_of_the_printed_figures_so_it_may_exceed_5_by_rounding():
    card = round_card([leaf(code, 1, "100") for code in "123"])
    assert [str(k.weighted) for k in card.kpis.values()] == ["1.6667"] * 3  # 5 / 3
    assert card.subtotal == card.total == Decimal("5.0001")


def test_every_figure_has_the_policys_places():
    card = round_card(WORKED_EXAMPLE, penalty="0.15", policy=ScoringPolicy(places=2))
    assert (str(card.kpis["1.1"].weighted), str(card.dimensions["A"].score)) == ("0.41", "4.43")
    # 0.41 + 0.24 + 1.18 + 0.18 + 1.36: each leaf rounded to 2 places before the sum
    assert (str(card.subtotal), str(card.penalty), str(card.total)) == ("3.37", "0.15", "3.22")


def test_the_result_types_are_frozen():
    card = round_card([leaf("1", 100, "85")])
    assert isinstance(card, RoundCard) and isinstance(card.kpis["1"], KPIScore)
    with pytest.raises(AttributeError):
        card.total = Decimal(5)
    with pytest.raises(AttributeError):
        card.kpis["1"].score = Decimal(5)


# -- errors --------------------------------------------------------------------------------------------

OK = leaf("1", 100, "85")

# (description, kpis, penalty, expected code, expected field)
ERRORS = [
    ("kpis that are not a list", "1,2", 0, "not_a_list", "kpis"),
    ("no kpis", [], 0, "empty", "kpis"),
    ("a kpi that is not a mapping", [OK, ["2"]], 0, "not_a_mapping", "kpis[1]"),
    ("a kpi without a code", [OK, leaf(None, 1, "85")], 0, "required", "kpis[1].code"),
    ("a blank code", [OK, leaf(" ", 1, "85")], 0, "required", "kpis[1].code"),
    ("a duplicate code", [OK, leaf("2", 1, "85"), leaf("1", 1, "85")], 0, "duplicate_kpi", "kpis[2].code"),
    ("an unknown parent", [OK, leaf("1.1", 1, "85", parent="9")], 0, "unknown_parent", "kpis[1.1].parent"),
    (
        "a kpi that is its own parent",
        [OK, leaf("2", 1, "85", parent="2")],
        0,
        "parent_cycle",
        "kpis[2].parent",
    ),
    (
        "two kpis that are each other's parent",
        [OK, parent("2", parent="3"), parent("3", parent="2"), leaf("3.1", 1, "85", parent="3")],
        0,
        "parent_cycle",
        "kpis[2].parent",
    ),
    (
        "a leaf without a method",
        [OK, {**leaf("2", 1, "85"), "method": None}],
        0,
        "method_required",
        "kpis[2].method",
    ),
    ("a leaf with a blank method", [{**OK, "method": ""}], 0, "method_required", "kpis[1].method"),
    (
        "a parent's leaf without a method",
        [parent("1"), {"code": "1.1", "parent": "1", "weight": 1}],
        0,
        "method_required",
        "kpis[1.1].method",
    ),
    ("an unknown method", [{**OK, "method": "fuzzy"}], 0, "unknown_method", "kpis[1].method"),
    ("a negative weight", [OK, leaf("2", "-1", "85")], 0, "negative_weight", "kpis[2].weight"),
    (
        "a leaf without a weight",
        [OK, {**leaf("2", 1, "85"), "weight": None}],
        0,
        "required",
        "kpis[2].weight",
    ),
    ("a float weight", [leaf("1", 100.0, "85")], 0, "float_not_allowed", "kpis[1].weight"),
    (
        "leaf weights adding up to 0",
        [leaf("1", 0, "85"), leaf("2", "0.00", "85")],
        0,
        "zero_total_weight",
        "kpis",
    ),
    ("a negative penalty", [OK], "-0.05", "negative_penalty", "penalty"),
    ("a penalty that is not a number", [OK], "late", "not_a_number", "penalty"),
    (
        "criteria that are not a mapping",
        [{**OK, "criteria": [60, 70]}],
        0,
        "not_a_mapping",
        "kpis[1].criteria",
    ),
    ("criteria left out", [{**OK, "criteria": None}], 0, "not_a_mapping", "kpis[1].criteria"),
    (
        "bad thresholds",
        [leaf("1", 100, "85", criteria={"thresholds": [1, 3, 2, 4, 5]})],
        0,
        "thresholds_not_monotone",
        "kpis[1].criteria.thresholds",
    ),
    ("a result that is not a mapping", [{**OK, "result": "85"}], 0, "not_a_mapping", "kpis[1].result"),
    (
        "a result in the wrong shape",
        [OK, leaf("1.1", 1, "eighty")],
        0,
        "not_a_number",
        "kpis[1.1].result.actual",
    ),
    ("a result without its value", [{**OK, "result": {"level": 3}}], 0, "required", "kpis[1].result.actual"),
    (
        "a milestone result in the wrong shape",
        [{**OK, "method": "milestone", "criteria": STEPS, "result": {"done": [[True]] * 4}}],
        0,
        "milestone_levels_count",
        "kpis[1].result.done",
    ),
]


@pytest.mark.parametrize(
    ("kpis", "penalty", "code", "field"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_invalid_input_raises_scoring_error_with_its_code_and_field(kpis, penalty, code, field):
    with pytest.raises(ScoringError) as error:
        round_card(kpis, penalty=penalty)
    assert (error.value.code, error.value.field) == (code, field)
    assert str(error.value) == MESSAGES[code].format(**error.value.params)


def test_the_new_messages_name_the_kpi():
    cases = {
        "duplicate_kpi": ([OK, OK], "KPI '1' appears more than once."),
        "unknown_parent": (
            [leaf("1.1", 1, "85", parent="1")],
            "KPI '1.1' names '1' as its parent KPI, but there is no such KPI.",
        ),
        "parent_cycle": (
            [parent("1", parent="1.1"), parent("1.1", parent="1"), OK | {"code": "2"}],
            "KPI '1' is a sub-KPI of itself, directly or through other KPIs.",
        ),
        "method_required": (
            [{**OK, "method": None}],
            "KPI '1' has no sub-KPIs, so it needs a scoring method.",
        ),
    }
    for code, (kpis, message) in cases.items():
        with pytest.raises(ScoringError) as error:
            round_card(kpis)
        assert (error.value.code, str(error.value)) == (code, message)


def test_an_error_from_a_kpis_result_keeps_the_engines_cause():
    with pytest.raises(ScoringError) as error:
        round_card([leaf("1", 100, "eighty")])
    assert isinstance(error.value.__cause__, ScoringError)
    assert error.value.__cause__.field == "actual"
    assert error.value.params == {"value": "eighty"}


# -- properties ----------------------------------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None)
values = st.decimals(min_value=0, max_value=120, places=2)
weights = st.decimals(min_value=0, max_value=100, places=2)
penalties = st.decimals(min_value=0, max_value=6, places=4)
policies = st.builds(
    ScoringPolicy, floor=st.sampled_from([0, 1]), interpolation=st.sampled_from(["linear", "step"])
)


@st.composite
def report_kpis(draw):
    """A random KPI tree (any depth) in random input order; leaves quantitative, some not reported."""
    count = draw(st.integers(1, 14))
    kpis = []
    for i in range(count):
        up = draw(st.none() | st.integers(0, i - 1)) if i else None
        kpis.append({"code": f"k{i}", "parent": None if up is None else f"k{up}",
                     "dimension": draw(st.sampled_from("ABC"))})  # fmt: skip
    named = {kpi["parent"] for kpi in kpis}
    for kpi in kpis:
        if kpi["code"] not in named:
            actual = draw(st.none() | values)
            kpi.update(
                weight=draw(weights),
                method="quantitative",
                criteria=draw(st.sampled_from([UP, DOWN])),
                result=None if actual is None else {"actual": actual},
            )
    assume(sum(kpi.get("weight", 0) for kpi in kpis) > 0)
    return draw(st.permutations(kpis))


def leaves_of(card):
    return [k for k in card.kpis.values() if k.leaf]


@FAST
@given(report_kpis(), penalties, policies)
def test_the_subtotal_is_the_sum_of_the_leaf_weighted_scores_and_the_total_never_below_the_floor(
    kpis, penalty, policy
):
    card = round_card(kpis, penalty=penalty, policy=policy)
    leaves = leaves_of(card)
    assert card.subtotal == sum(k.weighted for k in leaves)
    assert card.weight == sum(k.weight for k in leaves)
    assert card.total >= policy.floor
    assert card.total == max(card.subtotal - penalty, policy.floor)
    assert card.total == agreement_score([(k.weight, k.score) for k in leaves], penalty, policy)
    exact = sum(Fraction(k.score) * Fraction(k.weight) for k in leaves) / Fraction(card.weight)
    assert abs(Fraction(card.subtotal) - exact) <= len(leaves) * Fraction(1, 2 * 10**4)


@FAST
@given(report_kpis(), policies)
def test_each_leaf_is_scored_by_its_method_and_weighted_against_w(kpis, policy):
    card = round_card(kpis, policy=policy)
    for kpi in kpis:
        row = card.kpis[kpi["code"]]
        if not row.leaf:
            continue
        if kpi["result"] is None:
            assert (row.score, row.missing) == (policy.floor, True)
        else:
            assert row.score == score("quantitative", kpi["criteria"], kpi["result"], policy)
            assert not row.missing
        assert row.weighted == weighted_score(row.score, row.weight, card.weight)
    assert card.missing == tuple(k["code"] for k in kpis if "method" in k and k["result"] is None)
    assert list(card.kpis) == [kpi["code"] for kpi in kpis]


@FAST
@given(report_kpis(), policies)
def test_parents_and_dimensions_add_up_from_their_members(kpis, policy):
    card = round_card(kpis, policy=policy)
    for row in card.kpis.values():
        if row.leaf:
            continue
        kids = [k for k in card.kpis.values() if k.parent == row.code]
        assert row.weight == sum(k.weight for k in kids)
        assert row.weighted == sum(k.weighted for k in kids)
        assert row.missing == any(k.missing for k in kids)
        if row.weight:
            assert row.score == combine([(k.weight, k.score) for k in kids if k.weight])
        else:
            assert row.score is None
    for key, dimension in card.dimensions.items():
        members = [k for k in leaves_of(card) if k.dimension == key]
        assert dimension.weight == sum(k.weight for k in members)
        assert dimension.weighted == sum(k.weighted for k in members)
        if dimension.weight:
            assert policy.floor <= dimension.score <= 5
    assert sum(d.weight for d in card.dimensions.values()) == card.weight
    assert sum(d.weighted for d in card.dimensions.values()) == card.subtotal


@FAST
@given(report_kpis(), penalties, policies)
def test_every_figure_has_4_places(kpis, penalty, policy):
    card = round_card(kpis, penalty=penalty, policy=policy)
    figures = [card.subtotal, card.penalty, card.total]
    figures += [f for k in card.kpis.values() for f in (k.score, k.weighted) if f is not None]
    figures += [f for d in card.dimensions.values() for f in (d.score, d.weighted) if f is not None]
    assert all(f.as_tuple().exponent == -4 for f in figures)
