"""Change requests (DOMAIN §9): open in a window, propose, decide by resolution, apply as a new version."""

import copy
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
    RedistributionRule,
)
from kpi_agreements.agreements.services.kpis import kpis_bulk_save
from kpi_agreements.agreements.services.negotiation import committee_resolution
from kpi_agreements.agreements.signals import agreement_amended
from kpi_agreements.core import uploads
from kpi_agreements.core.thai import be_date
from kpi_agreements.criteria.labels import DIRECTION_LABELS, METHOD_LABELS
from kpi_agreements.criteria.rows import criteria_rows, measure_rows
from kpi_agreements.criteria.validation import check_criteria, check_weight, scoring_message
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.organisation.selectors import committees_covering
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
    """Top-level weights once the items apply (DOMAIN §4 via ``selectors.redistribute``).

    Keys are KPI ids, and ``("new", item id)`` for added KPIs (added at the top level).
    """
    return _weights_after(agreement, items)[0]


def _live_kpis(agreement: Agreement) -> list[KPI]:
    return selectors.outline(
        agreement.kpis.filter(cancelled_from_round__isnull=True).select_related("dimension", "mandatory")
    )


def _weights_after(agreement: Agreement, items: list[ChangeItem], kpis=None) -> tuple[dict, dict]:
    """The top-level weights (``weights_after``), and every remaining KPI's weight, sub-KPIs' included.

    A cancelled KPI's weight goes first by the framework's named rules, then to the remaining KPIs beside it
    (its siblings; at the top level, its dimension), in proportion; across dimensions only when none remains
    in its own. Raises ``scoring.ScoringError`` when nothing is left to take it.
    """
    kpis = _live_kpis(agreement) if kpis is None else kpis
    live = {k.pk: k for k in kpis}
    weight = {k.pk: k.weight for k in kpis}
    for item in items:
        if item.kind == ChangeItem.Kind.EDIT and item.weight is not None and item.kpi_id in weight:
            weight[item.kpi_id] = item.weight
    for k in reversed(kpis):  # a parent weighs what its sub-KPIs weigh, edits included
        if k.child_list:
            weight[k.pk] = sum((weight[c.pk] for c in k.child_list), Decimal(0))
    parent_of = {k.pk: k.parent_id if k.parent_id in live else None for k in kpis}
    dimension_of = {k.pk: k.dimension_id for k in kpis}
    for item in items:
        if item.kind == ChangeItem.Kind.ADD:
            key = ("new", item.pk)
            weight[key] = item.weight or Decimal(0)
            parent_of[key], dimension_of[key] = None, item.dimension_id
    cancelled = [i.kpi_id for i in items if i.kind == ChangeItem.Kind.CANCEL and i.kpi_id in live]
    rules: dict = {}
    if cancelled:
        by_mandatory = {k.mandatory_id: k.pk for k in kpis if k.mandatory_id}
        sources = {live[pk].mandatory_id: pk for pk in cancelled if live[pk].mandatory_id}
        for rule in RedistributionRule.objects.filter(source__in=list(sources)).order_by("pk"):
            # A target the agreement does not carry is no KPI here: its amount goes beside the source.
            target = by_mandatory.get(rule.target_id, ("absent", rule.target_id))
            rules.setdefault(sources[rule.source_id], []).append((target, rule.amount))
    after = selectors.redistribute(weight, parent_of, dimension_of, cancelled, rules)
    top = {key: w for key, w in after.items() if parent_of[key] is None}
    return top, after


