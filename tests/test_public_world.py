"""The data of the public-disclosure tests (issue 15), and a check of it.

FY 2570 published, with the verified-totals policy on. Bureau A's signed agreement is published and its
12-month report verified; bureau B's signed agreement is not published; the other department's agreement is a
draft whose unit was marked published behind the application's back (a draft is never public all the same);
FY 2571 is not published although bureau A's signed agreement of it is marked published. The people named on
the KPIs have phone numbers and e-mails, and the report has an evidence file: none of it may ever be public.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

PHONE = "081-234-5678"
OFFICE_PHONE = "02-298-5555"
SECRET_KPI = "ตัวชี้วัดที่ยังไม่เผยแพร่"
DRAFT_KPI = "ตัวชี้วัดฉบับร่าง"
NEXT_YEAR_KPI = "ตัวชี้วัดปีหน้า"
PUBLIC_KPI = "ตัวชี้วัดที่เผยแพร่"
EVIDENCE_NAME = "minutes-confidential.pdf"
# A → 85 (3.5), 72 (2.2), 95 (4.5), 60 (1.0): 1.5750 + 0.3300 + 0.9000 + 0.2000 = 3.0050; the verifier
# changed the first to 80 (3.0): 1.3500 + 0.3300 + 0.9000 + 0.2000 = 2.7800.
VERIFIED_TOTAL = "2.7800"


@dataclass
class PublicWorld:
    org: object
    dims: list
    published: object  # bureau A's FY 2570 agreement
    unpublished: object  # bureau B's, signed, not published
    draft: object  # the other department's draft
    next_year: object  # bureau A's FY 2571 agreement, its year unpublished
    report: object  # bureau A's verified 12-month report
    report_b: object  # bureau B's 12-month report, submitted
    evidence: object
    signed_document: object


def _signed_pdf(agreement):
    from kpi_agreements.documents.models import AgreementDocument

    document = AgreementDocument(
        agreement=agreement, version=agreement.version, kind="signed", status="ready"
    )
    # The stored bytes are not what the public gets (render.py renders the public copy afresh).
    document.file.save("signed.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    return document


def _sign_all(agreement):
    from kpi_agreements.agreements.models import Party
    from tests.factories import sign

    agreement = sign(agreement)
    for party in Party.objects.filter(agreement=agreement):
        name = party.person.display_name if party.person else "ผู้ลงนาม"
        Party.objects.filter(pk=party.pk).update(
            signed_at=timezone.now(), signed_name=name, signed_position="ผู้อำนวยการ"
        )
    return agreement


def _enter_and_submit(report, org, actuals):
    from kpi_agreements.reporting.models import RoundReport
    from kpi_agreements.reporting.services import flow

    items = report.items.filter(is_leaf=True).order_by("order", "id")
    for item, actual in zip(items, actuals, strict=True):
        flow.item_enter(item=item, user=org.collector, result={"actual": actual}, narrative="ผลการดำเนินงาน")
    head = org.head_a if report.agreement.unit_id == org.bureau_a.pk else org.head_b
    flow.report_submit(report=RoundReport.objects.get(pk=report.pk), user=head)
    return RoundReport.objects.get(pk=report.pk)


@pytest.fixture(name="public_world")
def public_world_fixture(org, dims, settings, tmp_path):
    from kpi_agreements.agreements.models import Agreement, Dimension
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.organisation.models import Person, Unit
    from kpi_agreements.public import services
    from kpi_agreements.public.models import UnitPublication
    from kpi_agreements.reporting.models import ReportEvidence, Round, RoundReport
    from kpi_agreements.reporting.services import flow
    from kpi_agreements.reporting.services.rounds import round_open
    from tests.factories import add_kpi

    settings.MEDIA_ROOT = tmp_path / "media"
    Person.objects.filter(pk__in=[org.supervisor.pk, org.collector.pk]).update(
        mobile=PHONE, office=f"ตึก 2 โทร {OFFICE_PHONE}"
    )
    org.supervisor.refresh_from_db()
    org.collector.refresh_from_db()
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a, name_en="Bureau A")
    Unit.objects.filter(pk=org.bureau_b.pk).update(head=org.head_b)
    a, b, c = drafting.agreements_create(
        fiscal_year=org.year, units=[org.bureau_a, org.bureau_b, org.other_dept]
    )
    for agreement, name in ((a, PUBLIC_KPI), (b, SECRET_KPI), (c, DRAFT_KPI)):
        for d in dims:
            add_kpi(
                agreement,
                d,
                d.weight,
                f"{name} มิติ {d.order}",
                supervisor=org.supervisor,
                collector=org.collector,
                baseline=[{"year": 2567, "value": "85.5"}],
            )
    a, b = _sign_all(a), _sign_all(b)
    document = _signed_pdf(a)
    _signed_pdf(b)

    next_year = FiscalYear.objects.get(be_year=2571)
    next_dim = Dimension.objects.create(fiscal_year=next_year, order=1, name_th="มิติเดียว", weight=Decimal(100))
    n = drafting.agreements_create(fiscal_year=next_year, units=[org.bureau_a])[0]
    add_kpi(n, next_dim, 100, NEXT_YEAR_KPI)
    n = _sign_all(n)
    _signed_pdf(n)

    round12 = Round.objects.get(fiscal_year=org.year, months=12)
    round_open(round=round12)
    report = RoundReport.objects.get(round=round12, agreement=a)
    report = _enter_and_submit(report, org, ["85", "72", "95", "60"])
    first = report.items.order_by("order", "id").first()
    evidence = ReportEvidence(item=first, name=EVIDENCE_NAME, size=20, uploaded_by=org.collector)
    evidence.file.save(EVIDENCE_NAME, ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    evidence.save()
    flow.item_verify(item=first, user=org.member, result={"actual": "80"}, note="ตรวจแล้ว")
    flow.report_verify(report=RoundReport.objects.get(pk=report.pk), user=org.member)
    report_b = _enter_and_submit(RoundReport.objects.get(round=round12, agreement=b), org, ["90"] * 4)

    services.year_set(fiscal_year=org.year, user=org.admin, published=True, totals=True)
    services.unit_publish(fiscal_year=org.year, unit=org.bureau_a, user=org.planner)
    services.unit_publish(fiscal_year=next_year, unit=org.bureau_a, user=org.planner)
    # Behind the application's back: the service refuses a unit without a signed agreement.
    UnitPublication.objects.create(fiscal_year=org.year, unit=org.other_dept)
    return PublicWorld(
        org=org,
        dims=dims,
        published=Agreement.objects.get(pk=a.pk),
        unpublished=Agreement.objects.get(pk=b.pk),
        draft=Agreement.objects.get(pk=c.pk),
        next_year=Agreement.objects.get(pk=n.pk),
        report=RoundReport.objects.get(pk=report.pk),
        report_b=report_b,
        evidence=evidence,
        signed_document=document,
    )


def test_the_world_is_as_described(public_world):
    w = public_world
    assert w.published.status == w.unpublished.status == w.next_year.status == "signed"
    assert w.draft.status == "draft"
    assert w.report.status == "verified"
    assert str(w.report.verified_total) == VERIFIED_TOTAL
    assert w.report_b.status == "submitted"
    assert w.org.supervisor.mobile == PHONE
