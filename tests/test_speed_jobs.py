"""A 2,000-unit year at interactive speed (issue 14), the long work as background jobs: creating the year's
agreements, importing a KPI Template workbook, the year's workbook; the year's agreements page paginated,
searched and filtered at a flat query cost; the scoring engine's criteria cache.

Jobs run at once here (their effect on commit); ``run_job`` is called again by hand where a test retries one.
"""

import io
from decimal import Decimal, localcontext

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_agreements import scoring
from kpi_agreements.agreements import jobs as agreement_jobs
from kpi_agreements.agreements.excel import export, layout
from kpi_agreements.agreements.models import KPI, Agreement, Party
from kpi_agreements.agreements.services import drafting, framework
from kpi_agreements.agreements.views import framework as framework_views
from kpi_agreements.organisation import services as org_services
from kpi_agreements.organisation.models import RoleAssignment, Unit
from kpi_agreements.scoring import methods
from kpi_agreements.scoring.numbers import CONTEXT
from kpi_agreements.workflow import jobs as workflow_jobs
from kpi_agreements.workflow.jobs import run_job
from kpi_agreements.workflow.models import Job
from tests.factories import QUANT, add_kpi


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads and job files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --- helpers ------------------------------------------------------------------------------------------------


def mandatory(year, dims):
    """Two mandatory KPIs for every unit type: 1 (a parent of 1.1 and 1.2) and 2."""
    fields = {"method": "quantitative", "direction": "higher", "criteria": QUANT}
    parent = framework.mandatory_kpi_save(
        fiscal_year=year, unit_types=[], code="1", dimension=dims[0], weight=Decimal(20), name="หลัก", **fields
    )
    for code, weight in [("1.1", 12), ("1.2", 8)]:
        framework.mandatory_kpi_save(
            fiscal_year=year,
            unit_types=[],
            code=code,
            dimension=dims[0],
            weight=Decimal(weight),
            name=f"ย่อย {code}",
            parent=parent,
            **fields,
        )
    framework.mandatory_kpi_save(
        fiscal_year=year, unit_types=[], code="2", dimension=dims[1], weight=Decimal(10), name="สอง", **fields
    )


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """POST to a page that asks for a job; the job runs at once. Returns the response and the new job."""

    def post(client, url, data=None):
        before = set(Job.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data or {})
        job = Job.objects.exclude(pk__in=before).first()
        if job is not None:
            assert response.status_code == 302 and response["Location"] == reverse(
                "job_detail", args=[job.pk]
            )
        return response, job

    return post


def again(job):
    """Run a job again as a redelivered task would (its status lost, say, with a dead worker)."""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    run_job(job.pk)
    return Job.objects.get(pk=job.pk)


# --- creating the year's agreements ----------------------------------------------------------------------


def test_creating_the_years_agreements_is_a_job_with_progress_bulk_writes_and_history(
    org, dims, client_for, ask
):
    mandatory(org.year, dims)
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    client = client_for(org.planner)
    url = reverse("year_agreements_create", args=[org.year.pk])
    response, job = ask(client, url, {"units": [org.bureau_a.pk, org.bureau_b.pk]})
    assert (job.kind, job.status, job.requested_by) == (
        agreement_jobs.YEAR_CREATE,
        Job.Status.READY,
        org.planner,
    )
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    assert job.outcome["summary"] == "สร้างร่างคำรับรอง 2 ฉบับเรียบร้อยแล้ว"
    assert "สร้างร่างคำรับรอง 2 ฉบับเรียบร้อยแล้ว" in client.get(response["Location"]).content.decode()
    a = Agreement.objects.get(unit=org.bureau_a, fiscal_year=org.year)
    assert [(k.mandatory.code, k.weight) for k in a.kpis.order_by("order")] == [
        ("1", Decimal("20.0000")),  # the sum of its sub-KPIs'
        ("1.1", Decimal("12.0000")),
        ("1.2", Decimal("8.0000")),
        ("2", Decimal("10.0000")),
    ]
    assert [(p.role, p.person) for p in a.parties.all()] == [
        (Party.Role.PLEDGOR, org.head_a),
        (Party.Role.RECIPIENT, org.director),
    ]
    # Every row written in bulk has its history, by the person who asked.
    assert a.history.get().history_user == org.planner
    assert {h.history_user for h in Party.history.filter(agreement_id=a.pk)} == {org.planner}
    assert KPI.history.filter(agreement_id=a.pk).count() >= 4
    assert {h.history_user for h in KPI.history.filter(agreement_id=a.pk)} == {org.planner}


