from django.core.management import call_command

from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import submission_problems
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
    filled = Agreement.objects.get(unit__abbreviation="สบก.")
    assert submission_problems(filled) == []
    assert filled.kpis.filter(mandatory__code="3.1").exists()
    assert all(p.person_id for p in filled.parties.all())
