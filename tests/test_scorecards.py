"""Scorecards (issue 12 items 1–3): the scorecard of a subtree reads the stored round cards, self-assessed or
verified; scope; missing units; filters that are not numbers; ranking and "you ± 5"; the drill-down to one
KPI's evidence; a unit's and a KPI's years; wrong users get 404 everywhere.

Two kinds of data: reports made through the reporting services (``seeded``: bureaus A and B entered,
submitted, A verified), and, where many units are needed, RoundReport rows written directly by
``stored_report``, whose cards are the engine's ``round_card`` of one KPI per dimension stored with
``reporting.services.cards.as_json`` — what the reporting app stores, without its items."""

import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kpi_agreements import scoring
from kpi_agreements.agreements.models import Agreement, Dimension
from kpi_agreements.agreements.services import drafting
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation import services as org_services
from kpi_agreements.reporting.models import ReportEvidence, Round, RoundReport
from kpi_agreements.reporting.services import flow
from kpi_agreements.reporting.services.cards import as_json
from kpi_agreements.scorecards import selectors
from kpi_agreements.scorecards.jobs import SCORECARD_PDF, SCORECARD_XLSX
from kpi_agreements.workflow.jobs import job_request
from kpi_agreements.workflow.models import Job
from tests.factories import QUANT, add_kpi, open_report, sign

# --- data ------------------------------------------------------------------------------------------------


def actual_for(score: str) -> str:
    """The result that scores ``score`` against thresholds 60/70/80/90/100 (linear between them)."""
    s = Decimal(score)
    if s >= 5:
        return "100"
    k = int(s)
    return str(Decimal(50 + 10 * k) + (s - k) * 10)


def engine_card(scores: dict, penalty: str = "0", policy=None):
    """The engine's round card of one quantitative KPI per dimension, at the dimension's weight, scoring the
    given score: ``{dimension: "3.5"}``. One dimension alone gives a total equal to its score."""
    rows = [
        {
            "code": str(i),
            "parent": None,
            "dimension": d.pk,
            "weight": d.weight,
            "method": "quantitative",
            "criteria": QUANT,
            "result": {"actual": actual_for(s)},
        }
        for i, (d, s) in enumerate(scores.items(), start=1)
    ]
    return scoring.round_card(rows, penalty=Decimal(penalty), policy=policy or scoring.ScoringPolicy())


def stored_report(
    round, unit, scores, *, status="submitted", verified=None, days_late=0, penalty="0", flags=()
):
    """A report row as the reporting app stores it (cards from the engine, stored with as_json), for tests
    that need many units; it has no items, so its drill-down below the dimensions is empty."""
    agreement = Agreement.objects.filter(unit=unit, fiscal_year=round.fiscal_year).first()
    if agreement is None:
        agreement = Agreement.objects.create(unit=unit, fiscal_year=round.fiscal_year)
        Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.SIGNED)
    card = engine_card(scores, penalty, round.fiscal_year.policy)
    fields = dict(
        round=round,
        agreement=agreement,
        status=status,
        days_late=days_late,
        penalty=Decimal(penalty),
        self_card=as_json(card),
        self_total=card.total,
        flags=list(flags),
        submitted_at=None if status == RoundReport.Status.DRAFT else timezone.now(),
    )
    if verified is not None:
        vcard = engine_card(verified, penalty, round.fiscal_year.policy)
        fields.update(verified_card=as_json(vcard), verified_total=vcard.total)
    return RoundReport.objects.create(**fields)


def add_bureaus(org, n, prefix="สำนักทดสอบ"):
    return [
        org_services.unit_create(
            parent=org.dept,
            name_th=f"{prefix} {i:02d}",
            abbreviation=f"{prefix[:2]}{i:02d}.",
            unit_type=org.bureau_a.unit_type,
        )
        for i in range(n)
    ]


def six(year) -> Round:
    return Round.objects.select_related("fiscal_year").get(fiscal_year=year, months=6)


