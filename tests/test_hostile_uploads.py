"""Hostile uploads (issue 8, defects 6 and 11): each is refused with its own message and writes nothing.

Every refusal here is bounded in time by construction — a cap stops the work (rows, XML elements, expanded
bytes, file size) — so no test measures time.
"""

import io
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import Resolver404, resolve, reverse
from PIL import Image

from kpi_agreements import settings as conf  # the project's values, not the test's overrides
from kpi_agreements.agreements.excel import layout, parse
from kpi_agreements.agreements.models import KPI, Evidence
from kpi_agreements.agreements.services import changes, excel_import
from kpi_agreements.core import uploads
from kpi_agreements.workflow.jobs import run_job
from kpi_agreements.workflow.models import Job
from tests.factories import add_kpi, fill, open_change

MB = 1024 * 1024
KPI_SHEET = "xl/worksheets/sheet1.xml"
NOT_XLSX = "The file is not an Excel workbook (.xlsx)"
WRONG_EVIDENCE = "Upload a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file."
POLYGLOT = "at the same time a ZIP archive or a web page"
EXPANDS_MB = "The file expands to more than 50 MB when unzipped"
EXPANDS_RATIO = "The file expands to more than 100 times its size when unzipped"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


def media_files(settings) -> list:
    return [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []


# --- building files -------------------------------------------------------------------------------------


def zip_of(parts: dict[str, bytes], zeros: tuple[str, int] | None = None) -> bytes:
    """A zip of ``parts``; ``zeros`` adds a member of that many zero bytes, streamed, not held in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        if zeros:
            name, size = zeros
            chunk = bytes(MB)
            with archive.open(name, "w") as member:
                for _ in range(size // MB):
                    member.write(chunk)
    return buffer.getvalue()


def rewrite(data: bytes, part: str, edit) -> bytes:
    """The same zip with one member's text passed through ``edit``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[part] = edit(parts[part].decode()).encode()
    return zip_of(parts)


def with_dimension(ref: str):
    return lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)


def appended_rows(rows: str):
    return lambda xml: xml.replace("</sheetData>", rows + "</sheetData>")


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, kind)
    return buffer.getvalue()


def office(main_type: str, main_part: str) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    )
    return zip_of({"[Content_Types].xml": types.encode(), main_part: b"<document/>"})


DOCX = office(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml"
)
XLSM = office("application/vnd.ms-layout.sheet.macroEnabled.main+xml", "xl/workbook.xml")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def xlsx() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


# --- the Excel import -----------------------------------------------------------------------------------


@pytest.fixture
def drafted(agreement, dims, org):
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    return agreement


@pytest.fixture
def workbook(drafted, org, client_for):
    """The agreement's own KPI Template workbook, as downloaded."""
    response = client_for(org.head_a).get(reverse("agreement_excel_download", args=[drafted.pk]))
    data = b"".join(response.streaming_content)
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == layout.SHEET_KPIS  # sheet1.xml
    return data


def kpis():
    return list(KPI.objects.order_by("pk").values()), KPI.history.count()


def import_job(client, agreement, data: bytes, name="kpis.xlsx") -> Job:
    """Upload through the page and run the import job it asks for (an upload is checked in the background)."""
    response = client.post(
        reverse("agreement_excel_upload", args=[agreement.pk]),
        {"file": SimpleUploadedFile(name, data, content_type=layout.CONTENT_TYPE)},
    )
    assert response.status_code == 302
    job = Job.objects.latest("pk")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.READY, job.error
    return job


def import_refused(client, agreement, data: bytes, name="kpis.xlsx") -> list:
    """The file must be refused and no KPI or history row written; the problems as the job keeps them."""
    before = kpis()
    errors = [SimpleNamespace(**e) for e in import_job(client, agreement, data, name).outcome["errors"]]
    assert errors
    assert kpis() == before
    return errors


def test_a_sheet_declaring_4_000_000_rows_is_refused_naming_the_row_with_data(
    drafted, workbook, org, client_for
):
    data = rewrite(
        workbook,
        KPI_SHEET,
        lambda xml: appended_rows(
            '<row r="4000000"><c r="A4000000" t="inlineStr"><is><t>x</t></is></c></row>'
        )(with_dimension("A1:U4000000")(xml)),
    )
    assert len(data) < 100_000
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert (error.sheet, error.row) == (layout.SHEET_KPIS, 4_000_000)
    assert "more than 10,000 rows" in error.message


def test_blank_rows_past_the_limit_are_skipped_but_data_there_is_not(drafted, workbook, org, client_for):
    client = client_for(org.head_a)
    blank = '<row r="20000" ht="20" customHeight="1"/><row r="65536" ht="20" customHeight="1"/>'
    job = import_job(client, drafted, rewrite(workbook, KPI_SHEET, appended_rows(blank)))
    assert job.outcome["ok"]  # an unchanged file with formatted empty rows below it
    data = '<row r="10001"><c r="B10001"><v>7</v></c></row>'
    (error,) = import_refused(client, drafted, rewrite(workbook, KPI_SHEET, appended_rows(data)))
    assert (error.sheet, error.row) == (layout.SHEET_KPIS, 10_001)


