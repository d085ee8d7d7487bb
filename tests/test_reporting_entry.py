"""Entering a round report (issue 10, items 2 and 8): the report page, one KPI's entry form with its live
score, evidence files, and "my KPIs to report". Thresholds of the ``report`` fixture: 60/70/80/90/100, weights
45/15/20/20, so 85 scores 3 + (85 − 80) / (90 − 80) = 3.5000."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements.services import drafting
from kpi_agreements.organisation.models import Unit
from kpi_agreements.reporting.models import ReportEvidence, ReportItem, RoundReport
from kpi_agreements.reporting.services import flow
from tests.factories import add_kpi, open_report, sign

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def items_of(report) -> list[ReportItem]:
    return list(ReportItem.objects.filter(report=report).order_by("order"))


def fresh(report) -> RoundReport:
    return RoundReport.objects.get(pk=report.pk)


def enter_all(report, user, actuals=("85", "100", "60", "90")):
    for item, actual in zip(items_of(report), actuals, strict=True):
        flow.item_enter(item=item, user=user, result={"actual": actual}, narrative="ดำเนินการแล้ว")


def entry_url(item) -> str:
    return reverse("item_enter", args=[item.pk])


def form_data(**extra) -> dict:
    data = {
        "actual": "",
        "narrative": "ผลการดำเนินงาน",
        "obstacles": "",
        "suggestions": "",
        "later_reason": "",
    }
    data.update(extra)
    return data


def snapshot(item) -> tuple:
    item.refresh_from_db()
    report = fresh(item.report)
    return item.result, item.narrative, item.self_score, item.later_round, report.self_total, report.self_card


# --- the report page --------------------------------------------------------------------------------------


def test_the_report_page_shows_self_and_verified_side_by_side_with_the_difference_highlighted(
    report, org, client_for
):
    enter_all(report, org.collector)
    flow.report_submit(report=fresh(report), user=org.head_a)
    first = items_of(report)[0]
    # The verifier finds 95, not 85: 4 + 5/10 = 4.5000 against the unit's 3.5000.
    flow.item_verify(item=first, user=org.member, result={"actual": "95"}, note="ตรวจจากหลักฐาน")

    response = client_for(org.head_a).get(reverse("report_detail", args=[report.pk]))

    assert response.status_code == 200
    rows = {r["item"].code: r for r in response.context["rows"] if r["kind"] == "kpi"}
    assert (rows["1"]["self"]["score"], rows["1"]["verified"]["score"]) == ("3.5000", "4.5000")
    assert rows["1"]["differs"] and not rows["2"]["differs"]
    html = response.content.decode()
    assert 'class="text-end table-warning" data-testid="verified-1"' in html
    assert 'class="text-end" data-testid="verified-2"' in html
    # Totals come from the stored cards: self 1.5750 + 0.7500 + 0.2000 + 0.8000 = 3.3250; verified
    # 4.5 × 45 / 100 = 2.0250 instead of 1.5750, so 3.7750.
    assert response.context["totals"]["total"] == {"self": "3.3250", "verified": "3.7750", "differs": True}
    assert 'data-testid="verified-total">3.7750<' in html
    assert "ตรวจจากหลักฐาน" in html


def test_the_report_page_links_each_kpi_to_its_entry_page_for_those_who_enter(report, org, client_for):
    response = client_for(org.collector).get(reverse("report_detail", args=[report.pk]))
    for item in items_of(report):
        assert f'href="{entry_url(item)}"' in response.content.decode()
    response = client_for(org.member).get(reverse("report_detail", args=[report.pk]))
    assert all(not r["can_enter"] for r in response.context["rows"] if r["kind"] == "kpi")
    assert f'href="{entry_url(items_of(report)[0])}"' not in response.content.decode()


def test_the_report_page_gives_the_flow_panel_its_context(report, org, client_for):
    context = client_for(org.head_a).get(reverse("report_detail", args=[report.pk])).context
    assert context["may_submit"] and context["may_enter"] and not context["may_verify"]
    assert len(context["problems"]) == 8  # four KPIs, each without a result and without an account
    context = client_for(org.member).get(reverse("report_detail", args=[report.pk])).context
    assert not context["may_submit"] and not context["may_enter"] and context["problems"] == []


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_people_outside_the_unit_do_not_see_the_report(report, org, client_for, persona):
    response = client_for(getattr(org, persona)).get(reverse("report_detail", args=[report.pk]))
    assert response.status_code == 404


# --- the live score ---------------------------------------------------------------------------------------


def test_the_live_score_is_returned_as_the_value_is_typed_and_nothing_is_saved(report, org, client_for):
    item = items_of(report)[0]
    before = snapshot(item)

    response = client_for(org.collector).post(entry_url(item), form_data(actual="85"), **HTMX)

    assert response.status_code == 200
    assert response.context["live"]["score"] == Decimal("3.5000")
    html = response.content.decode()
    assert 'data-testid="live-score">3.5000<' in html
    assert "<html" not in html  # only the partial
    assert snapshot(item) == before


def test_the_live_partial_says_the_engines_message_for_a_bad_value(report, org, client_for):
    item = items_of(report)[0]
    response = client_for(org.collector).post(entry_url(item), form_data(actual="abc"), **HTMX)
    assert response.context["live"]["score"] is None
    assert "&#x27;abc&#x27; ไม่ใช่ตัวเลข" in response.content.decode()  # in the panel and at the field
    assert response.context["form"].errors["actual"] == ["'abc' ไม่ใช่ตัวเลข"]


# --- saving -----------------------------------------------------------------------------------------------


def test_a_full_post_saves_the_score_and_the_reports_total(report, org, client_for):
    item = items_of(report)[0]

    response = client_for(org.collector).post(entry_url(item), form_data(actual="85"))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.result == {"actual": "85"}
    assert item.self_score == Decimal("3.5000")
    assert item.entered_by == org.collector
    # The three KPIs not yet entered score the floor: 3.5 × 0.45 + 1 × 0.15 + 1 × 0.20 + 1 × 0.20 = 2.1250.
    assert fresh(report).self_total == Decimal("2.1250")
    assert fresh(report).self_card["kpis"]["1"]["weighted"] == "1.5750"


@pytest.mark.parametrize(
    "actual, message",
    [
        ("abc", "'abc' ไม่ใช่ตัวเลข"),
        ("1e999", "'1e999' เขียนในรูปเลขยกกำลัง (e หรือ E) กรุณาเขียนตัวเลขเต็มจำนวน เช่น 1500000"),
        ("NaN", "'NaN' ไม่ใช่ตัวเลขที่นำมาคำนวณได้"),
    ],
)
def test_a_result_in_the_wrong_shape_is_refused_at_the_field_and_nothing_changes(
    report, org, client_for, actual, message
):
    item = items_of(report)[0]
    before = snapshot(item)

    response = client_for(org.collector).post(entry_url(item), form_data(actual=actual))

    assert response.status_code == 400
    assert response.context["form"].errors["actual"] == [message]
    assert snapshot(item) == before


def test_a_result_entered_after_submission_is_refused_with_a_message(report, org, client_for):
    enter_all(report, org.collector)
    flow.report_submit(report=fresh(report), user=org.head_a)
    item = items_of(report)[0]
    before = snapshot(item)

    response = client_for(org.collector).post(entry_url(item), form_data(actual="100"))

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert response.context["editable"] is False
    assert snapshot(item) == before
    # The page itself is now read-only: no form, the figures as submitted.
    page = client_for(org.collector).get(entry_url(item))
    assert page.status_code == 200 and page.context["form"] is None
    assert 'data-testid="read-only"' in page.content.decode()


@pytest.mark.parametrize("persona", ["collector", "supervisor", "head_a", "planner"])
def test_the_people_named_on_the_kpi_and_the_units_editors_enter_it(report, org, client_for, persona):
    item = items_of(report)[1]
    client = client_for(getattr(org, persona))
    assert client.get(entry_url(item)).context["form"] is not None
    assert client.post(entry_url(item), form_data(actual="100")).status_code == 302
    item.refresh_from_db()
    assert item.self_score == Decimal("5.0000")


@pytest.mark.parametrize("persona", ["head_b", "outsider", "member"])
def test_others_get_404_on_the_entry_pages(report, org, client_for, persona):
    item = items_of(report)[0]
    evidence = ReportEvidence.objects.create(
        item=item, file=SimpleUploadedFile("a.pdf", PDF), name="a.pdf", uploaded_by=org.collector
    )
    before = snapshot(item)
    client = client_for(getattr(org, persona))
    assert client.get(entry_url(item)).status_code == 404
    assert client.post(entry_url(item), form_data(actual="100")).status_code == 404
    assert client.post(entry_url(item), form_data(actual="100"), **HTMX).status_code == 404
    add = reverse("item_evidence_add", args=[item.pk])
    assert client.post(add, {"file": SimpleUploadedFile("b.pdf", PDF)}).status_code == 404
    remove = reverse("item_evidence_remove", args=[item.pk, evidence.pk])
    assert client.post(remove).status_code == 404
    assert snapshot(item) == before
    assert list(ReportEvidence.objects.values_list("name", flat=True)) == ["a.pdf"]


# --- evidence ---------------------------------------------------------------------------------------------


def attach(client, item, name, data):
    return client.post(reverse("item_evidence_add", args=[item.pk]), {"file": SimpleUploadedFile(name, data)})


def test_evidence_is_attached_downloaded_by_readers_and_removed(report, org, client_for):
    item = items_of(report)[0]
    assert attach(client_for(org.collector), item, "minutes.pdf", PDF).status_code == 302
    evidence = ReportEvidence.objects.get(item=item)
    assert (evidence.name, evidence.size, evidence.uploaded_by) == ("minutes.pdf", len(PDF), org.collector)
    assert not evidence.file.name.endswith("minutes.pdf")  # stored under a random name

    response = client_for(org.member).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF

    remove = reverse("item_evidence_remove", args=[item.pk, evidence.pk])
    assert client_for(org.collector).post(remove).status_code == 302
    assert not ReportEvidence.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "head_b"])
def test_evidence_download_by_people_outside_the_report_is_404(report, org, client_for, persona):
    item = items_of(report)[0]
    attach(client_for(org.collector), item, "minutes.pdf", PDF)
    evidence = ReportEvidence.objects.get()
    response = client_for(getattr(org, persona)).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 404


def test_evidence_of_a_forbidden_type_is_refused_at_the_field(report, org, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    item = items_of(report)[0]
    response = attach(client_for(org.collector), item, "minutes.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    assert response.status_code == 400
    assert response.context["evidence_form"].errors["file"] == [
        "Upload a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file."
    ]
    assert not ReportEvidence.objects.exists()
    assert not (settings.MEDIA_ROOT.exists() and any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*")))


def test_evidence_too_large_is_refused_at_the_field(report, org, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    settings.EVIDENCE_MAX_BYTES = len(PDF) - 1
    item = items_of(report)[0]
    response = attach(client_for(org.collector), item, "minutes.pdf", PDF)
    assert response.status_code == 400
    (error,) = response.context["evidence_form"].errors["file"]
    assert error.startswith("The file is larger than")
    assert not ReportEvidence.objects.exists()


def test_evidence_cannot_change_once_the_report_is_submitted(report, org):
    from django.core.exceptions import ValidationError

    from kpi_agreements.reporting.services import evidence as evidence_service

    item = items_of(report)[0]
    kept = evidence_service.evidence_add(
        item=item, upload=SimpleUploadedFile("a.pdf", PDF), user=org.collector
    )
    enter_all(report, org.collector)
    flow.report_submit(report=fresh(report), user=org.head_a)
    with pytest.raises(ValidationError):
        evidence_service.evidence_add(item=item, upload=SimpleUploadedFile("b.pdf", PDF), user=org.collector)
    with pytest.raises(ValidationError):
        evidence_service.evidence_remove(evidence=kept, user=org.collector)
    assert list(ReportEvidence.objects.values_list("name", flat=True)) == ["a.pdf"]


# --- reports from a later round ---------------------------------------------------------------------------


def test_a_kpi_reporting_from_a_later_round_leaves_the_card(report, org, client_for):
    first, second = items_of(report)[:2]
    client = client_for(org.collector)
    client.post(entry_url(first), form_data(actual="85"))
    assert fresh(report).self_total == Decimal("2.1250")

    response = client.post(
        entry_url(second), form_data(later_round="on", later_reason="เริ่มโครงการเดือนเมษายน")
    )

    assert response.status_code == 302
    card = fresh(report).self_card
    assert "2" not in card["kpis"]
    # W = 85 without KPI 2: 3.5 × 45/85 = 1.8529, 1 × 20/85 = 0.2353 twice: 2.3235.
    assert card["kpis"]["1"]["weighted"] == "1.8529"
    assert card["total"] == "2.3235"
    assert fresh(report).self_total == Decimal("2.3235")
    page = client.get(reverse("report_detail", args=[report.pk]))
    assert 'data-testid="later-2"' in page.content.decode()
    assert "เริ่มโครงการเดือนเมษายน" in page.content.decode()


def test_a_later_round_needs_a_reason(report, org, client_for):
    item = items_of(report)[1]
    before = snapshot(item)
    response = client_for(org.collector).post(entry_url(item), form_data(later_round="on"))
    assert response.status_code == 400
    assert response.context["form"].errors["later_reason"]
    assert snapshot(item) == before


def test_a_later_round_is_refused_in_the_12_month_round(report, org, client_for):
    final = open_report(report.agreement, 12)
    item = items_of(final)[1]
    client = client_for(org.collector)
    assert client.get(entry_url(item)).context["offers_later"] is False
    before = snapshot(item)

    response = client.post(entry_url(item), form_data(later_round="on", later_reason="ยังไม่เริ่ม"))

    assert response.status_code == 400
    assert response.context["form"].errors["later_round"]
    assert snapshot(item) == before
    assert "2" in fresh(final).self_card["kpis"]


# --- other methods ----------------------------------------------------------------------------------------


@pytest.fixture
def methods_report(org, dims, agreement):
    """One KPI of each other method, all in dimension 1."""
    specs = [
        ("milestone", {"levels": [["ก"], ["ข"], ["ค", "ง"], ["จ"], ["ฉ"]]}),
        ("pass_fail", {"condition": "ผ่านการรับรอง"}),
        ("qualitative", {"levels": ["แย่มาก", "แย่", "พอใช้", "ดี", "ดีมาก"]}),
        (
            "multi_quantitative",
            {
                "measures": [
                    {"name": "ก", "weight": "1", "thresholds": ["1", "2", "3", "4", "5"]},
                    {"name": "ข", "weight": "1", "thresholds": ["10", "20", "30", "40", "50"]},
                ]
            },
        ),
    ]
    for (method, criteria), d in zip(specs, dims, strict=True):
        add_kpi(agreement, d, d.weight, method, method=method, criteria=criteria, collector=org.collector)
    return open_report(sign(agreement), 6)


@pytest.mark.parametrize(
    "index, data, result, score",
    [
        (0, {"done_1_0": "on", "done_2_0": "on", "done_3_0": "on", "done_3_1": "on"}, None, "3.0000"),
        (1, {"passed": "yes"}, {"passed": True}, "5.0000"),
        (1, {"passed": "no"}, {"passed": False}, "1.0000"),
        (2, {"level": "4"}, {"level": 4}, "4.0000"),
        (3, {"actual_0": "3", "actual_1": "50"}, {"actuals": ["3", "50"]}, "4.0000"),
    ],
)
def test_each_method_is_entered_in_its_own_shape(methods_report, org, client_for, index, data, result, score):
    item = items_of(methods_report)[index]
    client = client_for(org.collector)
    assert client.post(entry_url(item), form_data(**data), **HTMX).context["live"]["score"] == Decimal(score)
    assert client.post(entry_url(item), form_data(**data)).status_code == 302
    item.refresh_from_db()
    if result is not None:
        assert item.result == result
    assert item.self_score == Decimal(score)
    assert client.get(entry_url(item)).status_code == 200


def test_a_missing_measure_is_refused_but_not_while_typing(methods_report, org, client_for):
    item = items_of(methods_report)[3]
    client = client_for(org.collector)
    live = client.post(entry_url(item), form_data(actual_0="3"), **HTMX)
    assert live.context["live"]["score"] is None and not live.context["form"].errors
    response = client.post(entry_url(item), form_data(actual_0="3"))
    assert response.status_code == 400
    assert response.context["form"].errors["actual_1"] == ["กรุณากรอกค่าในช่องนี้"]


# --- my KPIs to report ------------------------------------------------------------------------------------


def test_my_reports_lists_the_collectors_items_and_the_heads_reports(report, org, client_for):
    flow.item_enter(item=items_of(report)[0], user=org.collector, result={"actual": "85"}, narrative="x")
    response = client_for(org.collector).get(reverse("my_reports"))
    assert response.status_code == 200
    listed = list(response.context["items"])
    assert [i.code for i in listed] == ["1", "2", "3", "4"]
    assert response.context["reports"] is None  # the collector heads nothing
    html = response.content.decode()
    assert html.count('data-testid="my-item"') == 4
    assert entry_url(listed[0]) in html

    response = client_for(org.head_a).get(reverse("my_reports"))
    assert list(response.context["items"]) == []
    (row,) = response.context["reports"]
    assert (row.pk, row.entered, row.to_enter) == (report.pk, 1, 3)
    assert client_for(org.outsider).get(reverse("my_reports")).context["items"].paginator.count == 0


# --- query counts -----------------------------------------------------------------------------------------


def bureau_b_report(org, dims, kpis_per_dimension=4):
    """Bureau B's report, four times the size of bureau A's, its KPIs collected by the same collector."""
    Unit.objects.filter(pk=org.bureau_b.pk).update(head=org.head_b)
    org.bureau_b.refresh_from_db()
    agreement = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    for d in dims:
        for n in range(kpis_per_dimension):
            add_kpi(agreement, d, d.weight / kpis_per_dimension, f"ข{n}", collector=org.collector)
    return open_report(sign(agreement), 6)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def with_evidence_and_results(report, org):
    for item in items_of(report):
        flow.item_enter(item=item, user=org.collector, result={"actual": "85"}, narrative="x")
        ReportEvidence.objects.create(
            item=item, file=SimpleUploadedFile("a.pdf", PDF), name="a.pdf", uploaded_by=org.collector
        )


@pytest.mark.parametrize("viewer", ["planner", "head"])
def test_the_report_page_costs_the_same_whatever_the_number_of_kpis(report, org, dims, client_for, viewer):
    big = bureau_b_report(org, dims)
    with_evidence_and_results(report, org)
    with_evidence_and_results(big, org)
    assert len(items_of(big)) == 4 * len(items_of(report))
    counts = []
    for each, head in ((report, org.head_a), (big, org.head_b)):
        client = client_for(org.planner if viewer == "planner" else head)
        client.get(reverse("report_detail", args=[each.pk]))  # warm the session
        counts.append(queries(client, reverse("report_detail", args=[each.pk])))
    assert counts[0] == counts[1]


def test_my_reports_costs_the_same_whatever_the_number_of_kpis_and_reports(report, org, dims, client_for):
    def count(person) -> int:
        client = client_for(person)
        client.get(reverse("my_reports"))  # warm the session
        return queries(client, reverse("my_reports"))

    small = {"collector": count(org.collector), "planner": count(org.planner)}
    bureau_b_report(org, dims)
    assert {"collector": count(org.collector), "planner": count(org.planner)} == small
    assert client_for(org.collector).get(reverse("my_reports")).context["items"].paginator.count == 20