def enter(report, user, actuals, narrative="ผลการดำเนินงาน"):
    for item, actual in zip(report.items.filter(is_leaf=True).order_by("order", "id"), actuals, strict=True):
        flow.item_enter(item=item, user=user, result={"actual": actual}, narrative=narrative)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seeded(org, dims, report):
    """Bureau A (the ``report`` fixture) and bureau B, each one quantitative KPI per dimension (45/15/20/20),
    6-month round, entered and submitted through the services; A verified by the committee member, who
    changed KPI 1's result from 85 to 80. B is submitted, not verified."""
    agreement_b = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    for d in dims:
        add_kpi(
            agreement_b, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.supervisor, collector=org.collector
        )
    report_b = open_report(sign(agreement_b), 6)
    # A: 85 → 3.5, 72 → 2.2, 95 → 4.5, 60 → 1.0: 1.5750 + 0.3300 + 0.9000 + 0.2000 = 3.0050
    enter(report, org.collector, ["85", "72", "95", "60"])
    # B: 100 → 5, 90 → 4, 65 → 1.5, 78.5 → 2.85: 2.2500 + 0.6000 + 0.3000 + 0.5700 = 3.7200
    enter(report_b, org.collector, ["100", "90", "65", "78.5"])
    flow.report_submit(report=report, user=org.head_a)
    flow.report_submit(report=report_b, user=org.head_b)
    first = report.items.order_by("order", "id").first()
    flow.item_verify(item=first, user=org.member, result={"actual": "80"}, note="ตรวจแล้ว")
    flow.report_verify(report=RoundReport.objects.get(pk=report.pk), user=org.member)
    return RoundReport.objects.get(pk=report.pk), RoundReport.objects.get(pk=report_b.pk)


def url(name, *args, **query):
    from urllib.parse import urlencode

    return reverse(name, args=args) + (f"?{urlencode(query)}" if query else "")


def rows_of(response) -> dict:
    return {r.name_th: r for r in response.context["page"]}


# --- the scorecard reads the stored cards -----------------------------------------------------------------


def test_the_seeded_figures_are_the_engines(seeded):
    a, b = seeded
    assert (a.self_total, b.self_total) == (Decimal("3.0050"), Decimal("3.7200"))
    assert a.status == "verified" and a.verified_total == Decimal("2.7800")  # 80 → 3.0: 1.3500 + … = 2.7800
    assert b.status == "submitted"


def test_self_assessed_totals_and_dimension_scores_equal_the_stored_cards(seeded, org, client_for):
    page = client_for(org.executive).get(url("scorecard", seeded[0].round_id))
    assert page.status_code == 200
    rows = rows_of(page)
    html = page.content.decode()
    for report in seeded:
        row = rows[report.agreement.unit.name_th]
        assert row.total_text == report.self_card["total"]
        assert row.total_text == f"{report.self_total:.4f}"
        assert {d: s for d, s in row.cells if s} == {
            d: report.self_card["dimensions"][str(d.pk)]["score"]
            for d in Dimension.objects.filter(fiscal_year=report.round.fiscal_year)
        }
        assert f'data-testid="total">{report.self_card["total"]}' in html
    assert rows["สำนักเอ"].total_text == "3.0050" and rows["สำนักบี"].total_text == "3.7200"


def test_verified_figures_are_the_verified_card_and_an_unverified_report_is_marked(seeded, org, client_for):
    a, b = seeded
    page = client_for(org.executive).get(url("scorecard", a.round_id, basis="verified"))
    rows = rows_of(page)
    assert rows["สำนักเอ"].total_text == a.verified_card["total"] == "2.7800"
    assert rows["สำนักเอ"].dims[Dimension.objects.get(fiscal_year=a.round.fiscal_year, order=1).pk] == Decimal(
        "3.0000"
    )
    assert not rows["สำนักเอ"].not_verified
    # B is not verified yet: its self-assessed figures with the marker, never a blank or a zero.
    assert rows["สำนักบี"].total_text == b.self_card["total"] == "3.7200" and rows["สำนักบี"].not_verified
    html = page.content.decode()
    assert html.count('data-testid="not-verified"') == 1 and 'data-testid="not-verified-note"' in html


