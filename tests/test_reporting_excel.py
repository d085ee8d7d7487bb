"""The round's Excel workbook and the import of round results (issue 10 items 2 and 7)."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kpi_agreements import scoring
from kpi_agreements.reporting.excel import jobs as excel_jobs  # noqa: F401  (registers the job kinds)
from kpi_agreements.reporting.excel.layout import RESULT_COLUMNS, SHEET_CARDS, SHEET_RESULTS
from kpi_agreements.reporting.models import ReportItem, RoundReport
from kpi_agreements.workflow.models import Job
from tests.factories import QUANT, add_kpi, open_report, sign

COLUMN = {c.key: i for i, c in enumerate(RESULT_COLUMNS, start=1)}
LETTER = {c.key: chr(ord("A") + i - 1) for c, i in zip(RESULT_COLUMNS, COLUMN.values(), strict=True)}

MULTI = {
    "measures": [
        {"name": "ความครอบคลุม", "weight": "2", "thresholds": ["60", "70", "80", "90", "100"]},
        {"name": "ความทันเวลา", "weight": "1", "thresholds": ["10", "8", "6", "4", "2"]},
    ]
}
MILESTONE = {"levels": [["ก"], ["ข", "ค"], ["ง"], ["จ"], ["ฉ"]]}
PASS_FAIL = {"condition": "ส่งรายงานภายใน 30 ก.ย."}
QUALITATIVE = {"levels": ["ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 4", "ระดับ 5"]}


@pytest.fixture
def reports(org, dims):
    """Bureau A's signed agreement with a KPI of every method (and a parent of two), named on the supervisor
    and collector of bureau B; bureau B's signed agreement with two quantitative KPIs; the 6-month round
    open, so both have a report."""
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    Unit.objects.filter(pk=org.bureau_b.pk).update(head=org.head_b)
    org.bureau_a.refresh_from_db()
    org.bureau_b.refresh_from_db()
    a, b = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_a, org.bureau_b])
    named = {"supervisor": org.supervisor, "collector": org.collector}
    parent = add_kpi(a, dims[0], 45, "ตัวชี้วัดหลัก", **named)
    add_kpi(a, dims[0], 25, "เชิงปริมาณ", parent=parent, **named)
    add_kpi(
        a, dims[0], 20, "หลายตัวชี้วัดย่อย", parent=parent, method="multi_quantitative", criteria=MULTI, **named
    )
    add_kpi(a, dims[1], 15, "ขั้นตอน", method="milestone", criteria=MILESTONE, **named)
    add_kpi(a, dims[2], 20, "ผ่านไม่ผ่าน", method="pass_fail", criteria=PASS_FAIL, **named)
    add_kpi(a, dims[3], 20, "เชิงคุณภาพ", method="qualitative", criteria=QUALITATIVE, **named)
    add_kpi(b, dims[0], 60, "บี หนึ่ง", criteria=QUANT)
    add_kpi(b, dims[1], 40, "บี สอง", criteria=QUANT)
    sign(b)
    report_a = open_report(sign(a), 6)
    report_b = RoundReport.objects.get(round=report_a.round, agreement=b)
    return report_a, report_b


def _run(django_capture_on_commit_callbacks, client, url, data):
    """POST, run the job it asks for, and return the job."""
    before = set(Job.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    job = Job.objects.exclude(pk__in=before).get()
    assert response.url == reverse("job_detail", args=[job.pk])
    return job


def _workbook(django_capture_on_commit_callbacks, client, round, **data):
    job = _run(django_capture_on_commit_callbacks, client, reverse("round_workbook", args=[round.pk]), data)
    assert job.status == Job.Status.READY, job.error
    with job.file.open("rb") as f:
        return job, load_workbook(io.BytesIO(f.read()))


def _rows(wb) -> dict[int, int]:
    """Item id -> its row on the results sheet."""
    ws = wb[SHEET_RESULTS]
    return {ws.cell(r, COLUMN["item"]).value: r for r in range(2, ws.max_row + 1)}


def _import(django_capture_on_commit_callbacks, client, round, wb) -> Job:
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("results.xlsx", buffer.getvalue(), content_type="application/octet-stream")
    job = _run(
        django_capture_on_commit_callbacks, client, reverse("round_import", args=[round.pk]), {"file": upload}
    )
    job.refresh_from_db()
    return job


def _items(report) -> dict[str, ReportItem]:
    return {i.code: i for i in ReportItem.objects.filter(report=report)}


def _fill(wb, items, values: dict) -> None:
    """values: KPI code -> {column key: cell value}."""
    ws = wb[SHEET_RESULTS]
    rows = _rows(wb)
    for code, cells in values.items():
        for key, value in cells.items():
            ws.cell(rows[items[code].pk], COLUMN[key]).value = value


GOOD = {
    "1.1": {"result": 85.5, "narrative": "ดำเนินการได้ร้อยละ 85.5"},
    "1.2": {"result": "75;3", "narrative": "สองตัวชี้วัดย่อย", "obstacles": "งบประมาณล่าช้า", "external": "ใช่"},
    "2": {"result": 3, "narrative": "ทำครบสามระดับ", "suggestions": "เพิ่มบุคลากร"},
    "3": {"result": "ผ่าน", "narrative": "ส่งทันเวลา"},
    "4": {"result": 4, "narrative": "เหตุผลของระดับ 4"},
}
EXPECTED = {
    "1.1": {"actual": "85.5"},
    "1.2": {"actuals": ["75", "3"]},
    "2": {"done": [[True], [True, True], [True], [False], [False]]},
    "3": {"passed": True},
    "4": {"level": 4},
}


def _snapshot():
    fields = [f.attname for f in ReportItem._meta.concrete_fields]
    items = sorted(ReportItem.objects.values_list(*fields))
    cards = sorted(RoundReport.objects.values_list("pk", "self_card", "self_total", "flags"))
    return items, cards, ReportItem.history.count()


def test_export_fill_import_round_trip_stores_the_engines_scores(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    report, _b = reports
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    items = _items(report)
    _fill(wb, items, GOOD)
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)

    assert job.status == Job.Status.READY, job.error
    assert "errors" not in job.outcome, job.outcome
    assert job.outcome["imported"] == 5 and job.outcome["reports"] == 1
    assert "5" in job.outcome["summary"]
    assert job.outcome["summary"] in client.get(reverse("job_detail", args=[job.pk])).content.decode()
    report.refresh_from_db()
    items = _items(report)
    policy = report.round.fiscal_year.policy
    rows = []
    for code, item in items.items():
        if not item.is_leaf:
            assert item.entered_by is None
            rows.append({"code": code, "parent": None, "dimension": item.dimension_id, "weight": Decimal(0)})
            continue
        assert item.entered_by == org.collector
        assert item.result == EXPECTED[code]
        expected = scoring.score(item.method, item.criteria, EXPECTED[code], policy)
        assert item.self_score == expected, code
        rows.append(
            {
                "code": code,
                "parent": item.parent_code or None,
                "dimension": item.dimension_id,
                "weight": item.weight,
                "method": item.method,
                "criteria": item.criteria,
                "result": EXPECTED[code],
            }
        )
    assert items["1.2"].obstacles == "งบประมาณล่าช้า" and items["1.2"].obstacles_external is True
    assert items["2"].suggestions == "เพิ่มบุคลากร"
    card = scoring.round_card(rows, penalty=report.penalty, policy=policy)
    assert report.self_total == card.total
    assert f"{report.self_total:.4f}" == f"{card.total:.4f}"
    assert items["1.1"].self_score == Decimal("3.5500")  # 3 + (85.5 - 80) / 10
    # One history row per saved item, by the importer.
    history = ReportItem.history.filter(
        history_user=org.collector, history_change_reason="imported from Excel"
    )
    assert history.count() == 5

    # The workbook made again shows the stored results and scores; imported again, nothing changes.
    _job, again = _workbook(django_capture_on_commit_callbacks, client, report.round)
    ws = again[SHEET_RESULTS]
    row = _rows(again)[items["1.1"].pk]
    assert ws.cell(row, COLUMN["result"]).value == 85.5
    assert f"{Decimal(str(ws.cell(row, COLUMN['self_score']).value)):.4f}" == "3.5500"
    assert ws.cell(row, COLUMN["self_score"]).number_format == "0.0000"
    assert ws.cell(_rows(again)[items["2"].pk], COLUMN["result"]).value == 3
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, again)
    assert job.outcome["imported"] == 0 and job.outcome["unchanged"] == 8, job.outcome
    assert _snapshot() == before


BAD = {
    # case: (the cell to spoil: KPI code, column key, value, extra cells), the column the error names
    "text in an actual": (("1.1", "result", "abc", {}), "result"),
    "a level 7": (("4", "result", 7, {}), "result"),
    "a milestone level 6": (("2", "result", 6, {}), "result"),
    "a later round without a reason": (("3", "later_round", "ใช่", {}), "later_reason"),
    "a tick that is not yes or no": (("3", "external", "บางที", {}), "external"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_one_bad_cell_refuses_the_whole_file_naming_its_row_and_column(
    case, reports, org, client_for, django_capture_on_commit_callbacks
):
    (code, key, value, _extra), column = BAD[case]
    report, _b = reports
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    items = _items(report)
    _fill(wb, items, GOOD)
    _fill(wb, items, {code: {key: value}})
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)

    assert job.status == Job.Status.READY, job.error
    assert job.outcome["error_count"] == 1, job.outcome
    (error,) = job.outcome["errors"]
    assert error["sheet"] == SHEET_RESULTS
    assert error["row"] == _rows(wb)[items[code].pk]
    assert error["column"] == LETTER[column]
    assert error["message"]
    assert error["where"] and str(error["row"]) in error["where"]
    assert _snapshot() == before
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert error["where"] in page and error["message"].replace("'", "&#x27;") in page


def test_the_cell_carries_the_engines_thai_message(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from kpi_agreements.criteria.validation import scoring_message

    report, _b = reports
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    _fill(wb, _items(report), {"4": {"result": 7}, "1.1": {"result": "abc"}})
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    messages = {e["message"] for e in job.outcome["errors"]}
    with translation.override("th"):
        level = scoring_message(scoring.ScoringError("level_range", "level", value=7))
        text = scoring_message(scoring.ScoringError("not_a_number", "actual", value="abc"))
    assert messages == {level, text}
    assert "7" in level and level != scoring.MESSAGES["level_range"].format(value=7)  # Thai, not the default


def test_a_changed_row_of_a_report_the_user_may_not_enter_refuses_the_file(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    """The collector reads bureau B's report (his own bureau) but enters only the KPIs he is named on."""
    report, report_b = reports
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    items, items_b = _items(report), _items(report_b)
    assert items_b["1"].pk in _rows(wb)  # he reads it
    _fill(wb, items, GOOD)
    _fill(wb, items_b, {"1": {"result": 90}})
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    (error,) = job.outcome["errors"]
    assert (error["row"], error["column"]) == (_rows(wb)[items_b["1"].pk], LETTER["result"])
    assert _snapshot() == before

    # Left as they are, the rows he may not enter do not stop the others.
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    _fill(wb, items, GOOD)
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    assert job.outcome["imported"] == 5 and job.outcome["unchanged"] == 3, job.outcome


