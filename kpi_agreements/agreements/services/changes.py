"""Change requests (DOMAIN §9): open in a window, propose, decide by resolution, apply as a new version."""

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpi_agreements import scoring
from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.locking import amending
from kpi_agreements.agreements.models import (
    KPI,
    Agreement,
    AgreementVersion,
    ChangeItem,
    ChangeRequest,
    Evidence,
)
from kpi_agreements.agreements.services.kpis import kpis_bulk_save
from kpi_agreements.agreements.services.negotiation import committee_resolution
from kpi_agreements.agreements.signals import agreement_amended
from kpi_agreements.core import uploads
from kpi_agreements.core.thai import be_date
from kpi_agreements.criteria.validation import check_criteria, check_weight
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.workflow.services import check_move, move, record

WINDOWS = (Milestone.Kind.CHANGE_WINDOW_1, Milestone.Kind.CHANGE_WINDOW_2)
LABELS = {
    **{s.value: s.label for s in ChangeRequest.Status},
    "submit": gettext_lazy("submit to the committee"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "open": gettext_lazy("open the request"),
}
EVIDENCE_KINDS = ("pdf", "png", "jpeg", "docx", "xlsx")


# --- windows -------------------------------------------------------------------------------------


def window_bounds(fiscal_year) -> list[tuple[Milestone, date, date]]:
    """The two windows of the year's calendar, each closing on its deadline rolled to a working day."""
    holidays = fiscal_year.holiday_dates
    out = []
    for m in fiscal_year.milestones.filter(kind__in=WINDOWS).order_by("due_date"):
        out.append((m, m.start_date or m.due_date, scoring.effective_deadline(m.due_date, holidays)))
    return out


def open_window(fiscal_year, today: date | None = None):
    today = today or timezone.localdate()
    for milestone, start, end in window_bounds(fiscal_year):
        if start <= today <= end:
            return milestone
    return None


def _outside_window_message(fiscal_year) -> str:
    spans = "; ".join(f"{be_date(start)} – {be_date(end)}" for _m, start, end in window_bounds(fiscal_year))
    return _("Change requests can only be opened inside the year's windows: %(spans)s.") % {
        "spans": spans or "—"
    }


# --- the weights after a change -----------------------------------------------------------------


def weights_after(agreement: Agreement, items: list[ChangeItem]) -> dict:
    """Top-level weights once the items apply; cancelled KPIs' weight goes by the framework's rules (§4).

    Keys are KPI ids, and ``("new", item id)`` for added KPIs (added at the top level).
    """
    return _weights_after(agreement, items)[0]


def _weights_after(agreement: Agreement, items: list[ChangeItem]) -> tuple[dict, dict]:
    """The top-level weights (``weights_after``), and every current KPI's weight, sub-KPIs' included."""
    kpis = list(agreement.kpis.filter(cancelled_from_round__isnull=True).select_related("mandatory"))
    weight = {k.pk: k.weight for k in kpis}
    for item in items:
        if item.kind == ChangeItem.Kind.EDIT and item.weight is not None:
            weight[item.kpi_id] = item.weight
    cancelled = {i.kpi_id for i in items if i.kind == ChangeItem.Kind.CANCEL}
    children: dict = {}
    for k in kpis:
        if k.parent_id:
            children.setdefault(k.parent_id, []).append(k.pk)
    # A cancelled sub-KPI's weight stays with its siblings, so the parent keeps its weight.
    for parent_id, kids in children.items():
        dropped = [c for c in kids if c in cancelled]
        kept = [c for c in kids if c not in cancelled]
        if dropped and kept:
            weight.update(scoring.redistribute_weights({c: weight[c] for c in kids}, dropped))
        weight[parent_id] = (
            sum((weight[c] for c in kids if c not in cancelled), Decimal(0)) if kept else Decimal(0)
        )
    top = {k.pk: weight[k.pk] for k in kpis if k.parent_id is None}
    for item in items:
        if item.kind == ChangeItem.Kind.ADD:
            top[("new", item.pk)] = item.weight or Decimal(0)
    dropped_top = [k for k in top if k in cancelled]
    if dropped_top:
        by_code = {k.pk: k.mandatory.code for k in kpis if k.mandatory_id}
        pk_by_code = {code: pk for pk, code in by_code.items()}
        rules: dict = {}
        for k in kpis:
            if k.pk in dropped_top and k.mandatory_id:
                for rule in k.mandatory.rules_out.select_related("target"):
                    if rule.target.code in pk_by_code:
                        rules.setdefault(k.pk, []).append((pk_by_code[rule.target.code], rule.amount))
        top = scoring.redistribute_weights(top, dropped_top, rules)
    for key, total in top.items():
        _share(key, total, weight, children, cancelled)
    return top, weight


def _share(key, total: Decimal, weight: dict, children: dict, cancelled: set) -> None:
    """A parent that receives weight passes it on to its sub-KPIs in proportion to their weights (§4)."""
    extra = total - weight.get(key, total)
    weight[key] = total
    kept = [c for c in children.get(key, []) if c not in cancelled]
    if kept and extra > 0:
        shares = scoring.redistribute_weights({**{c: weight[c] for c in kept}, "extra": extra}, ["extra"])
        for c in kept:
            _share(c, shares[c], weight, children, cancelled)


def _check_items(change: ChangeRequest, items: list[ChangeItem]) -> None:
    if not items:
        raise ValidationError(_("Propose at least one change."))
    for item in items:
        if item.weight is not None:
            check_weight(item.weight)  # items stored before the weight rule, or behind the service's back
    weights = weights_after(change.agreement, items)
    # A new KPI without a weight, or a parent whose sub-KPIs are all cancelled, would be left at 0 (§4).
    empty = [key for key, weight in weights.items() if weight <= 0]
    if empty:
        names = dict(change.agreement.kpis.values_list("pk", "name"))
        names.update({("new", i.pk): i.name for i in items})
        raise ValidationError(
            _("After the change these KPIs would weigh nothing: %(names)s. Every KPI must weigh more than 0.")
            % {"names": ", ".join(names.get(key, "?") for key in empty)}
        )
    total = sum(weights.values(), Decimal(0))
    if total != 100:
        raise ValidationError(
            _("After the change the weights add up to %(total)s, not 100 (difference %(diff)s).")
            % {"total": selectors.format_weight(total), "diff": selectors.format_weight(total - 100)}
        )


# --- services ------------------------------------------------------------------------------------


def _move(obj, action: str, user, comment: str = "", *, check=True):
    return move(obj, action, user, labels=LABELS, comment=comment, check=check)


@transaction.atomic
def change_open(
    *,
    agreement: Agreement,
    user,
    grounds: str,
    grounds_other: str,
    justification: str,
    effective_round: int,
    today: date | None = None,
) -> ChangeRequest:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if not agreement.is_locked:
        raise ValidationError(_("Only a signed agreement is changed by a change request."))
    window = open_window(agreement.fiscal_year, today)
    if window is None:
        raise ValidationError(_outside_window_message(agreement.fiscal_year))
    if grounds == ChangeRequest.Grounds.OTHER and not grounds_other.strip():
        raise ValidationError({"grounds_other": _("Say what the other grounds are.")})
    change = ChangeRequest.objects.create(
        agreement=agreement,
        opened_by=user,
        window=window.kind,
        grounds=grounds,
        grounds_other=grounds_other,
        justification=justification,
        effective_round=effective_round,
    )
    record(change, action="open", from_state="", to_state=change.status, actor=user)
    return change


def _check_draft(change: ChangeRequest) -> None:
    if change.status != ChangeRequest.Status.DRAFT:
        raise ValidationError(_("This request has been submitted and can no longer be changed."))


@transaction.atomic
def change_item_add(*, change: ChangeRequest, kind: str, kpi: KPI | None = None, **fields) -> ChangeItem:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    _check_draft(change)
    if kind in (ChangeItem.Kind.EDIT, ChangeItem.Kind.CANCEL):
        if kpi is None or kpi.agreement_id != change.agreement_id or kpi.cancelled_from_round:
            raise ValidationError({"kpi": _("Choose a current KPI of this agreement.")})
        if change.items.filter(kpi=kpi).exists():
            raise ValidationError({"kpi": _("This request already changes that KPI.")})
    if kind == ChangeItem.Kind.ADD and not (fields.get("name") or "").strip():
        raise ValidationError({"name": _("Name the new KPI.")})
    if fields.get("weight") is not None:
        fields["weight"] = check_weight(fields["weight"])
    elif kind == ChangeItem.Kind.ADD:
        raise ValidationError({"weight": _("Give the new KPI's weight.")})
    if fields.get("criteria") is not None:
        check_criteria(fields.get("method"), fields["criteria"])
    return ChangeItem.objects.create(change_request=change, kind=kind, kpi=kpi, **fields)


@transaction.atomic
def change_item_remove(*, item: ChangeItem) -> None:
    _check_draft(ChangeRequest.objects.select_for_update().get(pk=item.change_request_id))
    item.delete()


def check_evidence(upload) -> str:
    """The evidence file's real kind (core.uploads), within the year's size policy; else a field error."""
    try:
        return uploads.check_upload(
            upload,
            kinds=EVIDENCE_KINDS,
            max_bytes=settings.EVIDENCE_MAX_BYTES,
            wrong_type=_("Upload a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file."),
        )
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc


@transaction.atomic
def evidence_add(*, change: ChangeRequest, upload, user) -> Evidence:
    _check_draft(ChangeRequest.objects.select_for_update().get(pk=change.pk))
    kind = check_evidence(upload)
    # The user's file name is kept for the download only; on disk the file gets a random name of its kind.
    stored = File(upload, name=f"{uuid.uuid4().hex}{uploads.EXTENSION_OF[kind]}")
    return Evidence.objects.create(change_request=change, file=stored, name=upload.name, uploaded_by=user)


@transaction.atomic
def change_submit(*, change: ChangeRequest, user, today: date | None = None):
    change = (
        ChangeRequest.objects.select_for_update().select_related("agreement__fiscal_year").get(pk=change.pk)
    )
    if change.status == ChangeRequest.Status.DRAFT:
        if open_window(change.agreement.fiscal_year, today) is None:
            raise ValidationError(_outside_window_message(change.agreement.fiscal_year))
        _check_items(change, list(change.items.all()))
    return _move(change, "submit", user)


def snapshot(agreement: Agreement) -> dict:
    rows = selectors.outline(
        agreement.kpis.filter(cancelled_from_round__isnull=True).select_related("dimension")
    )
    return {
        "kpis": [
            {
                "id": k.pk,
                "number": k.number,
                "name": k.name,
                "dimension": k.dimension.name_th,
                "weight": str(k.weight),
                "method": k.method,
                "direction": k.direction,
                "criteria": k.criteria,
                "description": k.description,
                # What a round report needs to rebuild the KPI as this version stood (reporting, §8).
                "parent": k.parent_id,
                "dimension_id": k.dimension_id,
                "order": k.order,
                "unit_of_measure": k.unit_of_measure,
                "baseline": k.baseline,
                "evidence_required": k.evidence_required,
            }
            for k in rows
        ]
    }


def _ensure_first_version(agreement: Agreement) -> None:
    if not agreement.versions.exists():
        AgreementVersion.objects.create(
            agreement=agreement, number=agreement.version, snapshot=snapshot(agreement)
        )


@transaction.atomic
def change_decide(*, change: ChangeRequest, user, approve: bool, number: str, date, text: str):
    """The committee decides by resolution; approval applies the change as the agreement's next version."""
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    agreement = Agreement.objects.select_for_update().get(pk=change.agreement_id)
    action = "approve" if approve else "reject"
    check_move(getattr(change, action), user, labels=LABELS)
    change.resolution = committee_resolution(
        agreement=agreement, user=user, number=number, date=date, text=text
    )
    change.version_before = agreement.version
    if approve:
        _apply(change, agreement, user)
        change.version_after = agreement.version
    return _move(change, action, user, _("Resolution %(number)s") % {"number": number}, check=False)


def _apply(change: ChangeRequest, agreement: Agreement, user) -> None:
    """The items as one version: new KPIs, cancellations, edits and the weights they move, through the KPI
    services with the change request's authority over a signed agreement; one history row per KPI."""
    items = list(change.items.all())
    _check_items(change, items)  # the agreement may have moved on since submission
    _ensure_first_version(agreement)
    weights = _weights_after(agreement, items)[1]
    reason = f"change request, resolution {change.resolution.number}"
    stored = {k.pk: k for k in agreement.kpis.all()}
    added, fields_of = [], defaultdict(dict)
    for item in items:
        if item.kind == ChangeItem.Kind.ADD:
            siblings = agreement.kpis.filter(parent=None, dimension=item.dimension_id).count()
            added.append(
                KPI(
                    agreement=agreement,
                    dimension_id=item.dimension_id,
                    order=siblings + 1 + sum(k.dimension_id == item.dimension_id for k in added),
                    name=item.name,
                    description=item.description,
                    weight=weights[("new", item.pk)],
                    method=item.method or "quantitative",
                    direction=item.direction or "higher",
                    criteria=item.criteria or {},
                )
            )
        elif item.kind == ChangeItem.Kind.CANCEL:
            fields_of[item.kpi_id]["cancelled_from_round"] = change.effective_round
        else:
            fields = fields_of[item.kpi_id]
            for name in ("name", "description", "method", "direction"):
                if getattr(item, name):
                    fields[name] = getattr(item, name)
            if item.criteria is not None:
                fields["criteria"] = item.criteria
    cancelled = {i.kpi_id for i in items if i.kind == ChangeItem.Kind.CANCEL}
    for pk, kpi in stored.items():  # sub-KPIs' weights too: those edited and those a change moves
        if pk in weights and pk not in cancelled and weights[pk] != kpi.weight:
            fields_of[pk]["weight"] = weights[pk]
    with amending(agreement):
        kpis_bulk_save(
            agreement=agreement,
            new=added,
            changes=[(stored[pk], fields) for pk, fields in fields_of.items()],
            reason=reason,
            user=user,
            amending=change,
        )
        agreement.version += 1
        agreement.save(update_fields=["version"])
    AgreementVersion.objects.create(
        agreement=agreement,
        number=agreement.version,
        snapshot=snapshot(agreement),
        effective_round=change.effective_round,
        change_request=change,
    )
    agreement_amended.send(sender=Agreement, agreement=agreement, change=change)
    from kpi_agreements.documents.services import document_request

    document_request(agreement=agreement, kind="signed", user=user)
