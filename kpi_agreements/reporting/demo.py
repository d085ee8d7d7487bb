"""Demo data of the reporting rounds (called by seed_demo): last year's agreement of สบก., signed, with its
6-month report verified and its 12-month report being entered, so the reporting pages have content."""

from django.db import transaction

RESULTS = [
    {"actual": "82"},
    {"done": [[True], [True], [True], [False], [False]]},
    {"actuals": ["72", "68"]},
    {"passed": True},
    {"level": 4},
]
NARRATIVE = "ดำเนินการตามแผนปฏิบัติราชการ รายละเอียดตามเอกสารแนบ"


@transaction.atomic
def seed_reporting(year, units, people, kpis_spec, template):
    from kpi_agreements.agreements.models import KPI, Agreement, Dimension
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.organisation.models import Committee, CommitteeMember

    from .models import Round, RoundReport
    from .services import flow
    from .services.rounds import round_open

    unit = units["สบก."]
    if Agreement.objects.filter(fiscal_year=year, unit=unit).exists():
        return
    if not year.dimensions.exists():
        for dimension in Dimension.objects.filter(fiscal_year__is_current=True):
            Dimension.objects.create(
                fiscal_year=year,
                order=dimension.order,
                name_th=dimension.name_th,
                name_en=dimension.name_en,
                weight=dimension.weight,
            )
    committee, _ = Committee.objects.get_or_create(
        name=f"คณะกรรมการเจรจาข้อตกลงและประเมินผล สผ. ประจำปีงบประมาณ พ.ศ. {year.be_year}",
        defaults={"kind": Committee.Kind.NEGOTIATION, "fiscal_year": year, "unit": units["สผ."]},
    )
    committee.units_covered.add(unit)
    CommitteeMember.objects.get_or_create(
        committee=committee, person=people["committee"], defaults={"position": "chair"}
    )
    agreement = drafting.agreements_create(fiscal_year=year, units=[unit])[0]
    dimensions = {d.order: d for d in year.dimensions.all()}
    for position, (order, name, weight, method, criteria) in enumerate(kpis_spec, start=1):
        KPI.objects.create(
            agreement=agreement,
            dimension=dimensions[order],
            name=name,
            weight=weight,
            method=method,
            criteria=criteria,
            supervisor=people["supervisor"],
            collector=people["collector"],
            order=position,
            **template,
        )
    # Signed through the whole journey elsewhere; the demo starts after the signatures.
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.SIGNED)
    for months in (6, 12):
        round_open(round=Round.objects.get(fiscal_year=year, months=months), user=people["planner"])
    six = RoundReport.objects.get(round__fiscal_year=year, round__months=6, agreement=agreement)
    twelve = RoundReport.objects.get(round__fiscal_year=year, round__months=12, agreement=agreement)
    for report, results in ((six, RESULTS), (twelve, RESULTS[:-1])):
        for item, result in zip(report.items.filter(is_leaf=True).order_by("order"), results, strict=False):
            flow.item_enter(item=item, user=people["collector"], result=result, narrative=NARRATIVE)
    flow.report_submit(report=six, user=people["head"])
    flow.report_verify(report=RoundReport.objects.get(pk=six.pk), user=people["committee"])
