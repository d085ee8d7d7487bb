import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpi_agreements.organisation import services
from kpi_agreements.organisation.models import Unit


def test_creating_a_unit_puts_it_under_its_parent_in_the_tree(org):
    unit = services.unit_create(
        parent=org.bureau_a, name_th="กลุ่มงานย่อย", abbreviation="กย.", unit_type=org.bureau_a.unit_type
    )
    assert unit.parent == org.bureau_a
    assert org.bureau_a.contains(unit) and org.ministry.contains(unit)
    assert not org.bureau_b.contains(unit)


def test_moving_a_unit_moves_its_whole_subtree(org):
    child = services.unit_create(
        parent=org.bureau_a, name_th="กลุ่ม", abbreviation="กก.", unit_type=org.bureau_a.unit_type
    )
    services.unit_move(unit=org.bureau_a, new_parent=org.other_dept)
    a = Unit.objects.get(pk=org.bureau_a.pk)
    child = Unit.objects.get(pk=child.pk)
    other = Unit.objects.get(pk=org.other_dept.pk)
    assert a.parent == other and other.contains(a) and other.contains(child)
    assert not Unit.objects.get(pk=org.dept.pk).contains(child)
    assert a.history.latest().history_change_reason == "move"


def test_moving_a_unit_under_its_own_descendant_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        services.unit_move(unit=org.dept, new_parent=org.bureau_a)
    assert "parent" in exc.value.error_dict
    assert Unit.objects.get(pk=org.bureau_a.pk).parent == org.dept


def test_moving_a_unit_under_itself_through_the_browser_shows_the_message(org, client_for):
    client = client_for(org.admin)
    response = client.post(reverse("unit_move", args=[org.dept.pk]), {"parent": org.bureau_a.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        f"ไม่สามารถย้ายหน่วยงานไปอยู่ภายใต้หน่วยงานเดิมหรือหน่วยงานย่อยของตนเองได้ ({org.bureau_a})"
    ]
    assert Unit.objects.get(pk=org.dept.pk).parent == org.ministry


def test_duplicate_abbreviation_under_one_parent_is_refused_but_allowed_elsewhere(org):
    with pytest.raises(ValidationError):
        services.unit_create(parent=org.dept, name_th="ซ้ำ", abbreviation="สอ.", unit_type=org.dept.unit_type)
    other = services.unit_create(
        parent=org.other_dept, name_th="ไม่ซ้ำ", abbreviation="สอ.", unit_type=org.dept.unit_type
    )
    assert other.pk


def test_a_unit_cannot_be_created_under_an_inactive_unit(org):
    services.unit_set_active(unit=org.bureau_b, active=False)
    with pytest.raises(ValidationError):
        services.unit_create(
            parent=Unit.objects.get(pk=org.bureau_b.pk),
            name_th="x",
            abbreviation="x",
            unit_type=org.dept.unit_type,
        )


def test_deactivating_a_unit_with_active_sub_units_is_refused(org):
    with pytest.raises(ValidationError):
        services.unit_set_active(unit=org.dept, active=False)
    assert Unit.objects.get(pk=org.dept.pk).is_active


def test_creating_a_unit_in_the_browser_under_an_inactive_parent_shows_the_field_message(org, client_for):
    services.unit_set_active(unit=org.bureau_b, active=False)
    client = client_for(org.planner)
    response = client.post(
        reverse("unit_create"),
        {"parent": org.bureau_b.pk, "name_th": "x", "abbreviation": "x", "unit_type": org.dept.unit_type_id},
    )
    assert response.status_code == 200
    assert Unit.objects.filter(name_th="x").count() == 0
    assert response.context["form"].errors["parent"]


def test_planning_staff_create_rename_and_deactivate_units_in_their_subtree(org, client_for):
    client = client_for(org.planner)
    response = client.post(
        reverse("unit_create"),
        {
            "parent": org.dept.pk,
            "name_th": "สำนักซี",
            "abbreviation": "สซ.",
            "unit_type": org.dept.unit_type_id,
        },
    )
    unit = Unit.objects.get(abbreviation="สซ.")
    assert response.status_code == 302 and unit.parent == org.dept
    client.post(
        reverse("unit_edit", args=[unit.pk]),
        {"name_th": "สำนักซีใหม่", "abbreviation": "สซ.", "unit_type": org.dept.unit_type_id, "name_en": "C"},
    )
    assert Unit.objects.get(pk=unit.pk).name_th == "สำนักซีใหม่"
    client.post(reverse("unit_set_active", args=[unit.pk]), {"active": "0"})
    assert not Unit.objects.get(pk=unit.pk).is_active


def test_planning_staff_cannot_create_a_unit_outside_their_subtree(org, client_for):
    client = client_for(org.planner)
    response = client.post(
        reverse("unit_create"),
        {
            "parent": org.other_dept.pk,
            "name_th": "x",
            "abbreviation": "x",
            "unit_type": org.dept.unit_type_id,
        },
    )
    assert response.status_code == 200 and "parent" in response.context["form"].errors
    assert not Unit.objects.filter(name_th="x").exists()


def test_tree_search_shows_matches_with_their_ancestors(org, client_for):
    response = client_for(org.executive).get(reverse("unit_tree"), {"q": "บี"})
    shown = [row["unit"] for row in response.context["rows"]]
    assert shown == [org.ministry, org.dept, org.bureau_b]
    assert response.context["matches"] == {org.bureau_b.pk}


def _grow(parent, depth, width):
    for i in range(width):
        unit = parent
        for d in range(depth):
            unit = services.unit_create(
                parent=unit, name_th=f"u{i}-{d}", abbreviation=f"u{i}-{d}", unit_type=parent.unit_type
            )


@pytest.mark.parametrize("url_name", ["unit_tree", "unit_detail"])
def test_tree_pages_query_count_does_not_grow_with_depth_or_size(
    org, client_for, django_assert_max_num_queries, url_name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.executive)
    args = [org.ministry.pk] if url_name == "unit_detail" else []

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url_name, args=args)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    _grow(Unit.objects.get(pk=org.bureau_a.pk), depth=6, width=4)
    assert count() == small


def test_subtree_membership_is_one_query_whatever_the_depth(org, django_assert_num_queries):
    _grow(Unit.objects.get(pk=org.bureau_a.pk), depth=8, width=2)
    with django_assert_num_queries(1):
        below = list(Unit.objects.filter(org.dept.subtree_q()))
    assert len(below) == 3 + 16