def test_a_submitted_report_refuses_a_changed_row(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    """The planner still enters bureau B's report, so the page is his; bureau A's has been submitted."""
    report, _b = reports
    client = client_for(org.planner)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    RoundReport.objects.filter(pk=report.pk).update(status=RoundReport.Status.SUBMITTED)
    _fill(wb, _items(report), {"3": {"result": "ไม่ผ่าน"}})
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    (error,) = job.outcome["errors"]
    assert error["column"] == LETTER["result"]
    assert _snapshot() == before


def test_ids_of_other_reports_and_added_rows_are_refused(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    report, report_b = reports
    client = client_for(org.head_a)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    ws = wb[SHEET_RESULTS]
    last = ws.max_row
    ws.cell(last + 1, COLUMN["item"]).value = _items(report_b)["1"].pk  # bureau B's: head A does not read it
    ws.cell(last + 1, COLUMN["result"]).value = 90
    ws.cell(last + 2, COLUMN["narrative"]).value = "แถวใหม่"  # no id
    ws.cell(2, COLUMN["result"]).value = "=1+1"
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    found = [(e["row"], e["column"]) for e in job.outcome["errors"]]
    assert found == [(2, LETTER["result"]), (last + 1, LETTER["item"]), (last + 2, LETTER["item"])]
    assert _snapshot() == before


def test_a_milestone_left_at_its_level_keeps_its_ticks(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    from kpi_agreements.reporting.services.flow import item_enter

    report, _b = reports
    item = _items(report)["2"]
    partial = {"done": [[True], [True, False], [True], [False], [False]]}
    item_enter(item=item, user=org.collector, result=partial, narrative="ครึ่งระดับสอง")
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    assert wb[SHEET_RESULTS].cell(_rows(wb)[item.pk], COLUMN["result"]).value == 1
    _fill(wb, _items(report), {"3": {"result": "ไม่ผ่าน", "narrative": "ไม่ทัน"}})
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    assert job.outcome["imported"] == 1, job.outcome
    item.refresh_from_db()
    assert item.result == partial


@pytest.mark.parametrize(
    "content, message",
    [
        (b"report,result\n1,85\n", "Excel"),
        (b"PK\x03\x04" + b"\0" * 100, "Excel"),
        (b"\0" * (5 * 1024 * 1024 + 1), "MB"),
    ],
    ids=["text named .xlsx", "a broken zip", "too big"],
)
def test_a_hostile_file_is_refused_at_the_form(content, message, reports, org, client_for):
    report, _b = reports
    client = client_for(org.head_a)
    upload = SimpleUploadedFile("results.xlsx", content, content_type="application/octet-stream")
    response = client.post(reverse("round_import", args=[report.round.pk]), {"file": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors and message in errors[0]
    assert not Job.objects.exists()


def test_a_file_that_is_no_workbook_of_the_round_is_reported_by_the_job(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    report, _b = reports
    wb = Workbook()
    wb.active.title = SHEET_RESULTS
    wb.active.append(["อะไรก็ได้"])
    job = _import(django_capture_on_commit_callbacks, client_for(org.head_a), report.round, wb)
    assert job.status == Job.Status.READY
    assert job.outcome["errors"][0]["row"] == 1 and job.outcome["errors"][0]["column"] == "A"


@pytest.mark.parametrize("persona", ["outsider", "member", "executive"])
def test_who_may_enter_nothing_in_the_round_gets_404_on_the_import_page(persona, reports, org, client_for):
    report, _b = reports
    client = client_for(getattr(org, persona))
    url = reverse("round_import", args=[report.round.pk])
    upload = SimpleUploadedFile("results.xlsx", b"x", content_type="application/octet-stream")
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": upload}).status_code == 404
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona", ["head_a", "head_b", "planner", "collector", "supervisor"])
def test_who_may_enter_something_reaches_the_import_page(persona, reports, org, client_for):
    report, _b = reports
    assert (
        client_for(getattr(org, persona)).get(reverse("round_import", args=[report.round.pk])).status_code
        == 200
    )


def test_the_workbook_holds_the_reports_in_scope_and_no_other(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    report_a, report_b = reports
    ids_a = set(ReportItem.objects.filter(report=report_a).values_list("pk", flat=True))
    ids_b = set(ReportItem.objects.filter(report=report_b).values_list("pk", flat=True))

    job, wb = _workbook(django_capture_on_commit_callbacks, client_for(org.head_b), report_b.round)
    assert set(_rows(wb)) == ids_b
    assert {r[0] for r in wb[SHEET_CARDS].iter_rows(min_row=2, values_only=True)} == {report_b.pk}
    assert (job.done, job.total) == (1, 1)
    assert job.filename.endswith(".xlsx")

    job, wb = _workbook(django_capture_on_commit_callbacks, client_for(org.planner), report_a.round)
    assert set(_rows(wb)) == ids_a | ids_b
    assert (job.done, job.total) == (2, 2)
    ws = wb[SHEET_RESULTS]
    assert ws.column_dimensions["B"].hidden
    assert [c.value for c in ws[1]] == [c.header for c in RESULT_COLUMNS]

    # Below one unit: bureau A only.
    job, wb = _workbook(
        django_capture_on_commit_callbacks, client_for(org.planner), report_a.round, unit=org.bureau_a.pk
    )
    assert set(_rows(wb)) == ids_a
    assert job.total == 1


def test_the_cards_sheet_carries_the_stored_totals(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    report, _b = reports
    client = client_for(org.collector)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    _fill(wb, _items(report), GOOD)
    _import(django_capture_on_commit_callbacks, client, report.round, wb)
    report.refresh_from_db()
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    row = next(r for r in wb[SHEET_CARDS].iter_rows(min_row=2) if r[0].value == report.pk)
    assert f"{Decimal(str(row[5].value)):.4f}" == report.self_card["total"]
    assert f"{Decimal(str(row[3].value)):.4f}" == report.self_card["subtotal"]


def test_the_pages_cost_the_same_whatever_the_number_of_jobs(
    reports, org, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report, _b = reports
    client = client_for(org.planner)
    counts = []
    for _ in range(2):
        for name in ("round_workbook", "round_import"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name, args=[report.round.pk])).status_code == 200
            counts.append(len(queries))
        for _ in range(3):
            _workbook(django_capture_on_commit_callbacks, client, report.round)
    assert counts[:2] == counts[2:]


def test_data_far_below_the_table_is_refused_by_its_row(
    reports, org, client_for, django_capture_on_commit_callbacks
):
    """A sheet that declares (or holds) a million rows is not read into memory: the rows are counted as the
    file is scanned, and data below the last row read is named, not dropped."""
    from kpi_agreements.reporting.excel.parse import MAX_SHEET_ROWS

    report, _b = reports
    client = client_for(org.head_a)
    _job, wb = _workbook(django_capture_on_commit_callbacks, client, report.round)
    wb[SHEET_RESULTS].cell(MAX_SHEET_ROWS + 5, COLUMN["narrative"]).value = "ซ่อนไว้ข้างล่าง"
    before = _snapshot()
    job = _import(django_capture_on_commit_callbacks, client, report.round, wb)
    (error,) = job.outcome["errors"]
    assert (error["sheet"], error["row"]) == (SHEET_RESULTS, MAX_SHEET_ROWS + 5)
    assert _snapshot() == before
