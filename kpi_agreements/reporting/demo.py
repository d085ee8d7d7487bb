"""Demo data of the reporting rounds, scorecards and public site (called by seed_demo).

Last year: six units of the ministry signed, and their 6-, 9- and 12-month reports submitted and verified (one
12-month report two working days late), so the scorecards and the executive dashboard show a whole year; it is
published on the public site with its verified totals. This year: four units signed and the 6-month round
opened early by the planner: one report verified, one submitted, two being entered by the demo data collector.
สบก.'s agreement of this year stays a draft for the drafting demo.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kpi_agreements import scoring

LAST_YEAR_UNITS = ["สผ.", "สบก.", "กตป.", "สวผ.", "คพ.", "สจน."]
THIS_YEAR_UNITS = ["กตป.", "สวผ.", "คพ.", "สจน."]
# Per unit: quantitative actual, milestone level reached, the two satisfaction measures, pass, quality level.
PERFORMANCE = [
    ("88", 4, ("78", "74"), True, 4),
    ("82", 3, ("72", "68"), True, 4),
    ("91", 5, ("81", "79"), True, 5),
    ("76", 3, ("66", "63"), False, 3),
    ("71", 2, ("61", "64"), True, 2),
    ("85", 4, ("75", "70"), True, 3),
]
NARRATIVE = "ดำเนินการตามแผนปฏิบัติราชการ รายละเอียดตามเอกสารแนบ"
HEADS = {
    "กตป.": ("นาง", "สุนิสา", "ติดตามผล", "ผู้อำนวยการกองติดตามและประเมินผล"),
    "สวผ.": ("นาย", "อนุชา", "วิเคราะห์ดี", "ผู้อำนวยการสำนักวิเคราะห์ผลกระทบสิ่งแวดล้อม"),
    "คพ.": ("นาย", "ปกรณ์", "ควบคุมดี", "อธิบดีกรมควบคุมมลพิษ"),
    "สจน.": ("นางสาว", "ชลธิชา", "น้ำใส", "ผู้อำนวยการสำนักจัดการคุณภาพน้ำ"),
}


def _results(performance, months) -> dict:
    """Cumulative results by method: a 6-month report is further from the year's target than the 12-month."""
    actual, level, measures, passed, quality = performance
    behind = {6: 2, 9: 1, 12: 0}[months]
    reached = max(level - behind, 0)
    return {
        "quantitative": {"actual": str(int(actual) - 3 * behind)},
        "milestone": {"done": [[i < reached] for i in range(5)]},
        "multi_quantitative": {"actuals": [str(int(m) - 2 * behind) for m in measures]},
        "pass_fail": {"passed": passed},
        "qualitative": {"level": max(quality - behind, 1)},
    }


def _heads(units):
    from kpi_agreements.organisation.models import Person, Unit

    for abbreviation, (title, first, last, position) in HEADS.items():
        unit = Unit.objects.get(pk=units[abbreviation].pk)
        if unit.head_id is None:
            person, created = Person.objects.get_or_create(
                username=f"head-{unit.pk}",
                defaults={"title": title, "first_name": first, "last_name": last, "position": position},
            )
            if created:
                person.set_unusable_password()  # a signatory of the demo, not a demo login
                person.save()
            unit.head = person
            unit.save(update_fields=["head"])


def _committee(year, units, people, abbreviations):
    from kpi_agreements.organisation.models import Committee, CommitteeMember

    committee, _ = Committee.objects.get_or_create(
        name=f"คณะกรรมการประเมินผลการปฏิบัติราชการ ทส. ประจำปีงบประมาณ พ.ศ. {year.be_year}",
        defaults={"kind": Committee.Kind.NEGOTIATION, "fiscal_year": year, "unit": units["ทส."]},
    )
    committee.units_covered.add(*[units[a] for a in abbreviations])
    CommitteeMember.objects.get_or_create(
        committee=committee, person=people["committee"], defaults={"position": "chair"}
    )


def _signed(year, unit, people, kpis_spec, template):
    """The unit's agreement of the year with the demo KPIs, signed (the signing journey is shown apart)."""
    from kpi_agreements.agreements.models import Agreement
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.agreements.services.kpis import kpi_create

    agreement = Agreement.objects.filter(fiscal_year=year, unit=unit).first()
    if agreement is None:
        agreement = drafting.agreements_create(fiscal_year=year, units=[unit])[0]
    dimensions = {d.order: d for d in year.dimensions.all()}
    for order, name, weight, method, criteria in kpis_spec:
        kpi_create(
            agreement=agreement,
            dimension=dimensions[order],
            name=name,
            weight=weight,
            method=method,
            criteria=criteria,
            supervisor=people["supervisor"],
            collector=people["collector"],
            **template,
        )
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.SIGNED)
    return agreement