def test_units_without_a_report_are_missing_never_a_score(seeded, org, client_for):
    page = client_for(org.executive).get(url("scorecard", seeded[0].round_id))
    rows = rows_of(page)
    # The ministry and the two departments have no agreement in FY 2570.
    for name in ("กระทรวงทดสอบ", "กรมหนึ่ง", "กรมสอง"):
        row = rows[name]
        assert (row.has_report, row.total, row.rank, row.missing) == (False, None, None, "no_agreement")
    html = page.content.decode()
    other = re.search(
        rf'data-unit="{org.other_dept.pk}" data-missing="no_agreement">(.*?)</tr>', html, re.S
    ).group(1)
    assert 'data-testid="missing"' in other and not re.search(r"\d\.\d{4}", other)
    # A signed agreement with no report in the round, and one not signed, say so.
    round9 = Round.objects.get(fiscal_year=org.year, months=9)
    rows = rows_of(client_for(org.executive).get(url("scorecard", round9.pk)))
    assert rows["สำนักเอ"].missing == "no_report" and rows["สำนักเอ"].total is None


def test_an_agreement_not_signed_is_missing_with_its_reason(org, dims, agreement, client_for):
    rows = rows_of(client_for(org.executive).get(url("scorecard", six(org.year).pk)))
    assert rows["สำนักเอ"].missing == "not_signed" and rows["สำนักเอ"].total is None


def test_a_unit_outside_scope_never_appears(seeded, org, client_for):
    round_pk = seeded[0].round_id
    for person, seen, unseen in [
        (org.head_a, {"สำนักเอ"}, {"สำนักบี", "กรมหนึ่ง", "กรมสอง", "กระทรวงทดสอบ"}),
        (org.head_b, {"สำนักบี"}, {"สำนักเอ", "กรมสอง"}),
        (org.director, {"กรมหนึ่ง", "สำนักเอ", "สำนักบี"}, {"กรมสอง", "กระทรวงทดสอบ"}),
        (org.member, {"สำนักเอ", "สำนักบี"}, {"กรมหนึ่ง", "กรมสอง"}),
    ]:
        client = client_for(person)
        for page in (
            client.get(url("scorecard", round_pk)),
            client.get(url("scorecard_dashboard", round_pk)),
        ):
            assert page.status_code == 200
            html = page.content.decode()
            names = {r.name_th for r in page.context["rows"]}
            assert seen <= names and not (unseen & names), person
            assert not any(name in html for name in unseen), person


def test_the_wrong_user_gets_404_on_every_view(seeded, org, client_for):
    a, _b = seeded
    item = a.items.order_by("order", "id").first()
    dim = item.dimension
    pages = [
        url("scorecard", a.round_id),
        url("scorecard_dashboard", a.round_id),
        url("scorecard_unit", a.round_id, org.bureau_a.pk),
        url("scorecard_dimension", a.round_id, org.bureau_a.pk, dim.pk),
        url("scorecard_kpi", item.pk),
        url("scorecard_unit_years", org.bureau_a.pk),
        url("scorecard_kpi_years", item.pk),
    ]
    for person in (org.outsider, org.member_next):
        client = client_for(person)
        for page in pages:
            assert client.get(page).status_code == 404, (person, page)
        assert (
            client.post(url("scorecard_export", a.round_id), {"document": "scorecard_pdf"}).status_code == 404
        )
    # Bureau B's head reads the round, but nothing of bureau A.
    client = client_for(org.head_b)
    for page in pages[2:]:
        assert client.get(page).status_code == 404, page
    assert client.get(url("scorecard", a.round_id, unit=org.bureau_a.pk)).status_code == 404
    assert client.get(url("scorecard_dashboard", a.round_id, unit=org.bureau_a.pk)).status_code == 404
    # A round of another year the member has nothing in; a dimension of another year.
    later = Round.objects.get(fiscal_year__be_year=2571, months=6)
    assert client_for(org.member).get(url("scorecard", later.pk)).status_code == 404
    other_dim = Dimension.objects.create(fiscal_year=later.fiscal_year, order=1, name_th="อื่น", weight=100)
    page = client_for(org.executive).get(
        url("scorecard_dimension", a.round_id, org.bureau_a.pk, other_dim.pk)
    )
    assert page.status_code == 404
    assert client_for(org.outsider).get(url("scorecard_home")).context["years"] == []


