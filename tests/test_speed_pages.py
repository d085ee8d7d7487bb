"""Issue 14: the pages a ministry of two thousand units reads every day stay the same size and cost.

Each list shows 50 rows a page, searched and filtered; each page keeps its number of queries when the
organisation, the committee's units or the agreement's KPIs double. The cascade map reads one unit at a time.
No timing here: bench/ measures the time (bench_lists.py, bench_cascade_map.py, bench_kpi_form.py,
bench_agreement_page.py).
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.access import agreements_visible_to, get_agreement_for, get_kpi_for
from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import drafting
from kpi_agreements.organisation.models import Person, RoleAssignment, Unit
from tests.conftest import PASSWORD
from tests.factories import QUANT, add_kpi
from tests.test_agreement_editor import CRITERIA_POST, kpi_post
from tests.test_browser_foundation import log_in


def add_bureaus(org, count: int, name: str = "สำนักทดสอบ") -> list[Unit]:
    """``count`` more bureaus under the department, written in bulk as treebeard would write them, each with
    a head holding the unit-head role on it."""
    dept = Unit.objects.get(pk=org.dept.pk)
    start = dept.numchild
    paths = [Unit._get_path(dept.path, dept.depth + 1, start + i) for i in range(1, count + 1)]
    Unit.objects.bulk_create(
        Unit(
            path=path,
            depth=dept.depth + 1,
            numchild=0,
            parent=dept,
            name_th=f"{name} {start + i}",
            abbreviation=f"ท{start + i}.",
            unit_type=org.bureau_a.unit_type,
        )
        for i, path in enumerate(paths, start=1)
    )
    Unit.objects.filter(pk=dept.pk).update(numchild=start + count)
    units = list(Unit.objects.filter(path__in=paths).order_by("path"))
    heads = Person.objects.bulk_create(
        Person(username=f"head{u.pk}", first_name=f"หัวหน้า{u.pk}", last_name="ทดสอบ", position="ผอ.")
        for u in units
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=h, unit=u, role="unit_head") for h, u in zip(heads, units, strict=True)
    )
    return units


def add_agreements(org, units, dims, *, status="draft", kpis=0, serving=()) -> list[Agreement]:
    """An agreement of FY 2570 for each unit, with ``kpis`` KPIs each, the k-th serving ``serving[k]``."""
    made = Agreement.objects.bulk_create(
        Agreement(unit=u, fiscal_year=org.year, status=status) for u in units
    )
    KPI.objects.bulk_create(
        KPI(
            agreement=a,
            dimension=dims[k % 4],
            order=k + 1,
            name=f"ตัวชี้วัด {k + 1} ของ {a.unit.abbreviation}",
            weight=Decimal(1),
            criteria=QUANT,
            cascaded_from=serving[k] if k < len(serving) else None,
        )
        for a in made
        for k in range(kpis)
    )
    return made


def queries(client, url, params=None) -> int:
    client.get(url, params or {})  # once to warm the caches (content types), which a first request fills
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def rows_of(response) -> list:
    return [row["unit"] for row in response.context["rows"]]


# --- the unit tree and the unit's page --------------------------------------------------------------------


def test_the_unit_tree_shows_50_units_a_page_each_page_under_the_units_above_it(org, client_for):
    add_bureaus(org, 120)
    client = client_for(org.executive)
    first = client.get(reverse("unit_tree"))
    assert first.context["page"].paginator.count == 5 + 120
    assert rows_of(first)[:3] == [org.ministry, org.dept, org.bureau_a] and len(rows_of(first)) == 50
    second = client.get(reverse("unit_tree"), {"page": 2})
    shown = rows_of(second)
    # The page starts deep in the department: the ministry and the department head it, as on paper.
    assert shown[:2] == [org.ministry, org.dept] and len(shown) == 52
    assert [u.path for u in shown] == sorted(u.path for u in shown)
    assert second.context["matches"] == set()
    assert 'data-testid="pager"' in second.content.decode()


def test_the_unit_tree_searches_and_filters_by_unit_type_a_page_at_a_time(org, client_for):
    add_bureaus(org, 70, name="กองค้นหา")
    client = client_for(org.executive)
    found = client.get(reverse("unit_tree"), {"q": "กองค้นหา"})
    assert found.context["page"].paginator.count == 70
    assert rows_of(found)[:2] == [org.ministry, org.dept] and len(found.context["matches"]) == 50
    assert org.dept.pk not in found.context["matches"]
    later = client.get(reverse("unit_tree"), {"q": "กองค้นหา", "page": 2})
    assert len(later.context["matches"]) == 20
    kind = client.get(reverse("unit_tree"), {"type": org.dept.unit_type_id})
    assert kind.context["matches"] == {org.dept.pk, org.other_dept.pk}
    assert client.get(reverse("unit_tree"), {"type": "x"}).status_code == 404


def test_the_unit_tree_and_the_root_page_cost_the_same_for_a_hundred_or_two_hundred_units(org, client_for):
    client = client_for(org.admin)
    pages = [
        (reverse("unit_tree"), {}),
        (reverse("unit_tree"), {"page": 2}),
        (reverse("unit_tree"), {"q": "สำนัก"}),
        (reverse("unit_detail", args=[org.ministry.pk]), {}),
        (reverse("unit_detail", args=[org.ministry.pk]), {"page": 2, "rpage": 2, "rq": "หัวหน้า"}),
    ]
    add_bureaus(org, 100)
    small = [queries(client, url, params) for url, params in pages]
    add_bureaus(org, 100)
    assert [queries(client, url, params) for url, params in pages] == small


def test_the_root_units_page_lists_its_units_and_its_people_50_a_page_and_searches_the_people(
    org, client_for
):
    units = add_bureaus(org, 80)
    client = client_for(org.admin)
    response = client.get(reverse("unit_detail", args=[org.ministry.pk]))
    assert response.context["page"].paginator.count == 85 and len(response.context["page"]) == 50
    roles = response.context["roles"]
    assert roles.paginator.count == RoleAssignment.objects.count() and len(roles) == 50
    head = Person.objects.get(username=f"head{units[-1].pk}")
    found = client.get(reverse("unit_detail", args=[org.ministry.pk]), {"rq": f"หัวหน้า{units[-1].pk}"})
    assert [r.person for r in found.context["roles"]] == [head]
    html = client.get(reverse("unit_detail", args=[org.ministry.pk]), {"page": 2}).content.decode()
    assert 'data-testid="pager-rpage"' in html and "rpage=2" in html and "page=1" in html


# --- people ---------------------------------------------------------------------------------------------


def test_the_person_list_pages_searches_every_word_and_filters_by_role(org, client_for):
    units = add_bureaus(org, 70)
    client = client_for(org.admin)
    response = client.get(reverse("person_list"))
    assert len(response.context["people"]) == 50
    everyone = response.context["page"].paginator.count
    assert everyone == Person.objects.count()  # the ministry's administrator sees everyone
    second = client.get(reverse("person_list"), {"page": 2})
    assert not {p.pk for p in second.context["people"]} & {p.pk for p in response.context["people"]}
    head = Person.objects.get(username=f"head{units[3].pk}")
    found = client.get(reverse("person_list"), {"q": f"ทดสอบ หัวหน้า{units[3].pk}"})
    assert list(found.context["people"]) == [head]
    planners = client.get(reverse("person_list"), {"role": "planning"})
    assert list(planners.context["people"]) == [org.planner]
    assert client.get(reverse("person_list"), {"role": "king"}).context["page"].paginator.count == everyone


def test_the_person_list_costs_the_same_for_a_hundred_or_two_hundred_people(org, client_for):
    client = client_for(org.admin)
    add_bureaus(org, 100)
    small = [queries(client, reverse("person_list"), p) for p in ({}, {"page": 2}, {"q": "หัวหน้า"})]
    add_bureaus(org, 100)
    assert [queries(client, reverse("person_list"), p) for p in ({}, {"page": 2}, {"q": "หัวหน้า"})] == small


# --- committees -----------------------------------------------------------------------------------------


def test_the_committee_page_lists_the_units_covered_50_a_page_searched_at_the_same_cost(org, client_for):
    url = reverse("committee_detail", args=[org.committee.pk])
    org.committee.units_covered.add(*add_bureaus(org, 60))
    client = client_for(org.planner)  # manages the committee: the member and resolution forms too
    small = queries(client, url)
    covered = client.get(url, {"page": 2}).context["units_covered"]
    assert covered.paginator.count == 62 and len(covered) == 12
    org.committee.units_covered.add(*add_bureaus(org, 100))
    assert queries(client, url) == small
    assert queries(client, url, {"q": "ท7", "page": 2}) == small
    found = client.get(url, {"q": "ท7."}).context["units_covered"]
    assert [u.abbreviation for u in found] == ["ท7."]


def test_the_committee_queue_pages_searches_and_filters_by_year(org, dims, client_for):
    units = add_bureaus(org, 70)
    org.committee.units_covered.add(*units)
    add_agreements(org, units, dims, status="submitted")
    client = client_for(org.member)
    response = client.get(reverse("committee_queue"))
    assert response.context["agreements"].paginator.count == 70 and len(response.context["agreements"]) == 50
    assert len(client.get(reverse("committee_queue"), {"page": 2}).context["agreements"]) == 20
    found = client.get(reverse("committee_queue"), {"q": units[5].abbreviation})
    assert [a.unit for a in found.context["agreements"]] == [units[5]]
    other_year = client.get(reverse("committee_queue"), {"year": org.next_committee.fiscal_year_id})
    assert other_year.context["agreements"].paginator.count == 0
    this_year = client.get(reverse("committee_queue"), {"year": org.year.pk})
    assert this_year.context["agreements"].paginator.count == 70


def test_the_committee_queue_costs_the_same_for_a_hundred_or_two_hundred_agreements(org, dims, client_for):
    client = client_for(org.member)
    params = ({}, {"page": 2}, {"q": "ท1"})

    def grow_and_count():
        units = add_bureaus(org, 100)
        org.committee.units_covered.add(*units)
        add_agreements(org, units, dims, status="submitted")
        return [queries(client, reverse("committee_queue"), p) for p in params]

    assert grow_and_count() == grow_and_count()


# --- the cascade map ------------------------------------------------------------------------------------


@pytest.fixture
def cascade(org, dims):
    """The department's agreement of four KPIs; each bureau's KPIs serve them, one for one."""
    dept = add_agreements(org, [org.dept], dims, kpis=4)[0]
    return list(dept.kpis.order_by("order"))


def test_the_cascade_map_shows_a_units_kpis_each_with_the_kpis_below_that_serve_it(org, cascade, client_for):
    units = add_bureaus(org, 30)
    add_agreements(org, units, [k.dimension for k in cascade], kpis=2, serving=cascade)
    client = client_for(org.planner)
    response = client.get(reverse("cascade_map", args=[org.year.pk]))
    assert response.context["agreement"]["unit_id"] == org.dept.pk  # the top of the planner's part
    rows = response.context["rows"]
    assert [(k.name, depth) for k, depth in rows[:3]] == [
        ("ตัวชี้วัด 1 ของ ก1.", 0),
        (f"ตัวชี้วัด 1 ของ {units[0].abbreviation}", 1),
        (f"ตัวชี้วัด 1 ของ {units[1].abbreviation}", 1),
    ]
    assert response.context["page"].paginator.count == 4 + 60 and len(rows) == 50
    later = client.get(reverse("cascade_map", args=[org.year.pk]), {"page": 2})
    # The page goes on with the second KPI's servers, saying whose; nothing serves the last two KPIs.
    assert len(later.context["rows"]) == 14 and later.context["rows"][0][1] == 1
    assert "ตัวชี้วัด 2 ของ ก1. (" in re.sub(r"\s+", " ", later.content.decode())
    assert [(k.name, depth) for k, depth in later.context["rows"][-2:]] == [
        ("ตัวชี้วัด 3 ของ ก1.", 0),
        ("ตัวชี้วัด 4 ของ ก1.", 0),
    ]
    below = client.get(reverse("cascade_map", args=[org.year.pk]), {"unit": units[0].pk})
    assert [(k.name, k.serves, d) for k, d in below.context["rows"]] == [
        (f"ตัวชี้วัด 1 ของ {units[0].abbreviation}", "ตัวชี้วัด 1 ของ ก1.", 0),
        (f"ตัวชี้วัด 2 ของ {units[0].abbreviation}", "ตัวชี้วัด 2 ของ ก1.", 0),
    ]
    assert [a["unit_id"] for a in below.context["ancestors"]] == [org.dept.pk]  # the ministry has none
    found = client.get(reverse("cascade_map", args=[org.year.pk]), {"q": units[7].abbreviation})
    assert [u["unit_id"] for u in found.context["units_found"]] == [units[7].pk]


def test_the_cascade_map_refuses_a_unit_the_user_does_not_read(org, cascade, client_for):
    other = add_agreements(org, [org.other_dept], [k.dimension for k in cascade], kpis=1)[0]
    url = reverse("cascade_map", args=[org.year.pk])
    assert client_for(org.planner).get(url, {"unit": other.unit_id}).status_code == 404
    assert client_for(org.planner).get(url, {"unit": "1.5"}).status_code == 404
    assert client_for(org.admin).get(url, {"unit": other.unit_id}).status_code == 200
    assert client_for(org.outsider).get(url).context["agreement"] is None


def test_a_bureau_head_sees_only_what_serves_from_the_bureau(org, cascade, client_for):
    units = add_bureaus(org, 3)
    add_agreements(org, [org.bureau_a, *units], [k.dimension for k in cascade], kpis=1, serving=cascade)
    rows = client_for(org.head_a).get(reverse("cascade_map", args=[org.year.pk])).context["rows"]
    assert [(k.unit, d) for k, d in rows] == [("สอ.", 0)]


def test_the_cascade_map_costs_the_same_for_a_hundred_or_two_hundred_units(org, cascade, client_for):
    client = client_for(org.planner)
    url = reverse("cascade_map", args=[org.year.pk])
    dims = [k.dimension for k in cascade]
    units = add_bureaus(org, 100)
    add_agreements(org, units, dims, kpis=4, serving=cascade)
    small = [queries(client, url, p) for p in ({}, {"page": 3}, {"unit": units[0].pk}, {"q": "ท1"})]
    units = add_bureaus(org, 100)
    add_agreements(org, units, dims, kpis=4, serving=cascade)
    assert [queries(client, url, p) for p in ({}, {"page": 3}, {"unit": units[0].pk}, {"q": "ท1"})] == small


# --- the agreement page ---------------------------------------------------------------------------------


def test_the_agreement_page_costs_the_same_whatever_the_organisations_size(agreement, dims, org, client_for):
    for i in range(6):
        add_kpi(agreement, dims[i % 4], "5", f"k{i}", supervisor=org.head_a)
    client = client_for(org.planner)
    url = reverse("agreement_detail", args=[agreement.pk])
    small = queries(client, url)
    units = add_bureaus(org, 150)
    add_agreements(org, units, dims, kpis=3)
    assert queries(client, url) == small


def test_each_row_of_the_outline_is_one_form_with_its_own_targets(agreement, dims, org, client_for):
    made = [add_kpi(agreement, dims[i % 4], "5", f"k{i}") for i in range(5)]
    html = client_for(org.head_a).get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    outline = html.split('id="outline"')[1].split('data-testid="overall-total"')[0]
    assert outline.count("<form") == 5
    for kpi in made:
        assert f'action="{reverse("kpi_weight", args=[kpi.pk])}"' in outline
        assert f'formaction="{reverse("kpi_move", args=[kpi.pk])}"' in outline
        assert f'href="{reverse("kpi_detail", args=[kpi.pk])}"' in outline
        assert f'href="{reverse("kpi_create", args=[agreement.pk])}?parent={kpi.pk}"' in outline
    # Without JavaScript the arrow posts its row's form, weight and all, to the move URL: the KPI moves up.
    client_for(org.head_a).post(reverse("kpi_move", args=[made[4].pk]), {"direction": "up", "weight": "5"})
    rows = selectors.outline(agreement.kpis.select_related("dimension"))
    assert [k.pk for k in rows if k.dimension_id == dims[0].pk] == [made[4].pk, made[0].pk]
    reader = client_for(org.executive).get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert reader.split('id="outline"')[1].split('data-testid="overall-total"')[0].count("<form") == 0


def test_a_parent_kpis_row_keeps_its_arrows_without_a_weight_box(agreement, dims, org, client_for):
    parent = add_kpi(agreement, dims[0], "10", "แม่")
    add_kpi(agreement, dims[0], "10", "ลูก", parent=parent)
    html = client_for(org.head_a).get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    row = html.split(f'id="row{parent.pk}"')[0].rsplit("<tr", 1)[1] + html.split(f'id="row{parent.pk}"')[1]
    assert f'id="w{parent.pk}"' not in row.split("</tr>")[0]
    assert f'form="row{parent.pk}"' in html


# --- the KPI form and its pickers -----------------------------------------------------------------------


def test_the_kpi_form_costs_the_same_with_twice_the_people_around_and_lists_no_directory(
    agreement, dims, org, client_for
):
    kpi = add_kpi(agreement, dims[0], "10", supervisor=org.head_a)
    client = client_for(org.head_a)
    url = reverse("kpi_edit", args=[kpi.pk])

    def crowd(n, start):
        people = Person.objects.bulk_create(
            Person(username=f"near{start + i}", first_name="ใกล้") for i in range(n)
        )
        RoleAssignment.objects.bulk_create(
            RoleAssignment(person=p, unit=org.bureau_a, role="data_collector") for p in people
        )

    crowd(100, 0)
    small = queries(client, url)
    crowd(100, 100)
    assert queries(client, url) == small
    html = client.get(url).content.decode()
    selects = re.findall(r"<select[^>]*>(.*?)</select>", html, re.S)
    assert max(s.count("<option") for s in selects) <= 51  # the no-JavaScript list: nobody and 50 people


def test_a_supervisor_outside_the_units_people_is_refused_at_the_field(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10")
    far = Person.objects.create(username="far", first_name="ไกล")
    RoleAssignment.objects.create(person=far, unit=org.other_dept, role="kpi_supervisor")
    data = kpi_post(dims[0], weight="10", supervisor=far.pk, **CRITERIA_POST["quantitative"])
    response = client_for(org.head_a).post(reverse("kpi_edit", args=[kpi.pk]), data)
    assert response.status_code == 200 and "supervisor" in response.context["form"].errors
    assert KPI.objects.get(pk=kpi.pk).supervisor_id is None


# --- reading one object: the visibility test on the row itself -------------------------------------------


@pytest.mark.parametrize(
    "persona, sees",
    [
        ("admin", True),
        ("planner", True),
        ("head_a", True),
        ("supervisor", True),  # named on a KPI, from bureau B
        ("member", True),  # sits on FY 2570's committee for bureau A
        ("member_next", False),  # next year's committee: nothing of FY 2570
        ("head_b", False),
        ("outsider", False),
    ],
)
def test_one_kpi_or_agreement_is_read_by_the_same_people_as_the_list_says(
    agreement, dims, org, persona, sees
):
    from django.http import Http404

    kpi = add_kpi(agreement, dims[0], "10", supervisor=org.supervisor)
    user = getattr(org, persona)
    assert agreements_visible_to(user).filter(pk=agreement.pk).exists() is sees
    for lookup, pk in ((get_agreement_for, agreement.pk), (get_kpi_for, kpi.pk)):
        if sees:
            assert lookup(user, pk).pk == pk
        else:
            with pytest.raises(Http404):
                lookup(user, pk)


def test_a_kpi_served_twice_by_one_agreement_lists_that_agreement_once(agreement, dims, org, client_for):
    served = add_kpi(
        drafting.agreements_create(fiscal_year=org.year, units=[org.dept])[0], dims[0], "10", "บน"
    )
    for name in ("ก", "ข"):
        add_kpi(agreement, dims[0], "5", name, cascaded_from=served)
    cascaded = client_for(org.planner).get(reverse("kpi_detail", args=[served.pk])).context["cascaded_to"]
    assert [(a.pk, sorted(k.name for k in a.served_by)) for a in cascaded] == [(agreement.pk, ["ก", "ข"])]


# --- in the browser -------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_outline_moves_and_reweighs_a_kpi_in_place(agreement, dims, org, page, live_server):
    first = add_kpi(agreement, dims[0], "20", "ตัวชี้วัดแรก")
    second = add_kpi(agreement, dims[0], "25", "ตัวชี้วัดที่สอง")
    log_in(page, "head_a", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    page.goto(f"/agreements/{agreement.pk}/")
    page.evaluate("window.notReloaded = true")
    page.click(f"button[form='row{second.pk}'][value=up]")
    page.wait_for_selector("tbody > tr[data-testid=kpi-row]:first-child:has-text('ตัวชี้วัดที่สอง')")
    assert KPI.objects.get(pk=second.pk).order < KPI.objects.get(pk=first.pk).order
    page.fill(f"#w{first.pk}", "45")
    page.keyboard.press("Tab")
    page.wait_for_selector("[data-testid=dimension-total-1]:has-text('70')")
    assert KPI.objects.get(pk=first.pk).weight == Decimal("45.0000")
    # Enter in a weight box saves the weight and nothing else: the row's ▲ shares its form.
    page.fill(f"#w{first.pk}", "20")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=dimension-total-1]:has-text('45')")
    page.wait_for_timeout(500)
    assert KPI.objects.get(pk=first.pk).weight == Decimal("20.0000")
    assert KPI.objects.get(pk=second.pk).order < KPI.objects.get(pk=first.pk).order
    assert page.evaluate("window.notReloaded") is True