def test_4_000_000_real_blank_rows_are_refused_before_openpyxl_reads_them(drafted, workbook, org, client_for):
    data = rewrite(workbook, KPI_SHEET, appended_rows("<row/>" * 4_000_000))
    assert len(data) < parse.MAX_UPLOAD_BYTES
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert error.message.startswith(EXPANDS_RATIO)  # 24 MB of one repeated tag


def test_a_million_blank_rows_that_compress_honestly_hit_the_cell_limit(drafted, workbook, org, client_for):
    rows = "".join(f'<row r="{r}"/>' for r in range(20, 1_100_000))
    data = rewrite(workbook, KPI_SHEET, appended_rows(rows))
    assert len(data) < parse.MAX_UPLOAD_BYTES  # and under the zip limits: only the element count stops it
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert error.sheet == layout.SHEET_KPIS
    assert "more than 1,000,000 cells" in error.message


def test_rows_beyond_a_stale_dimension_are_read(drafted, workbook, org, client_for):
    wb = openpyxl.load_workbook(io.BytesIO(workbook))
    ws = wb[layout.SHEET_KPIS]
    last = ws.max_row
    name_column = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "ชื่อตัวชี้วัด")
    ws.cell(last, name_column).value = "ชื่อใหม่ในแถวสุดท้าย"
    buffer = io.BytesIO()
    wb.save(buffer)
    data = rewrite(buffer.getvalue(), KPI_SHEET, with_dimension("A1:A2"))
    report = excel_import.import_workbook(drafted, io.BytesIO(data), org.head_a)
    assert report.ok, report.errors
    assert (report.updated, report.unchanged, report.not_in_file) == (1, 3, 0)
    assert KPI.objects.filter(agreement=drafted, name="ชื่อใหม่ในแถวสุดท้าย").exists()


def test_a_row_out_of_order_is_refused_not_skipped(drafted, workbook, org, client_for):
    data = rewrite(workbook, KPI_SHEET, appended_rows('<row r="3"><c r="B3"><v>1</v></c></row>'))
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert (error.sheet, error.row) == (layout.SHEET_KPIS, 3)
    assert "out of order" in error.message


def test_a_zip_bomb_gets_its_own_message_not_the_size_limit(drafted, workbook, org, client_for):
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist() if name != KPI_SHEET}
    data = zip_of(parts, zeros=(KPI_SHEET, 200 * MB))
    assert len(data) < MB
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert error.message.startswith(EXPANDS_MB) and "malicious" in error.message


def test_a_member_compressed_more_than_100_times_is_refused(drafted, workbook, org, client_for):
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    (error,) = import_refused(
        client_for(org.head_a), drafted, zip_of(parts, zeros=("xl/media/x.bin", 10 * MB))
    )
    assert error.message.startswith(EXPANDS_RATIO)


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not really a zip", b"plain text", DOCX, XLSM],
    ids=["broken-zip", "text", "docx", "xlsm"],
)
def test_a_file_that_is_not_an_xlsx_gets_the_not_an_excel_workbook_message(drafted, org, client_for, data):
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert error.message.startswith(NOT_XLSX)


def test_a_workbook_with_a_dtd_is_refused(drafted, workbook, org, client_for):
    doctype = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    data = rewrite(
        workbook,
        "xl/workbook.xml",
        lambda xml: re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m[1] or "") + doctype, xml),
    )
    assert b"<!DOCTYPE" in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    (error,) = import_refused(client_for(org.head_a), drafted, data)
    assert error.message.startswith(NOT_XLSX)


# --- evidence -------------------------------------------------------------------------------------------


@pytest.fixture
def change(agreement, dims, org):
    return open_change(fill(agreement, dims, org.head_a), org.head_a)


