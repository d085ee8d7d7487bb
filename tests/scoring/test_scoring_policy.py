"""ScoringPolicy: defaults, validation, JSON round trip and immutability (DOMAIN §7, §8 policies)."""

import dataclasses
import json
from decimal import Decimal

import pytest

from kpi_agreements.scoring import ScoringError, ScoringPolicy


def test_the_defaults_are_those_of_the_domain():
    policy = ScoringPolicy()
    assert policy.floor == Decimal(1)
    assert policy.interpolation == "linear"
    assert policy.places == 4
    assert (policy.pass_score, policy.fail_score) == (Decimal(5), Decimal(1))
    assert policy.milestone_partial is False
    assert dict(policy.late_penalty_per_day) == {6: Decimal(0), 9: Decimal(0), 12: Decimal("0.05")}
    assert policy.incentive_threshold == Decimal(3)
    assert (policy.far_below, policy.far_above) == (Decimal(2), Decimal(5))


def test_numbers_given_as_text_are_stored_as_decimals():
    policy = ScoringPolicy(floor="0", pass_score="4.5", late_penalty_per_day={"12": "0.1"})
    assert policy.floor == Decimal(0)
    assert policy.pass_score == Decimal("4.5")
    assert policy.late_penalty_per_day[12] == Decimal("0.1")


def test_a_policy_cannot_be_changed_after_it_is_made():
    policy = ScoringPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.floor = Decimal(0)
    with pytest.raises(TypeError):
        policy.late_penalty_per_day[12] = Decimal(1)


def test_equal_policies_are_equal_and_hash_alike():
    a = ScoringPolicy(late_penalty_per_day={12: "0.05", 6: 0, 9: 0})
    b = ScoringPolicy()
    assert a == b
    assert hash(a) == hash(b)
    assert ScoringPolicy(floor=0) != b


def test_a_policy_survives_a_json_round_trip():
    policy = ScoringPolicy(
        floor=0,
        interpolation="step",
        places=2,
        pass_score="4",
        fail_score="0",
        milestone_partial=True,
        late_penalty_per_day={12: "0.1", 6: "0.02"},
        incentive_threshold="3.5",
        far_below="1.5",
        far_above=None,
    )
    stored = json.loads(json.dumps(policy.to_dict()))
    assert ScoringPolicy.from_dict(stored) == policy


def test_decimals_are_stored_as_strings():
    data = ScoringPolicy().to_dict()
    assert data["late_penalty_per_day"] == {"6": "0", "9": "0", "12": "0.05"}
    assert data["incentive_threshold"] == "3"
    assert data["places"] == 4


def test_missing_settings_take_their_defaults():
    assert ScoringPolicy.from_dict({"floor": "0"}) == ScoringPolicy(floor=0)


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"places": True}, "bad_places", "places"),
        ({"places": 11}, "bad_places", "places"),
        ({"places": "4"}, "bad_places", "places"),
        ({"milestone_partial": "yes"}, "not_a_bool", "milestone_partial"),
        ({"pass_score": 6}, "score_range", "pass_score"),
        ({"fail_score": "-1"}, "score_range", "fail_score"),
        ({"incentive_threshold": 3.0}, "float_not_allowed", "incentive_threshold"),
        ({"late_penalty_per_day": {12: "-0.05"}}, "negative_penalty", "late_penalty_per_day[12]"),
        ({"late_penalty_per_day": {"twelve": "0.05"}}, "not_a_number", "late_penalty_per_day[twelve]"),
    ],
)
def test_a_bad_setting_is_refused_with_the_setting_named(values, code, field):
    with pytest.raises(ScoringError) as error:
        ScoringPolicy(**values)
    assert (error.value.code, error.value.field) == (code, field)


def test_a_policy_read_from_something_other_than_a_record_is_refused():
    with pytest.raises(ScoringError) as error:
        ScoringPolicy.from_dict(["floor", 1])
    assert error.value.code == "not_a_mapping"