@pytest.mark.parametrize(
    "query, shown",
    [
        ({"unit": "abc"}, "“abc”"),
        ({"type": "๑"}, "“๑”"),
        ({"level": "1.5"}, "“1.5”"),
        ({"unit": "1" * 40}, "“" + "1" * 40 + "”"),
        ({"basis": "both"}, "“both”"),
        ({"sort": "drop table"}, "“drop table”"),
    ],
)
def test_a_filter_that_is_not_a_number_gives_a_message_not_an_error(seeded, org, client_for, query, shown):
    client = client_for(org.executive)
    for name in ("scorecard", "scorecard_dashboard"):
        page = client.get(url(name, seeded[0].round_id, **query))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'role="alert"' in html and shown in html
        # The filter is ignored: every unit is still listed.
        assert len(page.context["rows"]) == 5


def test_years_pages_say_so_for_a_bad_round_or_basis(seeded, org, client_for):
    client = client_for(org.executive)
    page = client.get(url("scorecard_unit_years", org.bureau_a.pk, months="abc", basis="x"))
    assert page.status_code == 200 and "“abc”" in page.content.decode() and page.context["months"] == 12
    item = seeded[0].items.first()
    assert client.get(url("scorecard_kpi", item.pk, basis="nope")).status_code == 200


def test_filters_by_unit_type_and_level_and_subtree(seeded, org, client_for):
    client = client_for(org.executive)
    round_pk = seeded[0].round_id
    bureau = org.bureau_a.unit_type_id
    names = {r.name_th for r in client.get(url("scorecard", round_pk, type=bureau)).context["rows"]}
    assert names == {"สำนักเอ", "สำนักบี"}
    names = {r.name_th for r in client.get(url("scorecard", round_pk, level=2)).context["rows"]}
    assert names == {"กรมหนึ่ง", "กรมสอง"}
    names = {r.name_th for r in client.get(url("scorecard", round_pk, unit=org.dept.pk)).context["rows"]}
    assert names == {"กรมหนึ่ง", "สำนักเอ", "สำนักบี"}
    assert {r.name_th for r in client.get(url("scorecard", round_pk, type=999)).context["rows"]} == set()


# --- ranking, sorting, "you ± 5", pagination ---------------------------------------------------------


@pytest.fixture
def fifteen(org, dims):
    """Fourteen bureaus under the department and the department itself, totals 1.0 … 4.5 in steps of 0.25
    (stored rows); the director heads the department, ranked 8th."""
    round = six(org.year)
    units = add_bureaus(org, 14)
    scores = [str(Decimal("1") + Decimal("0.25") * i) for i in range(15)]
    everyone = units[:7] + [org.dept] + units[7:]
    for unit, score in zip(everyone, reversed(scores), strict=True):
        stored_report(round, unit, {dims[0]: score})
    return round, everyone


def test_ranks_follow_the_totals_and_ties_share_a_rank(org, dims, client_for):
    round = six(org.year)
    units = add_bureaus(org, 4)
    for unit, score in zip(units, ["3.5", "4.25", "3.5", "2"], strict=True):
        stored_report(round, unit, {dims[0]: score})
    stored_report(round, org.bureau_a, {dims[0]: "4.9"}, status="draft")  # still being entered: not ranked
    rows = {r.name_th: r for r in client_for(org.executive).get(url("scorecard", round.pk)).context["rows"]}
    assert [rows[u.name_th].rank for u in units] == [2, 1, 2, 4]
    assert rows["สำนักเอ"].rank is None and rows["สำนักเอ"].total_text == "4.9000"


def test_you_plus_or_minus_five_around_the_users_own_unit(fifteen, org, client_for):
    round, everyone = fifteen
    page = client_for(org.director).get(url("scorecard", round.pk, around="me"))
    shown = list(page.context["page"])
    assert [r.rank for r in shown] == list(range(3, 14))
    assert shown[5].name_th == "กรมหนึ่ง" and shown[5].own and page.context["me"].rank == 8
    assert 'class="table-primary"' in page.content.decode()
    # Someone whose own unit has no ranked total is told so and sees everything.
    page = client_for(org.head_a).get(url("scorecard", round.pk, around="me"))
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()