def attach(client, change, name: str, data: bytes):
    return client.post(
        reverse("change_evidence_add", args=[change.pk]), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.mark.parametrize(
    "name, data",
    [
        ("minutes.pdf", PDF),
        ("photo.png", image("PNG")),
        ("photo.jpg", image("JPEG")),
        ("memo.docx", DOCX),
        ("figures.xlsx", xlsx()),
    ],
)
def test_real_files_of_each_kind_are_attached(change, org, client_for, name, data):
    response = attach(client_for(org.head_a), change, name, data)
    assert response.status_code == 302
    assert Evidence.objects.get(change_request=change).name == name


PDF_ZIP = PDF + zip_of({"payload.html": b"<script>alert(1)</script>"})
HOSTILE = [
    ("pdf-zip-polyglot", "minutes.pdf", PDF_ZIP, POLYGLOT),
    (
        "pdf-html-polyglot",
        "minutes.pdf",
        b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n",
        POLYGLOT,
    ),
    ("jpeg-zip-polyglot", "photo.jpg", image("JPEG") + zip_of({"a.txt": b"x"}), POLYGLOT),
    ("truncated-pdf", "minutes.pdf", PDF[:-8], "no end-of-file marker"),
    ("png-header-only", "photo.png", b"\x89PNG\r\n\x1a\n" + b"x" * 64, "cannot be read as a PNG"),
    ("jpeg-named-png", "photo.png", image("JPEG"), "The file is a JPEG file but its name ends in “.png”"),
    ("pdf-named-docx", "memo.docx", PDF, "The file is a PDF file but its name ends in “.docx”"),
    ("exe-named-pdf", "minutes.pdf", b"MZ\x90\x00" + b"\x00" * 64, WRONG_EVIDENCE),
    ("not-a-zip-xlsx", "figures.xlsx", b"PK\x03\x04 not really a zip", WRONG_EVIDENCE),
    ("macro-workbook", "figures.xlsx", XLSM, WRONG_EVIDENCE),
    # Built when the test runs, not when the module is collected.
    ("zip-bomb-docx", "memo.docx", lambda: zip_of({}, zeros=("word/document.xml", 200 * MB)), EXPANDS_MB),
]


@pytest.mark.parametrize("name, data, message", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_evidence_is_refused_with_its_own_message(
    change, org, client_for, settings, name, data, message
):
    response = attach(client_for(org.head_a), change, name, data() if callable(data) else data)
    assert response.status_code == 400
    (error,) = response.context["evidence_form"].errors["file"]
    assert message in error
    assert not Evidence.objects.exists() and media_files(settings) == []


def test_a_50_mb_file_is_refused_from_disk_not_memory(change, org, client_for, settings, monkeypatch):
    seen = []
    check = changes.check_evidence
    monkeypatch.setattr(changes, "check_evidence", lambda upload: seen.append(type(upload)) or check(upload))
    response = attach(client_for(org.head_a), change, "scan.pdf", PDF[:-6] + bytes(50 * MB) + b"%%EOF\n")
    assert response.status_code == 400
    assert response.context["evidence_form"].errors["file"] == ["The file is larger than 20 MB."]
    assert seen == [TemporaryUploadedFile]  # Django spooled it to a temporary file
    assert not Evidence.objects.exists() and media_files(settings) == []


def test_the_size_limit_is_a_setting(change, org, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = len(PDF) - 1
    response = attach(client_for(org.head_a), change, "minutes.pdf", PDF)
    assert response.context["evidence_form"].errors["file"] == [
        f"The file is larger than {uploads.megabytes(len(PDF) - 1)} MB."
    ]


# --- evidence download ----------------------------------------------------------------------------------


@pytest.fixture
def evidence(change, org, client_for):
    assert attach(client_for(org.head_a), change, "รายงานการประชุม.pdf", PDF).status_code == 302
    return Evidence.objects.get()


def download_url(evidence):
    return reverse("change_evidence_download", args=[evidence.change_request_id, evidence.pk])


@pytest.mark.parametrize("persona", ["head_a", "planner", "member", "executive", "admin"])
def test_people_who_read_the_change_request_download_its_evidence_as_an_attachment(
    evidence, org, client_for, persona
):
    response = client_for(getattr(org, persona)).get(download_url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E0%B8%A3" in response["Content-Disposition"]  # the Thai name, encoded
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_people_outside_the_agreement_get_404(evidence, org, client_for, persona):
    assert client_for(getattr(org, persona)).get(download_url(evidence)).status_code == 404


def test_anonymous_users_are_sent_to_log_in(evidence, client):
    client.logout()
    response = client.get(download_url(evidence))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_evidence_is_only_found_under_its_own_change_request(evidence, org, client_for):
    url = reverse("change_evidence_download", args=[evidence.change_request_id + 1, evidence.pk])
    assert client_for(org.admin).get(url).status_code == 404


def test_there_is_no_public_media_route_and_the_page_links_the_download_view(
    evidence, org, client_for, settings
):
    stored = evidence.file.name
    assert "รายงาน" not in stored and stored.endswith(".pdf")  # the user's name never reaches the disk
    assert (settings.MEDIA_ROOT / stored).read_bytes() == PDF
    with pytest.raises(Resolver404):
        resolve(f"/media/{stored}")
    client = client_for(org.admin)
    assert client.get(f"/media/{stored}").status_code == 404
    page = client.get(reverse("change_detail", args=[evidence.change_request_id])).content.decode()
    assert download_url(evidence) in page and stored not in page


def test_media_root_is_outside_every_static_directory_and_has_no_url():
    media = conf.MEDIA_ROOT.resolve()
    for static in [conf.STATIC_ROOT, *(d[1] if isinstance(d, tuple) else d for d in conf.STATICFILES_DIRS)]:
        static = Path(static).resolve()
        assert not media.is_relative_to(static) and not static.is_relative_to(media)
    assert not hasattr(conf, "MEDIA_URL")
