"""The executive dashboard, the incentive tiers and the exports (issue 12 items 4–6): counts, bands of 0.5,
eligibility and tiers at their edges with a non-default policy, the previous year beside, charts as SVG with
a title, a description and a data table, and the PDF and Excel exports made by background jobs."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kpi_agreements import scoring
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.scorecards import charts, selectors, services
from kpi_agreements.scorecards.jobs import DASHBOARD_PDF, DASHBOARD_XLSX
from kpi_agreements.scorecards.models import IncentiveTier
from tests.test_scorecards import add_bureaus, content, pdf_text, run, six, stored_report, url

T = Decimal


def tier(year, name, bound):
    return IncentiveTier(fiscal_year=year, name_th=name, lower_bound=T(bound))


# --- eligibility and tiers at their edges ---------------------------------------------------------------


def test_eligibility_at_the_default_threshold():
    threshold = scoring.ScoringPolicy().incentive_threshold
    assert not selectors.eligible(T("2.9999"), threshold)
    assert selectors.eligible(T("3.0000"), threshold)
    assert not selectors.eligible(None, threshold)
    # A sum of rounded figures can reach 5.0001; the engine's incentive_eligible refuses it, we do not.
    assert selectors.eligible(T("5.0001"), threshold)


def test_tiers_at_each_edge_with_a_non_default_policy(org):
    threshold = T("3.2500")
    tiers = [tier(org.year, "พอใช้", "3.25"), tier(org.year, "ดี", "4"), tier(org.year, "ดีเด่น", "4.5")]
    expected = {
        "2.9999": None,
        "3.0000": None,  # eligible by default, not under this year's policy
        "3.2499": None,
        "3.2500": "พอใช้",
        "3.9999": "พอใช้",
        "4.0000": "ดี",
        "4.4999": "ดี",
        "4.5000": "ดีเด่น",
        "5.0000": "ดีเด่น",
        "5.0001": "ดีเด่น",
    }
    found = {}
    for total in expected:
        t = selectors.tier_for(T(total), threshold, tiers)
        found[total] = t.name_th if t else None
    assert found == expected
    # Tiers starting above the threshold: eligible, but in no tier yet.
    assert selectors.tier_for(T("3.5000"), T("3.0000"), tiers[1:]) is None
    assert selectors.eligible(T("3.5000"), T("3.0000"))


@pytest.fixture
def strict_year(org, dims):
    """FY 2570 with an incentive threshold of 3.25 and three tiers; stored reports at each edge."""
    year = FiscalYear.objects.get(pk=org.year.pk)
    year.scoring_policy = scoring.ScoringPolicy(incentive_threshold=T("3.25")).to_dict()
    year.save()
    services.tiers_save(
        fiscal_year=year,
        rows=[
            {"name_th": "ดีเด่น", "name_en": "Excellent", "lower_bound": T("4.5")},
            {"name_th": "พอใช้", "name_en": "Fair", "lower_bound": T("3.25")},
            {"name_th": "ดี", "name_en": "Good", "lower_bound": T("4")},
        ],
    )
    round = six(year)
    totals = ["2.9999", "3.0000", "3.2499", "3.2500", "3.9999", "4.0000", "4.4999", "4.5000"]
    units = add_bureaus(org, len(totals))
    for unit, total in zip(units, totals, strict=True):
        stored_report(round, unit, {dims[0]: total})
    return round, dict(zip(totals, units, strict=True))


def test_the_dashboard_counts_eligibility_and_tiers_at_the_edges(strict_year, org, client_for):
    round, units = strict_year
    page = client_for(org.executive).get(url("scorecard_dashboard", round.pk))
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary["threshold_text"] == "3.2500"
    assert summary["ranked"] == 8 and summary["eligible"] == 5
    assert {t["tier"].name_th: t["count"] for t in summary["tiers"]} == {"พอใช้": 2, "ดี": 2, "ดีเด่น": 1}
    assert page.context["tier_rows"][0][1] == 3  # below the threshold: 2.9999, 3.0000, 3.2499
    # 13 units in scope: 8 bureaus + the ministry, two departments, bureaus A and B without a report.
    assert summary["units"] == 13 and summary["eligible_share"] == "38.5"
    rows = {r.name_th: r for r in client_for(org.executive).get(url("scorecard", round.pk)).context["rows"]}
    assert (rows[units["3.2499"].name_th].tier, rows[units["3.2499"].name_th].is_eligible) == (None, False)
    assert rows[units["3.2500"].name_th].tier.name_th == "พอใช้"
    assert rows[units["4.4999"].name_th].tier.name_th == "ดี"
    assert (
        rows[units["4.5000"].name_th].total_text == "4.5000"
        and rows[units["4.5000"].name_th].tier.name_th == "ดีเด่น"
    )


def test_totals_fall_in_bands_of_a_half(strict_year, org, client_for):
    round, _units = strict_year
    page = client_for(org.executive).get(url("scorecard_dashboard", round.pk))
    bands = {b["label"]: b["count"] for b in page.context["bands"]}
    assert bands == {
        "1.0–1.5": 0,
        "1.5–2.0": 0,
        "2.0–2.5": 0,
        "2.5–3.0": 1,  # 2.9999
        "3.0–3.5": 3,  # 3.0000, 3.2499, 3.2500
        "3.5–4.0": 1,  # 3.9999
        "4.0–4.5": 2,  # 4.0000, 4.4999
        "4.5–5.0": 1,  # 4.5000
    }
    top = selectors.UnitRow(
        1, "x", "x", "0001", 1, 1, "", None, report_id=1, submitted=True, total=T("5.0001")
    )
    assert selectors.bands([top], T(1))[-1]["count"] == 1


def test_the_dashboard_counts_reports_on_time_late_and_missing(org, dims, client_for):
    round = six(org.year)
    on_time, late, entering = add_bureaus(org, 3)
    stored_report(round, on_time, {dims[0]: "3"})
    stored_report(round, late, {dims[0]: "2"}, days_late=3, flags=["far_from_target", "external_obstacles"])
    stored_report(round, entering, {dims[0]: "4"}, status="draft")
    page = client_for(org.executive).get(url("scorecard_dashboard", round.pk))
    s = page.context["summary"]
    assert (s["units"], s["reported"], s["on_time"], s["late"], s["entering"], s["missing"]) == (
        8,
        2,
        1,
        1,
        1,
        5,
    )
    assert s["mean_text"] == "2.5000" and s["flagged"] == 1
    assert [r.name_th for r in page.context["flagged"]] == [late.name_th]
    html = page.content.decode()
    assert 'data-testid="count-late">1<' in html and 'data-testid="count-missing">5<' in html


def test_the_previous_year_is_beside(org, dims, client_for):
    round = six(org.year)
    before = six(fiscal_year_create(be_year=2569))
    units = add_bureaus(org, 2)
    stored_report(round, units[0], {dims[0]: "3.5"})
    stored_report(round, units[1], {dims[0]: "2.5"})
    stored_report(before, units[0], {dims[0]: "3"})
    page = client_for(org.executive).get(url("scorecard_dashboard", round.pk))
    assert page.context["previous_round"] == before
    ranking = {r.name_th: r for r in page.context["ranking"]}
    assert ranking[units[0].name_th].change_text == "+0.5000"
    assert ranking[units[1].name_th].change_text == ""
    comparison = {c["key"]: (c["then"], c["now"]) for c in page.context["comparison"]}
    assert comparison["reported"] == (1, 2) and comparison["mean_text"] == ("3.0000", "3.0000")
    assert comparison["late"] == (0, 0)  # a count of nought is 0, not a dash
    assert [(label, then, now) for label, then, now in page.context["band_rows"] if then or now] == [
        ("2.5–3.0", 0, 1),
        ("3.0–3.5", 1, 0),
        ("3.5–4.0", 0, 1),
    ]


def test_charts_are_svg_with_a_title_a_description_and_a_table(strict_year, org, client_for):
    round, _units = strict_year
    html = client_for(org.executive).get(url("scorecard_dashboard", round.pk)).content.decode()
    for chart in ("distribution", "tiers"):
        svg = re.search(rf'<svg[^>]*data-testid="chart-{chart}".*?</svg>', html, re.S).group(0)
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg and 'role="img"' in svg
        assert f'<title id="{chart}-title">' in svg and f'<desc id="{chart}-desc">' in svg
        assert "Sarabun" in svg and "<script" not in svg and "style=" not in svg
    assert 'data-testid="distribution"' in html and 'data-testid="tiers"' in html  # the tables beside
    assert "cdn" not in html.lower()


def test_the_bar_chart_scales_its_bars_to_the_counts():
    chart = charts.bar_chart("c", "t", ["a", "b"], [charts.Series("s", [2, 4])])
    heights = [b["height"] for b in chart.bars]
    assert heights[1] == 2 * heights[0] > 0
    assert chart.desc == "s: a 2, b 4"


# --- the tiers page -------------------------------------------------------------------------------------


def _post_tiers(client, year, rows, **extra):
    data = {"tiers-TOTAL_FORMS": str(len(rows)), "tiers-INITIAL_FORMS": "0", **extra}
    for i, (name, bound) in enumerate(rows):
        data[f"tiers-{i}-name_th"] = name
        data[f"tiers-{i}-lower_bound"] = bound
    return client.post(reverse("incentive_tiers", args=[year.pk]), data)


def test_administrators_of_a_whole_organisation_set_the_tiers(org, client_for):
    response = _post_tiers(client_for(org.admin), org.year, [("ดี", "4"), ("พอใช้", "3"), ("", "")])
    assert response.status_code == 302
    assert [
        (t.order, t.name_th, t.lower_bound) for t in IncentiveTier.objects.filter(fiscal_year=org.year)
    ] == [
        (1, "พอใช้", T("3.0000")),
        (2, "ดี", T("4.0000")),
    ]
    # Everyone signed in reads them; a department's administrator or an executive may not change them.
    assert client_for(org.head_a).get(reverse("incentive_tiers", args=[org.year.pk])).status_code == 200
    for person in (org.sub_admin, org.executive, org.outsider):
        assert _post_tiers(client_for(person), org.year, [("ดีเด่น", "4.5")]).status_code == 404
    assert IncentiveTier.objects.filter(fiscal_year=org.year).count() == 2


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("ต่ำ", "2.9999")], "2.9999"),
        ([("ก", "4"), ("ข", "4.0000")], "4.0000"),
        ([("", "4")], ""),
        ([("ก", "abc")], ""),
        ([("ก", "5.5")], ""),
    ],
)
def test_tiers_below_the_threshold_twice_the_same_or_unnamed_are_refused(org, client_for, rows, message):
    response = _post_tiers(client_for(org.admin), org.year, rows)
    assert response.status_code == 400 and message in response.content.decode()
    assert not IncentiveTier.objects.filter(fiscal_year=org.year).exists()


def test_last_years_tiers_are_copied(org, client_for):
    previous = fiscal_year_create(be_year=2569)
    services.tiers_save(fiscal_year=previous, rows=[{"name_th": "ดี", "name_en": "", "lower_bound": T("4")}])
    response = client_for(org.admin).post(
        reverse("incentive_tiers", args=[org.year.pk]) + "",
        {"action": "copy", "tiers-TOTAL_FORMS": "0", "tiers-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302
    assert [t.name_th for t in IncentiveTier.objects.filter(fiscal_year=org.year)] == ["ดี"]


# --- exports --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_dashboard_pdf_draws_the_charts(strict_year, org, tmp_path, django_capture_on_commit_callbacks):
    round, _units = strict_year
    job = run(django_capture_on_commit_callbacks, kind=DASHBOARD_PDF, user=org.executive, subject=round)
    pdf = content(job)
    text = pdf_text(pdf, tmp_path)
    assert "3.0–3.5" in text and "ดีเด่น" in text and "พอใช้" in text  # the charts' own labels and the tables
    assert "3.2500" in text
    (tmp_path / "dashboard.pdf").write_bytes(pdf)


def test_the_dashboard_workbook(strict_year, org, django_capture_on_commit_callbacks):
    round, _units = strict_year
    job = run(django_capture_on_commit_callbacks, kind=DASHBOARD_XLSX, user=org.executive, subject=round)
    wb = load_workbook(io.BytesIO(content(job)))
    assert len(wb.sheetnames) == 5
    tiers = {r[0].value: r[1].value for r in wb.worksheets[2].iter_rows() if r[0].value}
    assert (tiers["พอใช้"], tiers["ดี"], tiers["ดีเด่น"]) == (2, 2, 1)