def change_problems(change: ChangeRequest, items: list[ChangeItem], kpis=None) -> list[str]:
    """What keeps the change from the framework (§4, §9): the total, each dimension's weight, empty KPIs."""
    agreement = change.agreement
    kpis = _live_kpis(agreement) if kpis is None else kpis
    try:
        top, after = _weights_after(agreement, items, kpis)
    except scoring.ScoringError as exc:
        return [scoring_message(exc)]
    problems = []
    total = sum(top.values(), Decimal(0))
    if total != 100:
        problems.append(
            _("After the change the weights add up to %(total)s, not 100 (difference %(diff)s).")
            % {"total": selectors.format_weight(total), "diff": selectors.format_weight(total - 100)}
        )
    cancelled = _with_descendants(kpis, {i.kpi_id for i in items if i.kind == ChangeItem.Kind.CANCEL})
    for k in kpis:
        if k.pk not in after and k.pk not in cancelled:  # a parent whose sub-KPIs would all go
            problems.append(
                _(
                    "Every sub-KPI of KPI %(number)s %(name)s would be cancelled: "
                    "cancel KPI %(number)s itself."
                )
                % {"number": k.number, "name": k.name}
            )
    dimension_of = {k.pk: k.dimension_id for k in kpis}
    dimension_of.update({("new", i.pk): i.dimension_id for i in items if i.kind == ChangeItem.Kind.ADD})
    for dimension in agreement.fiscal_year.dimensions.all():
        weight = sum((w for key, w in top.items() if dimension_of[key] == dimension.pk), Decimal(0))
        if weight != dimension.weight:
            problems.append(
                _(
                    "After the change dimension %(dimension)s would weigh %(total)s, not the framework's "
                    "%(weight)s (difference %(diff)s)."
                )
                % {
                    "dimension": dimension.name_th,
                    "total": selectors.format_weight(weight),
                    "weight": selectors.format_weight(dimension.weight),
                    "diff": selectors.format_weight(weight - dimension.weight),
                }
            )
    # A new KPI without a weight would be left at 0 (§4).
    empty = [key for key, weight in after.items() if weight <= 0]
    if empty:
        names = {k.pk: k.name for k in kpis}
        names.update({("new", i.pk): i.name for i in items})
        problems.append(
            _("After the change these KPIs would weigh nothing: %(names)s. Every KPI must weigh more than 0.")
            % {"names": ", ".join(names.get(key, "?") for key in empty)}
        )
    return problems


def _with_descendants(kpis: list[KPI], ids: set) -> set:
    """``ids`` and the sub-KPIs of each at every depth (``kpis`` in outline order, parents first)."""
    out = set(ids)
    for k in kpis:
        if k.parent_id in out:
            out.add(k.pk)
    return out


def _check_items(change: ChangeRequest, items: list[ChangeItem]) -> None:
    if not items:
        raise ValidationError(_("Propose at least one change."))
    for item in items:
        if item.weight is not None:
            check_weight(item.weight)  # items stored before the weight rule, or behind the service's back
    problems = change_problems(change, items)
    if problems:
        raise ValidationError(problems)


# --- the comparison the committee decides on ----------------------------------------------------


