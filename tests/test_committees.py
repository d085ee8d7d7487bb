import pytest
from django.urls import reverse

from kpi_agreements.organisation.models import Committee, CommitteeMember, Resolution


def test_planning_staff_create_a_committee_covering_their_units(org, client_for):
    client = client_for(org.planner)
    response = client.post(
        reverse("committee_create"),
        {
            "name": "คณะทำงาน",
            "kind": "working_team",
            "fiscal_year": org.year.pk,
            "unit": org.dept.pk,
            "units_covered": [org.bureau_a.pk, org.bureau_b.pk],
        },
    )
    committee = Committee.objects.get(name="คณะทำงาน")
    assert response.status_code == 302
    assert set(committee.units_covered.all()) == {org.bureau_a, org.bureau_b}


def test_units_covered_must_lie_under_the_convening_unit(org, client_for):
    client = client_for(org.admin)
    response = client.post(
        reverse("committee_create"),
        {
            "name": "ผิด",
            "kind": "working_team",
            "fiscal_year": org.year.pk,
            "unit": org.dept.pk,
            "units_covered": [org.other_dept.pk],
        },
    )
    assert response.status_code == 200 and "units_covered" in response.context["form"].errors
    assert not Committee.objects.filter(name="ผิด").exists()


def test_members_and_resolutions_are_recorded(org, client_for):
    client = client_for(org.planner)
    client.post(
        reverse("committee_member_add", args=[org.committee.pk]),
        {"person": org.executive.pk, "position": "vice_chair"},
    )
    assert CommitteeMember.objects.get(committee=org.committee, person=org.executive).position == "vice_chair"
    client.post(
        reverse("committee_resolution_add", args=[org.committee.pk]),
        {"number": "2/2570", "date": "2026-12-01", "text": "อนุมัติ"},
    )
    resolution = Resolution.objects.get(number="2/2570")
    assert resolution.recorded_by == org.planner and str(resolution.date) == "2026-12-01"


def test_a_duplicate_resolution_number_is_refused_at_the_field(org, client_for):
    client = client_for(org.planner)
    data = {"number": "3/2570", "date": "2026-12-01", "text": "ก"}
    client.post(reverse("committee_resolution_add", args=[org.committee.pk]), data)
    response = client.post(reverse("committee_resolution_add", args=[org.committee.pk]), data)
    assert response.status_code == 400 and "number" in response.context["resolution_form"].errors
    assert Resolution.objects.filter(number="3/2570").count() == 1


def test_a_person_sits_once_on_a_committee(org, client_for):
    response = client_for(org.planner).post(
        reverse("committee_member_add", args=[org.committee.pk]),
        {"person": org.member.pk, "position": "member"},
    )
    assert response.status_code == 400
    assert CommitteeMember.objects.get(committee=org.committee, person=org.member).position == "chair"


def test_a_member_without_a_unit_role_reads_their_committee(org, client_for):
    client = client_for(org.member)
    assert client.get(reverse("committee_detail", args=[org.committee.pk])).status_code == 200
    assert list(client.get(reverse("committee_list")).context["committees"]) == [org.committee]


@pytest.mark.parametrize("persona", ["head_a", "member", "executive", "outsider"])
def test_only_managers_of_the_convening_unit_change_a_committee(org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("committee_edit", args=[org.committee.pk])).status_code == 404
    response = client.post(
        reverse("committee_resolution_add", args=[org.committee.pk]),
        {"number": "9/2570", "date": "2026-12-01", "text": "x"},
    )
    assert response.status_code == 404
    assert not Resolution.objects.filter(number="9/2570").exists()


def test_outsiders_do_not_see_the_committee(org, client_for):
    assert (
        client_for(org.outsider).get(reverse("committee_detail", args=[org.committee.pk])).status_code == 404
    )
