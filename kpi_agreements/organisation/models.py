"""Units, people, roles and committees (DOMAIN §2)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node


class UnitType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_th = models.CharField(_("Thai name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        ordering = ["name_th"]
        verbose_name = _("unit type")
        verbose_name_plural = _("unit types")

    def __str__(self):
        return self.name_th


class Unit(MP_Node):
    """A unit of the organisation tree.

    Materialised paths (django-treebeard) make "this unit and everything below it" one indexed
    ``path LIKE 'prefix%'`` query whatever the depth, which every access check relies on. ``parent`` is
    kept beside the path so the database itself enforces unique abbreviations among siblings.
    """

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children_units", editable=False
    )
    name_th = models.CharField(_("Thai name"), max_length=255)
    name_en = models.CharField(_("English name"), max_length=255, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=40)
    unit_type = models.ForeignKey(UnitType, on_delete=models.PROTECT, verbose_name=_("unit type"))
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
        verbose_name=_("head"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "abbreviation"], name="unit_unique_abbreviation_among_siblings"
            ),
        ]

    def __str__(self):
        return f"{self.name_th} ({self.abbreviation})"

    def subtree_q(self, prefix=""):
        return models.Q(**{f"{prefix}path__startswith": self.path})

    def ancestor_paths(self, *, include_self: bool = False) -> list[str]:
        """The paths of the units above (a role on any of them covers this unit), root first."""
        end = len(self.path) + (self.steplen if include_self else 0)
        return [self.path[:n] for n in range(self.steplen, end, self.steplen)]

    def contains(self, other: "Unit") -> bool:
        return other.path.startswith(self.path)


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PLANNING = "planning", _("Planning staff")
    UNIT_HEAD = "unit_head", _("Unit head")
    KPI_SUPERVISOR = "kpi_supervisor", _("KPI supervisor")
    DATA_COLLECTOR = "data_collector", _("Data collector")
    EXECUTIVE = "executive", _("Executive")


class Person(AbstractUser):
    title = models.CharField(_("title"), max_length=50, blank=True, help_text=_("e.g. นาย, นาง, ดร."))
    position = models.CharField(_("position"), max_length=255, blank=True)
    office = models.CharField(_("office"), max_length=255, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=30, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["first_name", "last_name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.title}{name}" if name else self.username


class RoleAssignment(models.Model):
    """A role held on a unit; it covers the unit's whole subtree."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="roles", verbose_name=_("unit"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["person", "unit", "role"], name="role_unique_per_person_unit"),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_role_display()} @ {self.unit.abbreviation}"


class Invitation(models.Model):
    """A one-time link to set a first password; only the token's hash is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.person} ({self.created_at:%Y-%m-%d})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, person: Person) -> tuple["Invitation", str]:
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            person=person,
            token_hash=cls.hash_token(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        return invitation, token


class Committee(models.Model):
    class Kind(models.TextChoices):
        NEGOTIATION = "negotiation", _("Negotiation and evaluation committee")
        DEVELOPMENT = "development", _("Public sector development committee")
        WORKING_TEAM = "working_team", _("Working team")

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    fiscal_year = models.ForeignKey(
        "fiscal.FiscalYear",
        on_delete=models.PROTECT,
        related_name="committees",
        verbose_name=_("fiscal year"),
    )
    # The unit that convenes the committee decides who manages it.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="convened_committees", verbose_name=_("convening unit")
    )
    units_covered = models.ManyToManyField(
        Unit, related_name="committees", blank=True, verbose_name=_("units covered")
    )
    history = HistoricalRecords(m2m_fields=[units_covered])

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["-fiscal_year__be_year", "name"]

    def __str__(self):
        return self.name


class CommitteeMember(models.Model):
    class Position(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice-chair")
        MEMBER = "member", _("Member")
        SECRETARY = "secretary", _("Member and secretary")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="committee_seats")
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        constraints = [
            models.UniqueConstraint(fields=["committee", "person"], name="committee_member_once"),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_position_display()})"


class Resolution(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="resolutions")
    number = models.CharField(_("number"), max_length=50)
    date = models.DateField(_("date"))
    text = models.TextField(_("text"))
    recorded_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "number"], name="resolution_number_unique"),
        ]

    def __str__(self):
        return f"{self.number} ({self.date})"

    def save(self, *args, **kwargs):
        # A resolution that decided something is the record of that decision: it never changes afterwards.
        if self.has_decided():
            raise ValidationError(
                _("Resolution %(number)s has decided an agreement or a change request and cannot be changed.")
                % {"number": self.number}
            )
        super().save(*args, **kwargs)

    def has_decided(self) -> bool:
        """Whether an agreement or a change request was approved or decided by this resolution."""
        from django.apps import apps

        if self.pk is None:
            return False
        return (
            apps.get_model("agreements", "Agreement").objects.filter(approval_resolution=self.pk).exists()
            or apps.get_model("agreements", "ChangeRequest").objects.filter(resolution=self.pk).exists()
        )