def snapshot_rows(rows: list[KPI]) -> list[dict]:
    """One dict per KPI of an outline, as a version stores it (the reporting app reads these keys)."""
    return [
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


def _added_orders(agreement: Agreement, items: list[ChangeItem]) -> dict:
    """The order each added KPI takes: after every top-level KPI of its dimension, in the items' order."""
    counts: dict = {}
    orders = {}
    for item in items:
        if item.kind == ChangeItem.Kind.ADD:
            if item.dimension_id not in counts:
                counts[item.dimension_id] = agreement.kpis.filter(
                    parent=None, dimension=item.dimension_id
                ).count()
            counts[item.dimension_id] += 1
            orders[item.pk] = counts[item.dimension_id]
    return orders


def _edited_fields(item: ChangeItem) -> dict:
    """The fields an edit item changes: those it gives (blank means unchanged)."""
    fields = {
        name: getattr(item, name)
        for name in ("name", "description", "method", "direction")
        if getattr(item, name)
    }
    if item.criteria is not None:
        fields["criteria"] = item.criteria
    return fields


def preview_snapshot(change: ChangeRequest, items: list[ChangeItem], kpis=None) -> dict:
    """The agreement as it would stand once the items apply, in the shape of a stored version's snapshot:
    the committee compares it with the version in force before deciding (§9), as it will after."""
    agreement = change.agreement
    kpis = _live_kpis(agreement) if kpis is None else kpis
    after = _weights_after(agreement, items, kpis)[1]
    edits = {i.kpi_id: _edited_fields(i) for i in items if i.kind == ChangeItem.Kind.EDIT}
    rows = []
    for k in kpis:
        if k.pk in after:
            row = copy.copy(k)
            for name, value in edits.get(k.pk, {}).items():
                setattr(row, name, value)
            row.weight = after[k.pk]
            rows.append(row)
    dimensions = {d.pk: d for d in agreement.fiscal_year.dimensions.all()}
    orders = _added_orders(agreement, items)
    new = {}
    for item in items:
        if item.kind == ChangeItem.Kind.ADD and item.dimension_id in dimensions:
            new[item.pk] = KPI(
                agreement=agreement,
                dimension=dimensions[item.dimension_id],
                order=orders[item.pk],
                name=item.name,
                description=item.description,
                weight=after[("new", item.pk)],
                method=item.method or "quantitative",
                direction=item.direction or "higher",
                criteria=item.criteria or {},
            )
            new[item.pk].added_by = item.pk
            rows.append(new[item.pk])
    ordered = selectors.outline(rows)
    snapshot = snapshot_rows(ordered)
    for row, kpi in zip(snapshot, ordered, strict=True):
        if getattr(kpi, "added_by", None):
            row["id"] = f"new-{kpi.added_by}"
    return {"kpis": snapshot}


def _levels(snap: dict, policy) -> dict:
    """The five-level table of a snapshot's criteria, as the KPI page shows it."""
    method = snap.get("method") or ""
    return {
        "method": METHOD_LABELS.get(method, method),
        "direction": DIRECTION_LABELS.get(snap.get("direction") or "", ""),
        "cells": criteria_rows(method, snap.get("criteria"), policy=policy, failed=_("Not achieved")),
        "measures": measure_rows(method, snap.get("criteria")),
    }


def compare(old: dict | None, new: dict | None, policy=None) -> list[dict]:
    """Rows of before and after, one per KPI (matched by id), with the five-level tables of their criteria."""
    old_kpis = {k["id"]: k for k in (old or {}).get("kpis", [])}
    new_kpis = {k["id"]: k for k in (new or {}).get("kpis", [])}
    rows = []
    for kid in list(old_kpis) + [k for k in new_kpis if k not in old_kpis]:
        a, b = old_kpis.get(kid), new_kpis.get(kid)
        changed = a != b if a and b else True
        rows.append(
            {
                "before": a,
                "after": b,
                "changed": changed,
                "before_levels": _levels(a, policy) if a else None,
                "after_levels": _levels(b, policy) if b else None,
                "weight_changed": bool(a and b and Decimal(a["weight"]) != Decimal(b["weight"])),
            }
        )
    return rows


def dimension_weights(old: dict | None, new: dict | None, dimensions) -> list[dict]:
    """Per dimension: the framework's weight, and the top-level KPIs' weight before and after."""

    def totals(snapshot):
        out: dict = {}
        for k in (snapshot or {}).get("kpis", []):
            if k.get("parent") is None:
                out[k.get("dimension_id")] = out.get(k.get("dimension_id"), Decimal(0)) + Decimal(k["weight"])
        return out

    before, after = totals(old), totals(new)
    return [
        {
            "dimension": d,
            "framework": d.weight,
            "before": before.get(d.pk, Decimal(0)),
            "after": after.get(d.pk, Decimal(0)),
            "kept": after.get(d.pk, Decimal(0)) == d.weight,
        }
        for d in dimensions
    ]


def change_comparison(change: ChangeRequest) -> dict | None:
    """What the committee sees before deciding and everyone sees after (§9): the version in force against the
    agreement as the change would make it (after approval, the two stored versions), KPI by KPI, with each
    dimension's weight against the framework's, and what keeps the change from the framework."""
    agreement = change.agreement
    policy = agreement.fiscal_year.policy
    dimensions = list(agreement.fiscal_year.dimensions.all())
    if change.status == ChangeRequest.Status.APPROVED and change.version_after:
        numbers = [change.version_before, change.version_after]
        versions = {v.number: v.snapshot for v in agreement.versions.filter(number__in=numbers)}
        old, new, problems = versions.get(change.version_before), versions.get(change.version_after), []
    else:
        items = list(change.items.all())
        if not items:
            return None
        kpis = _live_kpis(agreement)
        old = {"kpis": snapshot_rows(kpis)}
        problems = change_problems(change, items, kpis)
        try:
            new = preview_snapshot(change, items, kpis)
        except scoring.ScoringError:
            new = None
    by_dimension = dimension_weights(old, new, dimensions)
    rows = compare(old, new, policy)
    return {
        "rows": rows,
        "unchanged": sum(not r["changed"] for r in rows),
        "dimensions": by_dimension,
        "total_before": sum((r["before"] for r in by_dimension), Decimal(0)),
        "total_after": sum((r["after"] for r in by_dimension), Decimal(0)),
        "problems": problems,
        "decided": change.status == ChangeRequest.Status.APPROVED,
    }


no_committee_message = selectors.no_committee_message

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
        has_children = kpi.children.filter(cancelled_from_round__isnull=True).exists()
        if kind == ChangeItem.Kind.EDIT and fields.get("weight") is not None and has_children:
            raise ValidationError(
                {"weight": _("A parent KPI weighs what its sub-KPIs weigh: change their weights instead.")}
            )
    if kind == ChangeItem.Kind.ADD and not (fields.get("name") or "").strip():
        raise ValidationError({"name": _("Name the new KPI.")})
    dimension = fields.get("dimension")
    if kind == ChangeItem.Kind.ADD and (
        dimension is None or dimension.fiscal_year_id != change.agreement.fiscal_year_id
    ):
        # Its weight counts in a dimension of the framework (§4).
        raise ValidationError({"dimension": _("Choose the new KPI's dimension.")})
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
        agreement = change.agreement
        if open_window(agreement.fiscal_year, today) is None:
            raise ValidationError(_outside_window_message(agreement.fiscal_year))
        if not committees_covering(agreement.unit_id, agreement.fiscal_year_id).exists():
            raise ValidationError(no_committee_message(agreement))
        _check_items(change, list(change.items.all()))
    return _move(change, "submit", user)


def snapshot(agreement: Agreement) -> dict:
    return {"kpis": snapshot_rows(_live_kpis(agreement))}


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
    live = _live_kpis(agreement)
    weights = _weights_after(agreement, items, live)[1]
    reason = f"change request, resolution {change.resolution.number}"
    stored = {k.pk: k for k in agreement.kpis.all()}
    orders = _added_orders(agreement, items)
    added, fields_of = [], defaultdict(dict)
    for item in items:
        if item.kind == ChangeItem.Kind.ADD:
            added.append(
                KPI(
                    agreement=agreement,
                    dimension_id=item.dimension_id,
                    order=orders[item.pk],
                    name=item.name,
                    description=item.description,
                    weight=weights[("new", item.pk)],
                    method=item.method or "quantitative",
                    direction=item.direction or "higher",
                    criteria=item.criteria or {},
                )
            )
        elif item.kind == ChangeItem.Kind.EDIT:
            fields_of[item.kpi_id].update(_edited_fields(item))
    # A cancelled parent takes its sub-KPIs with it: they stop counting from the same round.
    cancelled = _with_descendants(live, {i.kpi_id for i in items if i.kind == ChangeItem.Kind.CANCEL})
    for pk in cancelled:
        fields_of[pk]["cancelled_from_round"] = change.effective_round
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