def test_sorting_puts_units_without_the_figure_last(fifteen, org, client_for):
    round, everyone = fifteen
    client = client_for(org.executive)
    rows = list(client.get(url("scorecard", round.pk, sort="total")).context["rows"])
    totals = [r.total for r in rows if r.total is not None]
    assert totals == sorted(totals) and all(r.total is None for r in rows[len(totals) :])
    rows = list(client.get(url("scorecard", round.pk, sort="-total")).context["rows"])
    assert rows[0].total_text == "4.5000" and rows[-1].total is None
    rows = list(client.get(url("scorecard", round.pk, sort="name")).context["rows"])
    assert [r.name_th for r in rows] == sorted(r.name_th for r in rows)
    dim = f"d{Dimension.objects.get(fiscal_year=org.year, order=1).pk}"
    rows = list(client.get(url("scorecard", round.pk, sort=f"-{dim}")).context["rows"])
    assert rows[0].total_text == "4.5000"


def test_the_list_is_paginated(org, dims, client_for):
    round = six(org.year)
    for unit in add_bureaus(org, 55):
        stored_report(round, unit, {dims[0]: "3"})
    client = client_for(org.executive)
    first = client.get(url("scorecard", round.pk))
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.count == 60
    second = client.get(url("scorecard", round.pk) + "?page=2")
    assert len(second.context["page"]) == 10
    assert client.get(url("scorecard", round.pk) + "?page=zz").status_code == 200


# --- drill-down -------------------------------------------------------------------------------------------


def test_drill_down_from_the_subtree_to_one_kpis_evidence_and_back(seeded, org, client_for):
    a, _b = seeded
    item = a.items.order_by("order", "id").first()
    ReportEvidence.objects.create(
        item=item,
        file=SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes"),
        name="รายงานการประชุม.pdf",
        size=16,
        uploaded_by=org.collector,
    )
    client = client_for(org.executive)
    subtree = client.get(url("scorecard", a.round_id, unit=org.dept.pk)).content.decode()
    unit_url = url("scorecard_unit", a.round_id, org.bureau_a.pk)
    assert unit_url in subtree

    page = client.get(unit_url)
    html = page.content.decode()
    assert page.context["total"] == a.self_card["total"] == "3.0050" and page.context["target"] == "3.0000"
    dims = {d["dimension"].order: d for d in page.context["dimension_rows"]}
    assert (dims[1]["score"], dims[2]["score"], dims[3]["score"], dims[4]["score"]) == (
        "3.5000",
        "2.2000",
        "4.5000",
        "1.0000",
    )
    dim_url = url("scorecard_dimension", a.round_id, org.bureau_a.pk, item.dimension_id)
    assert dim_url in html and url("report_detail", a.pk) in html
    assert url("scorecard_unit", a.round_id, org.dept.pk) in html  # breadcrumb to the department

    page = client.get(dim_url)
    (row,) = page.context["items"]
    assert (row["score"], row["weighted"], row["target"]) == ("3.5000", "1.5750", "80")
    assert page.context["dimension_score"] == "3.5000"
    kpi_url = url("scorecard_kpi", item.pk)
    assert kpi_url in page.content.decode()

    page = client.get(kpi_url)
    html = page.content.decode()
    assert (
        page.context["score"] == "3.5000"
        and page.context["result"] == "85"
        and page.context["target"] == "3.0000"
    )
    assert "ผลการดำเนินงาน" in html and url("evidence_download", item.evidence.get().pk) in html
    for back in (dim_url, unit_url, url("scorecard", a.round_id)):
        assert back in html  # breadcrumbs back up
    # The verified view of the same KPI: the verifier's result and score.
    page = client.get(kpi_url + "?basis=verified")
    assert (page.context["score"], page.context["result"]) == ("3.0000", "80")
    assert client.get(url("evidence_download", item.evidence.get().pk)).status_code == 200


def test_a_unit_without_a_report_shows_missing_on_its_page(seeded, org, client_for):
    page = client_for(org.executive).get(url("scorecard_unit", seeded[0].round_id, org.other_dept.pk))
    assert page.status_code == 200 and 'data-testid="missing"' in page.content.decode()
    assert page.context["total"] == ""
    dim = Dimension.objects.filter(fiscal_year=org.year).first()
    assert (
        client_for(org.executive)
        .get(url("scorecard_dimension", seeded[0].round_id, org.other_dept.pk, dim.pk))
        .status_code
        == 404
    )


def test_the_department_page_lists_its_bureaus(seeded, org, client_for):
    page = client_for(org.executive).get(url("scorecard_unit", seeded[0].round_id, org.dept.pk))
    children = {r.name_th: r.total_text for r in page.context["children"]}
    assert children == {"สำนักเอ": "3.0050", "สำนักบี": "3.7200"}
    assert page.context["report"] is None