def test_running_the_create_job_again_creates_nothing_twice(org, dims, client_for, ask):
    mandatory(org.year, dims)
    _response, job = ask(
        client_for(org.planner),
        reverse("year_agreements_create", args=[org.year.pk]),
        {"units": [org.bureau_a.pk, org.bureau_b.pk]},
    )
    counts = Agreement.objects.count(), KPI.objects.count(), Party.objects.count(), KPI.history.count()
    job = again(job)
    assert job.status == Job.Status.READY
    assert (
        Agreement.objects.count(),
        KPI.objects.count(),
        Party.objects.count(),
        KPI.history.count(),
    ) == counts
    assert (job.outcome["created"], job.outcome["skipped"]) == (0, 2)
    assert job.outcome["summary"] == ("สร้างร่างคำรับรอง 0 ฉบับเรียบร้อยแล้ว มีหน่วยงาน 2 แห่งที่มีคำรับรองของปีนี้อยู่แล้ว")


def test_a_failed_create_job_keeps_its_reason_and_runs_again_once_the_cause_is_gone(
    org, dims, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    mandatory(org.year, dims)
    client = client_for(org.planner)
    with monkeypatch.context() as waiting:  # the job waits: nobody runs it yet
        waiting.setattr(workflow_jobs, "enqueue", lambda task, *args: None)
        response = client.post(
            reverse("year_agreements_create", args=[org.year.pk]), {"units": [org.bureau_a.pk]}
        )
    job = Job.objects.get()
    # The planner loses the role between asking and the job running.
    RoleAssignment.objects.get(person=org.planner, role="planning").delete()
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "PermissionError" in job.error
    assert not Agreement.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "PermissionError" in page and 'data-testid="again"' in page
    RoleAssignment.objects.create(person=org.planner, unit=org.dept, role="planning")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("job_again", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.READY and job.error == ""
    assert Agreement.objects.filter(unit=org.bureau_a, fiscal_year=org.year).count() == 1


def test_a_framework_the_engine_refuses_is_reported_and_nothing_is_created(org, dims, client_for, ask):
    mandatory(org.year, dims)
    from kpi_agreements.agreements.models import MandatoryKPI

    MandatoryKPI.objects.filter(code="2").update(criteria={"thresholds": ["1", "2"]})  # not five
    _response, job = ask(
        client_for(org.planner),
        reverse("year_agreements_create", args=[org.year.pk]),
        {"units": [org.bureau_a.pk]},
    )
    assert job.status == Job.Status.READY and job.outcome["created"] == 0
    assert job.outcome["errors"] and "5" in job.outcome["errors"][0]["message"]
    assert not Agreement.objects.exists()


def test_every_unit_without_an_agreement_is_created_in_one_request(org, dims, client_for, ask):
    drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_a])
    _response, job = ask(
        client_for(org.planner), reverse("year_agreements_create", args=[org.year.pk]), {"every": "1"}
    )
    assert sorted(job.params["units"]) == sorted([org.dept.pk, org.bureau_b.pk])  # the planner's, still open
    assert set(Agreement.objects.values_list("unit", flat=True)) == {
        org.dept.pk,
        org.bureau_a.pk,
        org.bureau_b.pk,
    }


def test_units_are_created_in_batches_each_telling_the_progress(org, dims, monkeypatch):
    monkeypatch.setattr(drafting, "CREATE_BATCH", 2)
    told = []
    created = drafting.agreements_create(
        fiscal_year=org.year,
        units=[org.ministry, org.dept, org.other_dept, org.bureau_a, org.bureau_b],
        progress=lambda done, total: told.append((done, total)),
    )
    assert [a.unit for a in created] == [org.ministry, org.dept, org.bureau_a, org.bureau_b, org.other_dept]
    assert told == [(0, 5), (2, 5), (4, 5), (5, 5)]


