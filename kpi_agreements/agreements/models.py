"""The evaluation framework (DOMAIN §4), agreements (§5) and their KPIs with the KPI Template (§6)."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from kpi_agreements.criteria.labels import DIRECTION_LABELS, METHOD_CHOICES
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit, UnitType


class Direction(models.TextChoices):
    HIGHER = "higher", DIRECTION_LABELS["higher"]
    LOWER = "lower", DIRECTION_LABELS["lower"]


def weight_field():
    return models.DecimalField(_("weight"), max_digits=7, decimal_places=4, default=Decimal(0))


class TemplateFields(models.Model):
    """Every field of the KPI Template (DOMAIN §6) that a mandatory KPI and a unit's KPI share.

    Criteria are stored as the scoring engine's JSON document with numbers as strings (DjangoJSONEncoder),
    so no criterion ever passes through a float.
    """

    name = models.CharField(_("KPI name"), max_length=500)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=100, blank=True)
    description = models.TextField(_("description and definitions"), blank=True)
    formula = models.TextField(_("formula"), blank=True)
    method = models.CharField(
        _("scoring method"), max_length=30, choices=METHOD_CHOICES, default="quantitative"
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    criteria = models.JSONField(_("scoring criteria"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    conditions = models.TextField(_("conditions"), blank=True)
    # [{"year": 2567, "value": "85.5"}, ...] — results of past years, usually three.
    baseline = models.JSONField(_("baseline data"), default=list, blank=True, encoder=DjangoJSONEncoder)
    data_source = models.TextField(_("data source"), blank=True)
    collection_method = models.TextField(_("collection method"), blank=True)
    # The round report of this KPI cannot be submitted without an evidence file (§8).
    evidence_required = models.BooleanField(_("evidence required with each report"), default=False)

    class Meta:
        abstract = True

    TEMPLATE_FIELDS = [
        "name",
        "unit_of_measure",
        "description",
        "formula",
        "method",
        "direction",
        "criteria",
        "conditions",
        "baseline",
        "data_source",
        "collection_method",
        "evidence_required",
    ]

    def template_values(self) -> dict:
        return {name: getattr(self, name) for name in self.TEMPLATE_FIELDS}


class Dimension(models.Model):
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="dimensions")
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    name_th = models.CharField(_("Thai name"), max_length=255)
    name_en = models.CharField(_("English name"), max_length=255, blank=True)
    weight = weight_field()
    history = HistoricalRecords()

    class Meta:
        ordering = ["fiscal_year", "order", "id"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self):
        return self.name_th


class MandatoryKPI(TemplateFields):
    """A KPI the framework requires of every agreement of the listed unit types, with its standard
    template."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="mandatory_kpis")
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="mandatory_kpis", verbose_name=_("dimension")
    )
    # Mandatory KPIs nest as agreement KPIs do (DOMAIN §4): "1 (20) = 1.1 (13) + 1.2 (5) + 1.3 (2)". A
    # parent's weight is the sum of its sub-KPIs'; deleting it deletes them (the page names them first).
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("part of mandatory KPI"),
    )
    code = models.CharField(_("number"), max_length=20, help_text=_("e.g. 1.1"))
    weight = weight_field()
    unit_types = models.ManyToManyField(UnitType, blank=True, verbose_name=_("applies to unit types"))
    history = HistoricalRecords(m2m_fields=[unit_types])

    class Meta:
        ordering = ["fiscal_year", "dimension__order", "code"]
        verbose_name = _("mandatory KPI")
        verbose_name_plural = _("mandatory KPIs")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "code"], name="mandatory_kpi_code_once")
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class RedistributionRule(models.Model):
    """ "If a unit has no KPI 1.2, its weight goes to 1.1" (DOMAIN §4); amount blank = all of it."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="redistribution_rules")
    source = models.ForeignKey(
        MandatoryKPI, on_delete=models.CASCADE, related_name="rules_out", verbose_name=_("when a unit has no")
    )
    target = models.ForeignKey(
        MandatoryKPI, on_delete=models.CASCADE, related_name="rules_in", verbose_name=_("its weight goes to")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Leave blank to move all of the weight."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["source__code", "target__code"]
        verbose_name = _("weight redistribution rule")
        verbose_name_plural = _("weight redistribution rules")

    def __str__(self):
        return f"{self.source.code} → {self.target.code}"


class SigningRule(models.Model):
    """Who a unit of this type signs with (§5); blank means the head of the parent unit."""

    unit_type = models.OneToOneField(
        UnitType, on_delete=models.CASCADE, related_name="signing_rule", verbose_name=_("unit type")
    )
    recipient_type = models.ForeignKey(
        UnitType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signs with the head of the nearest unit of type"),
    )
    co_signer_type = models.ForeignKey(
        UnitType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("together with the head of the nearest unit of type"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signing rule")
        verbose_name_plural = _("signing rules")

    def __str__(self):
        return str(self.unit_type)


def _may_edit(agreement, user) -> bool:
    from kpi_agreements.agreements.access import is_editor

    return is_editor(user, agreement)


def _decides(agreement, user) -> bool:
    from kpi_agreements.agreements.access import can_decide

    return can_decide(user, agreement)


def _complete(agreement) -> bool:
    from kpi_agreements.agreements.selectors import submission_problems

    return not submission_problems(agreement)


def _all_signed(agreement) -> bool:
    return not agreement.parties.filter(signed_at__isnull=True).exists()


class Agreement(ConcurrentTransitionMixin, models.Model):
    """The agreement's life is one state machine (docs/workflow.md): every move is a declared transition."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("With the committee")
        REVISION = "revision", _("Revision requested")
        APPROVED = "approved", _("Approved, awaiting signatures")
        SIGNED = "signed", _("Signed")

    EDITABLE = (Status.DRAFT, Status.REVISION)

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("unit")
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("fiscal year")
    )
    status = FSMField(
        _("status"), max_length=30, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    # Raised by each approved change request (§9); version 1 is the agreement as first signed.
    version = models.PositiveIntegerField(_("version"), default=1)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_resolution = models.ForeignKey(
        "organisation.Resolution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approving resolution"),
    )
    # Part 2, the action plan (แผนปฏิบัติราชการ).
    vision = models.TextField(_("vision"), blank=True)
    mission = models.TextField(_("mission"), blank=True)
    strategic_issues = models.TextField(_("strategic issues"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    strategies = models.TextField(_("strategies"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["fiscal_year", "unit__path"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.UniqueConstraint(fields=["unit", "fiscal_year"], name="agreement_once_per_year")
        ]

    def __str__(self):
        return f"{self.unit.abbreviation} {self.fiscal_year}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SIGNED

    # Transitions: no side effects here (services record the row and queue e-mail and PDFs after commit).
    @transition(
        field=status,
        source=[Status.DRAFT, Status.REVISION],
        target=Status.SUBMITTED,
        permission=_may_edit,
        conditions=[_complete],
    )
    def submit(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.REVISION, permission=_decides)
    def request_revision(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED, permission=_decides)
    def approve(self):
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.SIGNED, conditions=[_all_signed])
    def lock(self):
        pass


class Party(models.Model):
    class Role(models.TextChoices):
        PLEDGOR = "pledgor", _("Pledgor")
        RECIPIENT = "recipient", _("Recipient")
        CO_SIGNER = "co_signer", _("Together with")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    position = models.CharField(_("position"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    # The signature as given (§5): name and position as they stood when signing, and when.
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_name = models.CharField(_("name signed"), max_length=255, blank=True)
    signed_position = models.CharField(_("position signed"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self):
        return f"{self.get_role_display()}: {self.person or '—'}"


class KPI(TemplateFields):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="kpis")
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="kpis", verbose_name=_("dimension")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("parent KPI"),
    )
    order = models.PositiveIntegerField(default=0)
    weight = weight_field()
    mandatory = models.ForeignKey(
        MandatoryKPI,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpis",
        verbose_name=_("mandatory KPI"),
    )
    # What a signed KPI points to stays as it was signed: deleting the target is refused (issue 8).
    cascaded_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cascaded_to",
        verbose_name=_("serves the parent unit's KPI"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_kpis",
        verbose_name=_("KPI supervisor"),
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collected_kpis",
        verbose_name=_("data collector"),
    )
    # Set by an approved change request (§9): the KPI stops counting from this round (6, 9 or 12).
    cancelled_from_round = models.PositiveSmallIntegerField(_("cancelled from round"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "dimension__order", "order", "id"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self):
        return self.name

    @property
    def is_mandatory(self) -> bool:
        return self.mandatory_id is not None


class KPIComment(models.Model):
    """A committee member's remark on one KPI during negotiation (003_ slide 4)."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return self.text[:60]


class Proposal(models.Model):
    """A committee member's proposed weight or criteria for a KPI, which the unit accepts or rejects."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the unit")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("proposed weight"), max_digits=7, decimal_places=4, null=True, blank=True)
    method = models.CharField(_("scoring method"), max_length=30, choices=METHOD_CHOICES, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    criteria = models.JSONField(_("proposed criteria"), null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self):
        return f"{self.kpi}: {self.get_status_display()}"


ROUND_CHOICES = [(6, _("6-month round")), (9, _("9-month round")), (12, _("12-month round"))]


def _may_open_change(change, user) -> bool:
    from kpi_agreements.agreements.access import is_editor

    return is_editor(user, change.agreement)


def _committee_decides(change, user) -> bool:
    from kpi_agreements.agreements.access import can_decide

    return can_decide(user, change.agreement, change)


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """A request to change a signed agreement's KPIs in one of the year's two windows (DOMAIN §9)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("With the committee")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Grounds(models.TextChoices):
        POLICY = "policy", _("A change of government policy")
        EXTERNAL = "external", _("Affected by external factors")
        COMMITTEE = "committee", _("The negotiation committee asked for a review")
        OTHER = "other", _("Other")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="change_requests")
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    window = models.CharField(_("window"), max_length=30)
    grounds = models.CharField(_("grounds"), max_length=20, choices=Grounds.choices)
    grounds_other = models.CharField(_("other grounds"), max_length=255, blank=True)
    justification = models.TextField(_("justification"))
    effective_round = models.PositiveSmallIntegerField(_("takes effect from"), choices=ROUND_CHOICES)
    resolution = models.ForeignKey(
        "organisation.Resolution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolution"),
    )
    version_before = models.PositiveIntegerField(null=True, blank=True)
    version_after = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self):
        return _("Change request %(n)s of %(a)s") % {"n": self.pk, "a": self.agreement}

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED, permission=_may_open_change)
    def submit(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED, permission=_committee_decides)
    def approve(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED, permission=_committee_decides)
    def reject(self):
        pass


class ChangeItem(models.Model):
    """One proposed change: edit a KPI, cancel it, or add a new one."""

    class Kind(models.TextChoices):
        EDIT = "edit", _("Change a KPI")
        CANCEL = "cancel", _("Cancel a KPI")
        ADD = "add", _("Add a KPI")

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    kpi = models.ForeignKey(
        KPI, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("KPI")
    )
    dimension = models.ForeignKey(
        Dimension,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dimension"),
    )
    name = models.CharField(_("KPI name"), max_length=500, blank=True)
    description = models.TextField(_("description and definitions"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=4, null=True, blank=True)
    method = models.CharField(_("scoring method"), max_length=30, choices=METHOD_CHOICES, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    criteria = models.JSONField(_("scoring criteria"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["id"]
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.kpi or self.name}"


class Evidence(models.Model):
    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="change-requests/%Y/")
    name = models.CharField(_("name"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return self.name


class AgreementVersion(models.Model):
    """A frozen copy of the agreement's KPIs as one version stood, for before/after comparison (§9)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    effective_round = models.PositiveSmallIntegerField(
        _("takes effect from"), null=True, blank=True, choices=ROUND_CHOICES
    )
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_once")]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")

    def __str__(self):
        return f"{self.agreement} v{self.number}"
