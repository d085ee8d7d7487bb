"""Personas: every page that shows a unit's data refuses the wrong user (STYLE.md)."""

import pytest
from django.urls import reverse

from kpi_agreements.organisation.access import scope_of


def test_unit_head_of_a_cannot_see_or_change_b(org, client_for):
    client = client_for(org.head_a)
    assert client.get(reverse("unit_detail", args=[org.bureau_a.pk])).status_code == 200
    assert client.get(reverse("unit_detail", args=[org.bureau_b.pk])).status_code == 404
    assert client.get(reverse("unit_edit", args=[org.bureau_a.pk])).status_code == 404
    assert client.post(reverse("unit_set_active", args=[org.bureau_b.pk]), {"active": "0"}).status_code == 404
    tree = client.get(reverse("unit_tree"))
    assert [r["unit"] for r in tree.context["rows"]] == [org.bureau_a]


def test_executive_of_the_ministry_sees_all_its_departments(org, client_for):
    client = client_for(org.executive)
    for unit in (org.ministry, org.dept, org.other_dept, org.bureau_a, org.bureau_b):
        assert client.get(reverse("unit_detail", args=[unit.pk])).status_code == 200
    assert client.get(reverse("unit_edit", args=[org.dept.pk])).status_code == 404


def test_outsider_sees_nothing(org, client_for):
    client = client_for(org.outsider)
    for name, args in [
        ("unit_detail", [org.ministry.pk]),
        ("person_detail", [org.head_a.pk]),
        ("committee_detail", [org.committee.pk]),
        ("unit_move", [org.dept.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.get(reverse("unit_tree")).context["rows"] == []


def test_anonymous_users_are_sent_to_log_in(org, client):
    response = client.get(reverse("unit_tree"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "persona, unit_name, expected",
    [
        ("planner", "dept", True),
        ("planner", "bureau_a", True),
        ("planner", "other_dept", False),
        ("planner", "ministry", False),
        ("admin", "other_dept", True),
        ("head_a", "bureau_a", False),
        ("executive", "dept", False),
    ],
)
def test_who_manages_which_unit(org, persona, unit_name, expected):
    from kpi_agreements.organisation.access import can_manage_unit

    assert can_manage_unit(getattr(org, persona), getattr(org, unit_name)) is expected


def test_people_list_shows_only_people_in_scope(org, client_for):
    people = list(client_for(org.head_a).get(reverse("person_list")).context["people"])
    assert org.head_a in people and org.head_b not in people and org.outsider not in people


def test_rules_permissions_ask_the_same_question(org):
    assert org.planner.has_perm("organisation.change_unit", org.bureau_a)
    assert not org.head_a.has_perm("organisation.view_unit", org.bureau_b)


def test_scope_is_read_once_per_user_object(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        scope = scope_of(org.executive)
        for _ in range(5):
            scope_of(org.executive).covers(org.bureau_b)
    assert scope.covers(org.bureau_b)


def test_a_role_on_an_inactive_unit_grants_nothing(org):
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_a.pk).update(is_active=False)
    assert not scope_of(org.head_a).covers(org.bureau_a)


def test_navigation_offers_management_only_to_managers(org, client_for):
    from django.urls import reverse as r

    planner_page = client_for(org.planner).get(r("home")).content.decode()
    assert r("unit_create") in planner_page and r("person_create") not in planner_page
    admin_page = client_for(org.admin).get(r("home")).content.decode()
    assert r("person_create") in admin_page and r("year_create") in admin_page
    head_page = client_for(org.head_a).get(r("home")).content.decode()
    assert r("unit_create") not in head_page and r("person_create") not in head_page