# --- the KPI Template import --------------------------------------------------------------------------------


def _upload(ask, client, agreement, data):
    file = SimpleUploadedFile("kpis.xlsx", data, content_type=layout.CONTENT_TYPE)
    return ask(client, reverse("agreement_excel_upload", args=[agreement.pk]), {"file": file})


def _workbook(agreement, edit) -> bytes:
    wb = export.agreement_workbook(agreement)
    edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _new_kpi(wb):
    wb["ตัวชี้วัด"].append([None, "9", "ประสิทธิผล", None, "ตัวชี้วัดใหม่", 5, "ร้อยละ", "เชิงปริมาณ"])
    wb["เกณฑ์เชิงปริมาณ"].append(["9", 60, 70, 80, 90, 100])


def test_an_import_job_applies_the_file_once_with_progress(org, dims, agreement, client_for, ask):
    add_kpi(agreement, dims[0], 45, "เดิม")
    client = client_for(org.head_a)
    response, job = _upload(ask, client, agreement, _workbook(agreement, _new_kpi))
    assert job.status == Job.Status.READY, job.error
    assert (job.outcome["ok"], job.outcome["created"], job.outcome["unchanged"]) == (True, 1, 1)
    assert (job.done, job.total) == (8, 8)  # six sheets read, checked, written
    assert not default_storage.exists(job.params["file"])  # the upload is not kept once applied
    assert job.outcome["summary"] in client.get(response["Location"]).content.decode()
    kpis = KPI.objects.count(), KPI.history.count()
    # Run again (a redelivery after its status was lost): the mark written with the KPIs stops a second copy.
    job = again(job)
    assert job.status == Job.Status.READY and (KPI.objects.count(), KPI.history.count()) == kpis
    assert agreement.kpis.filter(name="ตัวชี้วัดใหม่").count() == 1


def test_an_import_whose_status_was_lost_after_its_commit_is_not_applied_twice(org, dims, agreement):
    """The job's transaction committed the KPIs and its mark; the worker died before the job was marked
    ready, and the upload is still there: the run that follows writes nothing."""
    add_kpi(agreement, dims[0], 45, "เดิม")
    data = _workbook(agreement, _new_kpi)
    name = default_storage.save("imports/test-lost.xlsx", io.BytesIO(data))
    job = Job.objects.create(
        kind=agreement_jobs.KPI_IMPORT,
        content_type=ContentType.objects.get_for_model(Agreement),
        object_id=agreement.pk,
        params={"file": name, "language": "th"},
        requested_by=org.head_a,
    )
    run_job(job.pk)
    assert agreement.kpis.filter(name="ตัวชี้วัดใหม่").count() == 1
    default_storage.save(name, io.BytesIO(data))  # as if the worker died before deleting it
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, outcome={agreement_jobs.APPLIED: True})
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.READY and job.outcome["again"]
    assert agreement.kpis.filter(name="ตัวชี้วัดใหม่").count() == 1


def test_a_broken_file_is_refused_whole_by_the_job_with_every_problem_at_its_cell(
    org, dims, agreement, client_for, ask
):
    add_kpi(agreement, dims[0], 45, "เดิม")
    before = list(KPI.objects.values()), KPI.history.count()

    def edit(wb):
        _new_kpi(wb)  # a good row, which must not be applied either
        wb["ตัวชี้วัด"]["F2"].value = "สิบ"
        wb["เกณฑ์เชิงปริมาณ"]["C2"].value = "=B2"

    client = client_for(org.head_a)
    response, job = _upload(ask, client, agreement, _workbook(agreement, edit))
    assert job.status == Job.Status.READY and not job.outcome["ok"] and job.outcome["error_count"] == 2
    assert [(e["sheet"], e["row"], e["column"]) for e in job.outcome["errors"]] == [
        ("ตัวชี้วัด", 2, "F"),
        ("เกณฑ์เชิงปริมาณ", 2, "C"),
    ]
    assert (list(KPI.objects.values()), KPI.history.count()) == before
    page = client.get(response["Location"]).content.decode()
    assert "ไม่ได้นำเข้า" in page and "“ตัวชี้วัด”" in page and "สิบ" in page