# --- across the years -----------------------------------------------------------------------------------


@pytest.fixture
def two_years(seeded, org):
    """FY 2569 for bureau A: the same KPI names, dimensions in the same order (other rows, other names for
    dimension 4), KPI 4 renamed; its 6-month report entered and submitted."""
    y2569 = fiscal_year_create(be_year=2569)
    dims = [
        Dimension.objects.create(fiscal_year=y2569, order=o, name_th=n, weight=Decimal(w))
        for o, n, w in [
            (1, "ประสิทธิผล", 45),
            (2, "คุณภาพ", 15),
            (3, "ประสิทธิภาพ", 20),
            (4, "พัฒนาองค์กร 2569", 20),
        ]
    ]
    old = drafting.agreements_create(fiscal_year=y2569, units=[org.bureau_a])[0]
    for d in dims:
        name = f"ตัวชี้วัดมิติ {d.order}" if d.order != 4 else "ตัวชี้วัดเดิม"
        add_kpi(old, d, d.weight, name, supervisor=org.supervisor, collector=org.collector)
    report = open_report(sign(old), 6)
    enter(report, org.collector, ["75", "80", "90", "100"])  # 2.5, 3, 4, 5 → 1.1250 + 0.45 + 0.8 + 1 = 3.3750
    flow.report_submit(report=report, user=org.head_a)
    return RoundReport.objects.get(pk=report.pk), seeded[0]


def test_a_units_years_match_dimensions_by_order(two_years, org, client_for):
    old, new = two_years
    page = client_for(org.executive).get(url("scorecard_unit_years", org.bureau_a.pk, months=6))
    rows = {r["year"].be_year: r for r in page.context["rows"]}
    assert (
        (rows[2569]["total_text"], rows[2570]["total_text"])
        == (old.self_card["total"], new.self_card["total"])
        == ("3.3750", "3.0050")
    )
    for report, year in ((old, 2569), (new, 2570)):
        by_order = {d.order: d.pk for d in Dimension.objects.filter(fiscal_year=report.round.fiscal_year)}
        assert dict(rows[year]["dims"]) == {
            o: report.self_card["dimensions"][str(pk)]["score"] for o, pk in by_order.items()
        }
    html = page.content.decode()
    assert "<title" in html and "<desc" in html and 'data-testid="chart-unit-years"' in html
    # Verified view: FY 2569 not verified, marked; FY 2570 the verified total.
    page = client_for(org.executive).get(
        url("scorecard_unit_years", org.bureau_a.pk, months=6, basis="verified")
    )
    rows = {r["year"].be_year: r for r in page.context["rows"]}
    assert rows[2569]["not_verified"] and rows[2570]["total_text"] == "2.7800"


def test_a_kpi_continues_by_name_and_dimension_order_and_a_renamed_one_does_not(two_years, org, client_for):
    old, new = two_years
    client = client_for(org.executive)
    first = new.items.order_by("order", "id").first()
    page = client.get(url("scorecard_kpi_years", first.pk))
    assert [(r["year"].be_year, r["score_text"], r["result"]) for r in page.context["rows"]] == [
        (2569, "2.5000", "75"),
        (2570, "3.5000", "85"),
    ]
    last = new.items.order_by("order", "id").last()
    assert [r["year"].be_year for r in client.get(url("scorecard_kpi_years", last.pk)).context["rows"]] == [
        2570
    ]


def test_a_mandatory_kpi_continues_by_its_code(two_years, org):
    from kpi_agreements.agreements.models import KPI, MandatoryKPI

    old, new = two_years
    renamed_old = old.items.order_by("order", "id").last()
    renamed_new = new.items.order_by("order", "id").last()
    for report, item in ((old, renamed_old), (new, renamed_new)):
        mandatory = MandatoryKPI.objects.create(
            fiscal_year=report.round.fiscal_year, dimension=item.dimension, code="4.1", name="บังคับ", weight=20
        )
        KPI.objects.filter(pk=item.kpi_id).update(mandatory=mandatory)
    from kpi_agreements.reporting.models import ReportItem

    item = ReportItem.objects.select_related(
        "report__round__fiscal_year", "report__agreement", "kpi__mandatory", "dimension"
    ).get(pk=renamed_new.pk)
    assert [r["year"].be_year for r in selectors.kpi_years(org.executive, item, "self")] == [2569, 2570]


