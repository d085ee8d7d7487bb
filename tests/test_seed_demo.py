from decimal import Decimal

from django.core.management import call_command

from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.selectors import submission_problems
from kpi_agreements.organisation.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from kpi_agreements.organisation.models import Person, Unit


def counts():
    return Unit.objects.count(), Person.objects.count(), Agreement.objects.count(), KPI.objects.count()


def test_the_demo_is_built_once_and_every_demo_user_logs_in(db, client):
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == first
    assert Unit.objects.filter(abbreviation__in=["ทส.", "สพม.13", "สตม."]).count() == 3
    for username, *_ in PEOPLE:
        assert client.login(username=username, password=DEMO_PASSWORD), username
    # One bureau's draft is complete, with the ministry's mandatory KPI and both parties named.
    filled = Agreement.objects.get(unit__abbreviation="สบก.", fiscal_year__is_current=True)
    assert submission_problems(filled) == []
    assert filled.kpis.filter(mandatory__code="3.1").exists()
    assert all(p.person_id for p in filled.parties.all())
    # Last year reported in full (six units × three rounds, verified); this year's 6-month round is under way.
    from kpi_agreements.reporting.models import RoundReport

    last = RoundReport.objects.filter(round__fiscal_year__be_year=filled.fiscal_year.be_year - 1)
    assert last.count() == 18 and set(last.values_list("status", flat=True)) == {"verified"}
    assert last.filter(days_late=2, penalty=Decimal("0.1000")).count() == 1
    this = RoundReport.objects.filter(round__fiscal_year=filled.fiscal_year, round__months=6)
    assert sorted(this.values_list("status", flat=True)) == ["draft", "draft", "submitted", "verified"]
    assert all(r.self_total is not None for r in [*last, *this])
    # Last year is on the public site, with its agreements and verified totals.
    from kpi_agreements.public.models import UnitPublication, YearPublication

    published = YearPublication.objects.get(fiscal_year__be_year=filled.fiscal_year.be_year - 1)
    assert published.is_published and published.verified_totals
    assert UnitPublication.objects.filter(fiscal_year=published.fiscal_year).count() == 6


def test_the_demo_executive_only_reads(db, client):
    """README: the executive reads the whole ministry and changes nothing; the ministry has its own head."""
    from django.urls import reverse

    from kpi_agreements.agreements.access import is_editor

    call_command("seed_demo", verbosity=0)
    executive = Person.objects.get(username="executive")
    assert not Unit.objects.filter(head=executive).exists()
    assert Unit.objects.get(abbreviation="ทส.").head.username == "permsec"
    filled = Agreement.objects.get(unit__abbreviation="สบก.", fiscal_year__is_current=True)
    assert not is_editor(executive, filled) and not filled.parties.filter(person=executive).exists()
    client.force_login(executive)
    assert client.get(reverse("agreement_detail", args=[filled.pk])).status_code == 200
    assert client.get(reverse("agreement_plan_edit", args=[filled.pk])).status_code == 404