def test_an_import_job_of_someone_who_may_no_longer_edit_fails_with_its_reason(
    org, dims, agreement, client_for, monkeypatch
):
    client = client_for(org.head_a)
    with monkeypatch.context() as waiting:  # the job waits: nobody runs it yet
        waiting.setattr(workflow_jobs, "enqueue", lambda task, *args: None)
        file = SimpleUploadedFile(
            "kpis.xlsx", _workbook(agreement, _new_kpi), content_type=layout.CONTENT_TYPE
        )
        client.post(reverse("agreement_excel_upload", args=[agreement.pk]), {"file": file})
    job = Job.objects.get()
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")  # no longer editable by the unit
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "PermissionError" in job.error
    assert default_storage.exists(job.params["file"])  # kept, for a run again
    assert not agreement.kpis.exists()


def test_someone_else_cannot_see_an_import_job(org, dims, agreement, client_for, ask):
    _response, job = _upload(ask, client_for(org.head_a), agreement, _workbook(agreement, _new_kpi))
    for person in (org.planner, org.director, org.outsider):
        assert client_for(person).get(reverse("job_detail", args=[job.pk])).status_code == 404


# --- the year's workbook ------------------------------------------------------------------------------------


def test_the_years_workbook_is_a_job_whose_file_only_its_requester_downloads(
    org, dims, agreement, client_for, ask
):
    add_kpi(agreement, dims[0], 45, "ตัวชี้วัดของปี")
    client = client_for(org.executive)
    assert client.get(reverse("year_excel_export", args=[org.year.pk]))["Location"].endswith("#export")
    _response, job = ask(client, reverse("year_excel_export", args=[org.year.pk]))
    assert job.status == Job.Status.READY and job.filename == "kpis-2570.xlsx" and job.total == 1
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert reverse("job_download", args=[job.pk]) in page
    download = client.get(reverse("job_download", args=[job.pk]))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert ws.cell(2, 6).value == "ตัวชี้วัดของปี"
    assert client_for(org.planner).get(reverse("job_download", args=[job.pk])).status_code == 404


# --- the year's agreements page -----------------------------------------------------------------------------


def _more_units(org, count, start=0):
    bureau = org.bureau_a.unit_type
    return [
        org_services.unit_create(
            parent=org.dept, name_th=f"กองที่ {i}", abbreviation=f"กท{i}.", unit_type=bureau
        )
        for i in range(start, start + count)
    ]


def test_the_years_agreements_page_costs_the_same_queries_at_two_sizes(org, dims, client_for, monkeypatch):
    monkeypatch.setattr(framework_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(framework_views, "CANDIDATES_SHOWN", 2)
    mandatory(org.year, dims)
    url = reverse("year_agreements", args=[org.year.pk])
    views = [
        (org.planner, ""),
        (org.admin, ""),
        (org.admin, "?page=2"),
        (org.admin, "?q=กอง&status=draft"),
        (org.admin, f"?type={org.bureau_a.unit_type_id}"),
        (org.head_a, ""),
        (org.member, ""),
    ]

    def counts():
        out = []
        for person, query in views:
            client = client_for(person)
            client.get(url + query)  # warm the session and the user's scope
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url + query)
            assert response.status_code == 200
            out.append(len(queries))
        return out

    drafting.agreements_create(fiscal_year=org.year, units=[org.dept, org.bureau_a, *_more_units(org, 2)])
    _more_units(org, 3, start=10)  # units still without an agreement
    small = counts()
    drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b, *_more_units(org, 8, start=20)])
    _more_units(org, 9, start=40)
    assert counts() == small