def _enter(report, performance, people, upto=None):
    from .services import flow

    results = _results(performance, report.round.months)
    for item in list(report.items.filter(is_leaf=True).order_by("order"))[:upto]:
        result = results[item.method]
        if item.kpi.mandatory_id:  # the framework's own KPI (3.1): met at its level-3 target
            result = {"actual": item.criteria["thresholds"][2]}
        flow.item_enter(item=item, user=people["collector"], result=result, narrative=NARRATIVE)


def _submit(report, people, days_late=0):
    """Submitted on its deadline's working day (or ``days_late`` working days after it), at 10:00."""
    from kpi_agreements.fiscal.calendar import effective_due_date

    from .services import flow

    year = report.round.fiscal_year
    if report.round.period_end >= timezone.localdate():
        return flow.report_submit(report=report, user=report.agreement.unit.head)  # this year's: now
    day = effective_due_date(year.milestones.get(kind=report.round.milestone_kind)) - timedelta(days=1)
    day = scoring.effective_deadline(day, year.holiday_dates)
    while days_late:
        day += timedelta(days=1)
        days_late -= scoring.is_working_day(day, year.holiday_dates)
    at = timezone.make_aware(datetime.combine(day, time(10)))
    return flow.report_submit(report=report, user=report.agreement.unit.head, at=at)


def _dimensions(year, current):
    from kpi_agreements.agreements.models import Dimension

    if not year.dimensions.exists():
        for d in Dimension.objects.filter(fiscal_year=current):
            Dimension.objects.create(
                fiscal_year=year, order=d.order, name_th=d.name_th, name_en=d.name_en, weight=d.weight
            )


@transaction.atomic
def seed_reporting(current, previous, units, people, kpis_spec, template):
    from kpi_agreements.agreements.models import Agreement

    from .models import Round, RoundReport
    from .services import flow
    from .services.rounds import round_open

    if Agreement.objects.filter(fiscal_year=previous, status=Agreement.Status.SIGNED).exists():
        return  # already seeded
    _heads(units)
    _dimensions(previous, current)
    _committee(previous, units, people, LAST_YEAR_UNITS)
    _committee(current, units, people, THIS_YEAR_UNITS)
    verify = people["committee"]

    agreements = {a: _signed(previous, units[a], people, kpis_spec, template) for a in LAST_YEAR_UNITS}
    for months in (6, 9, 12):
        round_open(round=Round.objects.get(fiscal_year=previous, months=months), user=people["planner"])
        for i, abbreviation in enumerate(LAST_YEAR_UNITS):
            report = RoundReport.objects.get(round__fiscal_year=previous, round__months=months,
                                             agreement=agreements[abbreviation])  # fmt: skip
            _enter(report, PERFORMANCE[i], people)
            late = 2 if (months, abbreviation) == (12, "สจน.") else 0
            flow.report_verify(report=_submit(report, people, late), user=verify)

    this_year = {a: _signed(current, units[a], people, kpis_spec, template) for a in THIS_YEAR_UNITS}
    round_open(round=Round.objects.get(fiscal_year=current, months=6), user=people["planner"])
    reports = {
        a: RoundReport.objects.get(round__fiscal_year=current, round__months=6, agreement=agreement)
        for a, agreement in this_year.items()
    }
    _enter(reports["คพ."], PERFORMANCE[4], people)
    flow.report_verify(report=_submit(reports["คพ."], people), user=verify)
    _enter(reports["สจน."], PERFORMANCE[5], people)
    _submit(reports["สจน."], people)
    _enter(reports["กตป."], PERFORMANCE[2], people, upto=3)  # the demo collector has two KPIs left to enter

    # The public site (§12): last year's agreements and verified totals, published by the planner.
    from kpi_agreements.public import services as public

    public.year_set(fiscal_year=previous, user=people["planner"], published=True, totals=True)
    public.units_publish_all(
        fiscal_year=previous, units=[units[a] for a in LAST_YEAR_UNITS], user=people["planner"]
    )
