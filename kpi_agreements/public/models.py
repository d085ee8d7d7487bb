"""What planning staff have announced to the people (DOMAIN §12): per fiscal year, whether the year (its
framework) is public and whether its verified 12-month totals are (**policy**); per unit and year, whether the
unit's signed agreement is. Nothing else decides what a public page or a public API endpoint shows
(selectors.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpi_agreements.documents.models import AgreementDocument
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit


class YearPublication(models.Model):
    """A year's public switches, set by the managers of a whole organisation."""

    fiscal_year = models.OneToOneField(
        FiscalYear, on_delete=models.CASCADE, related_name="publication", verbose_name=_("fiscal year")
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("The year's framework and its published agreements.")
    )
    # Policy (§12): verified 12-month totals and dimension scores go public only when the year says so.
    verified_totals = models.BooleanField(
        _("publish verified 12-month totals"),
        default=False,
        help_text=_(
            "Each published unit's verified total and dimension scores, once its report is verified."
        ),
    )

    class Meta:
        verbose_name = _("year publication")
        verbose_name_plural = _("year publications")

    def __str__(self):
        return str(self.fiscal_year)


class UnitPublication(models.Model):
    """A unit's signed agreement of the year is announced: the row exists while it is published."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="publications")
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("unit publication")
        verbose_name_plural = _("unit publications")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "unit"], name="unit_published_once_per_year")
        ]

    def __str__(self):
        return f"{self.unit.abbreviation} {self.fiscal_year}"


class PublicationEvent(models.Model):
    """Who published or withdrew what, and when. The newest event's id is also the publication state the
    public pages are cached under (views.cached_public): any change gives every page a new key, in every
    process, whatever the cache backend."""

    class Action(models.TextChoices):
        YEAR_PUBLISHED = "year_published", _("Year published")
        YEAR_WITHDRAWN = "year_withdrawn", _("Year withdrawn")
        TOTALS_PUBLISHED = "totals_published", _("Verified totals published")
        TOTALS_WITHDRAWN = "totals_withdrawn", _("Verified totals withdrawn")
        UNIT_PUBLISHED = "unit_published", _("Agreement published")
        UNIT_WITHDRAWN = "unit_withdrawn", _("Agreement withdrawn")

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("publication event")
        verbose_name_plural = _("publication events")

    def __str__(self):
        return f"{self.get_action_display()} {self.fiscal_year}"


def public_copy_path(copy: "PublicCopy", filename: str) -> str:
    return f"public/agreements/{copy.document.agreement_id}/{filename}"


class PublicCopy(models.Model):
    """The public copy of a signed agreement's PDF: the same official template and version, with the KPI
    supervisors' and data collectors' office and mobile phone left out (§12: no phone number is ever public).
    The signed PDF itself, with its SHA-256, stays behind the agreement's access check."""

    document = models.OneToOneField(AgreementDocument, on_delete=models.CASCADE, related_name="public_copy")
    file = models.FileField(_("file"), upload_to=public_copy_path, max_length=255)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("public copy")
        verbose_name_plural = _("public copies")

    def __str__(self):
        return str(self.document)