def test_the_years_agreements_are_paginated_searched_and_filtered(org, dims, client_for, monkeypatch):
    monkeypatch.setattr(framework_views, "PAGE_SIZE", 2)
    units = _more_units(org, 3)
    drafting.agreements_create(fiscal_year=org.year, units=[org.dept, org.bureau_a, *units])
    Agreement.objects.filter(unit=org.bureau_a).update(status="submitted")
    client = client_for(org.admin)
    url = reverse("year_agreements", args=[org.year.pk])

    def shown(query=""):
        page = client.get(url + query)
        return [a.unit.abbreviation for a in page.context["agreements"]], page

    assert shown()[0] == ["ก1.", "สอ."]
    assert shown("?page=3")[0] == ["กท2."]
    assert shown("?q=กองที่ 1")[0] == ["กท1."]
    assert shown("?q=สอ")[0] == ["สอ."]
    assert shown("?status=submitted")[0] == ["สอ."]
    names, page = shown(f"?type={org.dept.unit_type_id}")
    assert names == ["ก1."]
    # The pager keeps the filters.
    names, page = shown("?q=กอง")
    assert names == ["กท0.", "กท1."] and "?q=%E0%B8%81%E0%B8%AD%E0%B8%87&amp;page=2" in page.content.decode()
    row = shown("?q=สอ")[1].context["agreements"][0]
    assert (row.kpi_count, row.total_weight) == (0, None)


def test_the_units_offered_for_new_agreements_are_capped_and_every_one_can_still_be_created(
    org, dims, client_for, ask, monkeypatch
):
    monkeypatch.setattr(framework_views, "CANDIDATES_SHOWN", 2)
    _more_units(org, 3)
    client = client_for(org.planner)  # the department and its bureaus: 6 units without an agreement
    page = client.get(reverse("year_agreements", args=[org.year.pk]))
    assert page.context["candidates"] == [org.dept, org.bureau_a]
    assert page.context["candidates_total"] == 6
    assert 'data-testid="more-candidates"' in page.content.decode()
    narrowed = client.get(reverse("year_agreements", args=[org.year.pk]) + "?q=กองที่")
    assert narrowed.context["candidates_total"] == 3
    _response, job = ask(
        client, reverse("year_agreements_create", args=[org.year.pk]), {"every": "1", "q": "กองที่"}
    )
    assert job.outcome["created"] == 3 and not Agreement.objects.filter(unit=org.bureau_a).exists()


# --- the scoring engine's criteria cache --------------------------------------------------------------------

numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
texts = st.text(min_size=0, max_size=6)


@st.composite
def five(draw):
    values = sorted(draw(st.lists(numbers, min_size=5, max_size=5, unique=True)))
    return [str(v) for v in (values if draw(st.booleans()) else values[::-1])]


@st.composite
def cases(draw):
    """Criteria of any method, sometimes broken, and a result of any shape."""
    method = draw(st.sampled_from(scoring.METHODS))
    if method == "quantitative":
        criteria = {"thresholds": draw(five() | st.lists(numbers.map(str), max_size=6))}
        if draw(st.booleans()):
            criteria["direction"] = draw(st.sampled_from(["higher", "lower", "up"]))
        result = {"actual": draw(numbers.map(str) | st.sampled_from(["", "1e3", "x", None]))}
    elif method == "multi_quantitative":
        count = draw(st.integers(1, 3))
        criteria = {
            "measures": [
                {"name": draw(texts), "weight": str(draw(st.integers(-1, 5))), "thresholds": draw(five())}
                for _ in range(count)
            ]
        }
        result = {"actuals": [str(draw(numbers)) for _ in range(draw(st.integers(count - 1, count)))]}
    elif method == "milestone":
        sizes = draw(st.lists(st.integers(0, 3), min_size=4, max_size=5))
        criteria = {"levels": [[draw(texts) for _ in range(n)] for n in sizes]}
        result = {"done": [[draw(st.booleans() | st.just(1)) for _ in range(n)] for n in sizes]}
    elif method == "pass_fail":
        criteria = {"condition": draw(texts)}
        result = {"passed": draw(st.booleans() | st.just("yes"))}
    else:
        criteria = {"levels": [draw(texts) for _ in range(draw(st.integers(4, 5)))]}
        result = {"level": draw(st.integers(0, 6) | st.sampled_from(["3", 2.0]))}
    return method, criteria, result