# --- query counts ---------------------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def test_query_counts_do_not_grow_with_the_number_of_units(org, dims, client_for):
    round = six(org.year)
    previous = fiscal_year_create(be_year=2569)
    before = six(previous)
    client = client_for(org.executive)
    pages = [
        url("scorecard", round.pk),
        url("scorecard", round.pk, basis="verified", sort="name"),
        url("scorecard", round.pk, around="me"),
        url("scorecard_dashboard", round.pk),
        url("scorecard_unit", round.pk, org.dept.pk),
        url("scorecard_unit_years", org.dept.pk, months=6),
    ]
    counts = []
    for size in (3, 12):
        for unit in add_bureaus(org, size, prefix=f"ส{size}"):
            stored_report(
                round,
                unit,
                {dims[0]: "3.5", dims[1]: "2"},
                verified={dims[0]: "3"},
                flags=["far_from_target"],
            )
            stored_report(before, unit, {dims[0]: "3"})
        stored_report(round, org.dept, {dims[0]: "3"}) if size == 3 else None
        stored_report(before, org.dept, {dims[0]: "3"}) if size == 3 else None
        client.get(pages[0])
        counts.append([_count(client, p) for p in pages])
    assert counts[0] == counts[1], counts


# --- exports (scorecard; the dashboard's in test_scorecards_dashboard.py) --------------------------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in drawing order, white space squeezed (as tests/test_documents.py reads it)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True)
    text = re.sub("\u0e4d([\u0e48-\u0e4b]?)\u0e32", "\\1\u0e33", out.stdout)
    return re.sub(r"\s+", " ", text)


def run(capture, **request) -> Job:
    with capture(execute=True):
        job = job_request(**request)
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.READY, job.error
    return job


def content(job) -> bytes:
    with job.file.open("rb") as f:
        return f.read()


def test_the_scorecard_pdf_prints_the_stored_totals(
    seeded, org, tmp_path, django_capture_on_commit_callbacks
):
    a, b = seeded
    job = run(
        django_capture_on_commit_callbacks,
        kind=SCORECARD_PDF,
        user=org.executive,
        subject=a.round,
        basis="verified",
    )
    text = pdf_text(content(job), tmp_path)
    assert "สำนักเอ" in text and "สำนักบี" in text and "กรมสอง" in text
    assert "2.7800" in text and "3.7200*" in text  # A verified; B self-assessed with the marker
    assert job.filename.endswith(".pdf") and "fy2570-r6" in job.filename


def test_the_scorecard_workbook_has_the_stored_totals_as_numbers(
    seeded, org, django_capture_on_commit_callbacks
):
    a, b = seeded
    job = run(
        django_capture_on_commit_callbacks,
        kind=SCORECARD_XLSX,
        user=org.executive,
        subject=a.round,
        unit=org.dept.pk,
    )
    ws = load_workbook(io.BytesIO(content(job))).active
    rows = {row[1].value: row for row in ws.iter_rows() if row[1].value}
    total_a, total_b = rows["สำนักเอ"][8], rows["สำนักบี"][8]
    assert (f"{total_a.value:.4f}", f"{total_b.value:.4f}") == ("3.0050", "3.7200")
    assert total_a.number_format == "0.0000"
    assert "กรมสอง" not in rows  # outside the chosen subtree


def test_exports_are_asked_from_the_page_and_read_by_the_requester_alone(
    seeded, org, client_for, django_capture_on_commit_callbacks
):
    a, _b = seeded
    client = client_for(org.executive)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("scorecard_export", a.round_id, basis="verified", level=3), {"document": "scorecard_xlsx"}
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.params == {"basis": "verified", "level": 3} and job.status == Job.Status.READY, job.error
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 200
    assert client_for(org.director).get(reverse("job_detail", args=[job.pk])).status_code == 404
    # A bad filter or an unknown document asks nothing.
    assert (
        client.post(url("scorecard_export", a.round_id, level="x"), {"document": "scorecard_pdf"}).status_code
        == 302
    )
    assert client.post(url("scorecard_export", a.round_id), {"document": "secrets"}).status_code == 302
    assert Job.objects.count() == 1
