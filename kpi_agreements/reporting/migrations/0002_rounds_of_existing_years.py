from datetime import date

from django.db import migrations

LAST_MONTH = {6: 3, 9: 6, 12: 9}


def create_rounds(apps, schema_editor):
    FiscalYear = apps.get_model("fiscal", "FiscalYear")
    Round = apps.get_model("reporting", "Round")
    for year in FiscalYear.objects.all():
        for months, month in LAST_MONTH.items():
            Round.objects.get_or_create(
                fiscal_year=year, months=months, defaults={"opens_on": date(year.be_year - 543, month, 1)}
            )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(create_rounds, migrations.RunPython.noop)]