def _uncached(method, criteria, result, policy):
    """The engine without its cache: the criteria parsed for this call alone, in the engine's context."""
    with localcontext(CONTEXT):
        return methods._score(method, methods._parse_criteria(method, criteria), result, policy)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except scoring.ScoringError as exc:
        return (exc.code, exc.field, exc.params)


@settings(max_examples=300, deadline=None)
@given(
    cases(), st.sampled_from([scoring.ScoringPolicy(), scoring.ScoringPolicy(interpolation="step", floor=0)])
)
def test_the_criteria_cache_gives_the_scores_and_errors_of_the_uncached_engine(case, policy):
    method, criteria, result = case
    expected = _outcome(_uncached, method, criteria, result, policy)
    assert _outcome(scoring.score, method, criteria, result, policy) == expected  # cold, or warm from before
    assert _outcome(scoring.score, method, criteria, result, policy) == expected  # surely warm now
    many = _outcome(scoring.score_many, [(method, criteria, result)] * 3, policy)
    assert many == (expected if isinstance(expected, tuple) else [expected] * 3)


def test_a_document_changed_in_place_is_parsed_again():
    criteria = {"thresholds": ["60", "70", "80", "90", "100"]}
    assert scoring.score("quantitative", criteria, {"actual": "85"}) == Decimal("3.5000")
    criteria["thresholds"][4] = "110"
    assert scoring.score("quantitative", criteria, {"actual": "95"}) == Decimal("4.2500")
    criteria["thresholds"][0] = "95"  # now not monotone: refused, not served from the cache
    with pytest.raises(scoring.ScoringError) as error:
        scoring.score("quantitative", criteria, {"actual": "95"})
    assert error.value.code == "thresholds_not_monotone"


def test_equal_documents_share_one_parse_and_the_cache_stays_bounded(monkeypatch):
    methods.clear_criteria_cache()
    parsed = []
    real = methods._parse_criteria
    monkeypatch.setattr(methods, "_parse_criteria", lambda m, c: parsed.append(m) or real(m, c))
    copies = [{"thresholds": ["60", "70", "80", "90", "100"]} for _ in range(50)]
    scores = scoring.score_many([("quantitative", c, {"actual": "85"}) for c in copies])
    assert scores == [Decimal("3.5000")] * 50 and parsed == ["quantitative"]
    monkeypatch.setattr(methods, "CACHE_SIZE", 10)
    scoring.score_many(
        [
            ("quantitative", {"thresholds": [str(i), "70", "80", "90", "100"]}, {"actual": "85"})
            for i in range(25)
        ]
    )
    assert len(methods._parsed["quantitative"]) <= 10
    # Text-only criteria are checked every time (that costs no more than a key would).
    scoring.score_many([("pass_fail", {"condition": "ส่งภายใน 30 ก.ย."}, {"passed": True})] * 2)
    assert parsed.count("pass_fail") == 2


def test_a_round_card_scores_the_same_from_a_warm_cache():
    kpis = [
        {
            "code": "1",
            "dimension": 1,
            "weight": "60",
            "method": "quantitative",
            "criteria": {"thresholds": ["60", "70", "80", "90", "100"]},
            "result": {"actual": "84.5"},
        },  # noqa: E501
        {
            "code": "2",
            "dimension": 2,
            "weight": "40",
            "method": "milestone",
            "criteria": {"levels": [["ก"], ["ข", "ค"], ["ง"], ["จ"], ["ฉ"]]},
            "result": {"done": [[True], [True, True], [True], [False], [False]]},
        },  # noqa: E501
    ]
    methods.clear_criteria_cache()
    cold = scoring.round_card(kpis)
    warm = scoring.round_card(kpis)
    assert cold == warm and str(cold.total) == "3.2700"  # 3.45 × 60% + 3 × 40%
