"""The one write path of KPIs: create, change, move, cancel and delete, one by one or in bulk.

The editor, the Excel import, proposals, change requests and drafting all write KPIs through these functions
(tests/test_architecture.py keeps it so). Each locks the agreement, applies the one editability rule
(``check_editable``), the one weight rule and the one criteria rule (``criteria.validation``), keeps a
parent's weight the sum of its live sub-KPIs' (DOMAIN §4), and leaves one history row per KPI it writes, with
a reason (a short English key, stored as data like the units' "move"). Cancelling (DOMAIN §9) is a change of
``cancelled_from_round``.
"""

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager, nullcontext
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi_agreements.agreements import locking
from kpi_agreements.agreements.models import KPI, Agreement, ChangeRequest, Dimension, Proposal
from kpi_agreements.criteria.validation import check_criteria, check_weight

NEGOTIATING = (Agreement.Status.SUBMITTED, Agreement.Status.REVISION)


# --- the rules ---------------------------------------------------------------------------------------


def check_editable(
    agreement: Agreement, *, amending: ChangeRequest | None = None, proposal: Proposal | None = None
) -> None:
    """Whether an agreement's KPIs may change now (DOMAIN §5, §9): while it is a draft or sent back for
    revision; while the committee negotiates, through a committee proposal the unit accepts (``proposal``);
    once signed, only through the change request being approved (``amending``)."""
    if amending is not None:
        allowed = amending.agreement_id == agreement.pk and agreement.is_locked
    elif proposal is not None:
        allowed = proposal.kpi.agreement_id == agreement.pk and agreement.status in NEGOTIATING
    else:
        allowed = agreement.is_editable
    if not allowed:
        raise ValidationError(_("This agreement is no longer a draft and cannot be changed here."))


@contextmanager
def _writing(agreement_id: int, *, amending=None, proposal=None):
    """The agreement locked and checked; an approved change request's writes pass ``locking``'s guard."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    check_editable(agreement, amending=amending, proposal=proposal)
    with locking.amending(agreement) if amending is not None else nullcontext():
        yield agreement


def _check_own(agreement: Agreement, kpi: KPI) -> None:
    # The editability rule was checked for this agreement: it must not let another agreement's KPI through.
    if kpi.agreement_id != agreement.pk:
        raise ValidationError(_("The KPI belongs to another agreement."))


def _check_fields(fields: dict, method: str) -> None:
    if "weight" in fields:
        fields["weight"] = check_weight(fields["weight"])
    # Empty criteria are a draft's to fill in; submission refuses them (selectors.submission_problems).
    if fields.get("criteria"):
        check_criteria(fields.get("method", method), fields["criteria"])


def _sync_parent_weights(agreement: Agreement, user=None) -> None:
    """A parent KPI's weight is the sum of its live sub-KPIs' (DOMAIN §4), sub-KPIs that are parents summed
    first. Worked out from the weights alone; only the parents whose sum changed are read and saved."""
    rows = list(agreement.kpis.values_list("pk", "parent_id", "weight", "cancelled_from_round"))
    weight = {pk: w for pk, _parent, w, _cancelled in rows}
    live_children = defaultdict(list)
    for pk, parent_id, _w, cancelled in rows:
        if parent_id is not None and cancelled is None:
            live_children[parent_id].append(pk)
    sums: dict[int, Decimal] = {}

    def total(pk) -> Decimal:
        if pk not in sums:
            children = live_children.get(pk)
            sums[pk] = sum((total(c) for c in children), Decimal(0)) if children else weight[pk]
        return sums[pk]

    changed = {pk: total(pk) for pk in live_children if total(pk) != weight[pk]}
    parents = list(KPI.objects.filter(pk__in=changed).order_by("pk")) if changed else []
    for kpi in parents:
        kpi.weight = changed[kpi.pk]
    _save(parents, ["weight"], "sum of sub-KPIs", user)


def _save(kpis: list[KPI], fields: Iterable[str], reason: str, user) -> None:
    if kpis and fields:
        KPI.objects.bulk_update(kpis, sorted(fields))
        insert_history(KPI, [kpi.pk for kpi in kpis], reason=reason, user=user, kind="~")


# --- one KPI ---------------------------------------------------------------------------------------


@transaction.atomic
def kpi_create(
    *, agreement: Agreement, dimension: Dimension, parent: KPI | None = None, reason: str = "", **fields
) -> KPI:
    """A new KPI at the end of its siblings."""
    with _writing(agreement.pk) as agreement:
        fields["weight"] = check_weight(fields.get("weight"))
        if parent is not None:
            if parent.agreement_id != agreement.pk:
                raise ValidationError({"parent": _("The parent KPI belongs to another agreement.")})
            dimension = parent.dimension
        last = agreement.kpis.filter(parent=parent, dimension=dimension).aggregate(m=Max("order"))["m"]
        kpi = KPI(agreement=agreement, dimension=dimension, parent=parent, order=(last or 0) + 1, **fields)
        _create(agreement, [kpi], reason or "added", None)
        _sync_parent_weights(agreement)
    return kpi


KEEP = object()  # kpi_update(parent=KEEP): the KPI stays where it is


@transaction.atomic
def kpi_update(
    *, kpi: KPI, reason: str = "", user=None, amending=None, proposal=None, parent=KEEP, **fields
) -> KPI:
    """Change a KPI's fields; with ``parent`` (a KPI or None) also move it (``kpi_set_parent``), whose
    dimension then wins over one in ``fields``."""
    if parent is not KEEP and parent is not None:
        fields.pop("dimension", None)
    kpis_bulk_save(
        agreement=kpi.agreement,
        changes=[(kpi, fields)],
        reason=reason,
        user=user,
        amending=amending,
        proposal=proposal,
    )
    if parent is not KEEP and (parent.pk if parent else None) != kpi.parent_id:
        kpi = kpi_set_parent(kpi=kpi, parent=parent, user=user)
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: KPI) -> None:
    with _writing(kpi.agreement_id) as agreement:
        doomed = _with_descendants(kpi)
        served = list(
            KPI.objects.filter(cascaded_from__in=doomed).exclude(pk__in=doomed).select_related("agreement")
        )
        fixed = [k for k in served if not k.agreement.is_editable]
        if fixed:
            # A submitted or signed agreement still points at this KPI; it must stay as it was signed.
            raise ValidationError(
                _("KPI %(name)s cannot be deleted: the agreements of %(units)s, no longer drafts, serve it.")
                % {"name": kpi.name, "units": ", ".join(sorted({str(k.agreement) for k in fixed}))}
            )
        for other in served:  # drafts simply lose the link, with a history row saying why
            other.cascaded_from = None
        _save(served, ["cascaded_from"], "cascade target deleted", None)
        try:
            with transaction.atomic():
                kpi.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _("KPI %(name)s cannot be deleted: a change request or another record refers to it.")
                % {"name": kpi.name}
            ) from exc
        _sync_parent_weights(agreement)


def _with_descendants(kpi: KPI) -> list[int]:
    ids, frontier = [kpi.pk], [kpi.pk]
    while frontier:
        frontier = list(KPI.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


@transaction.atomic
def kpi_move(*, kpi: KPI, step: int) -> None:
    """Swap the KPI with its neighbour among its siblings (step -1 up, +1 down)."""
    with _writing(kpi.agreement_id) as agreement:
        siblings = list(
            agreement.kpis.filter(parent=kpi.parent_id, dimension=kpi.dimension_id).order_by("order", "pk")
        )
        i = next(i for i, k in enumerate(siblings) if k.pk == kpi.pk)
        j = i + step
        if 0 <= j < len(siblings):
            siblings[i], siblings[j] = siblings[j], siblings[i]
        moved = []
        for n, sibling in enumerate(siblings, start=1):
            if sibling.order != n:
                sibling.order = n
                moved.append(sibling)
        _save(moved, ["order"], "moved", None)


@transaction.atomic
def kpi_set_parent(*, kpi: KPI, parent: KPI | None, user=None) -> KPI:
    """Move an existing KPI, with its sub-KPIs, under ``parent`` (None: to the top level), last among its new
    siblings. It takes the parent's dimension, as a sub-KPI must (DOMAIN §4); the parents' weights are summed
    again. Refused: a parent of another agreement, the KPI itself or one of its own sub-KPIs (a cycle), and a
    mandatory KPI, whose place the framework sets."""
    with _writing(kpi.agreement_id) as agreement:
        kpi = KPI.objects.select_related("dimension").get(pk=kpi.pk)
        if (parent.pk if parent else None) == kpi.parent_id:
            return kpi
        if kpi.mandatory_id is not None:
            raise ValidationError({"parent": _("A mandatory KPI stays where the framework puts it.")})
        if parent is not None:
            parent = KPI.objects.get(pk=parent.pk)  # as stored now, not as the caller read it
            if parent.agreement_id != agreement.pk:
                raise ValidationError({"parent": _("The parent KPI belongs to another agreement.")})
            if parent.pk in _with_descendants(kpi):
                raise ValidationError({"parent": _("A KPI cannot go under itself or one of its sub-KPIs.")})
            if parent.cancelled_from_round is not None:
                raise ValidationError({"parent": _("The parent KPI has been cancelled.")})
        dimension_id = parent.dimension_id if parent else kpi.dimension_id
        last = agreement.kpis.filter(parent=parent, dimension=dimension_id).aggregate(m=Max("order"))["m"]
        kpi.parent, kpi.order = parent, (last or 0) + 1
        moved = [kpi]
        descendants = KPI.objects.filter(pk__in=_with_descendants(kpi)).exclude(pk=kpi.pk)
        for row in [kpi, *descendants]:  # a subtree lives in one dimension
            if row.dimension_id != dimension_id:
                row.dimension_id = dimension_id
                if row is not kpi:
                    moved.append(row)
        _save(moved[:1], ["parent", "order", "dimension"], "moved under a parent", user)
        _save(moved[1:], ["dimension"], "moved under a parent", user)
        _sync_parent_weights(agreement, user)
    return kpi


# --- many KPIs at once -------------------------------------------------------------------------------


@transaction.atomic
def kpis_bulk_save(
    *,
    agreement: Agreement,
    new: Iterable[KPI] = (),
    changes: Iterable[tuple[KPI, dict]] = (),
    reason: str = "",
    user=None,
    amending: ChangeRequest | None = None,
    proposal: Proposal | None = None,
) -> None:
    """Many KPIs of one agreement in a few queries; the parents' weights are summed once, at the end.

    ``new`` KPIs are created with their ``order`` as given; a KPI's ``parent`` may be another of them
    (parents are inserted first), and a weight of None is a parent's: the sum of its sub-KPIs'. Each KPI of
    ``changes`` then takes its fields, and only the fields named are written.
    """
    with _writing(agreement.pk, amending=amending, proposal=proposal) as agreement:
        _create(agreement, list(new), reason or "added", user)
        _update(agreement, list(changes), reason or "edited", user)
        _sync_parent_weights(agreement, user)


def _create(agreement: Agreement, kpis: list[KPI], reason: str, user) -> None:
    for kpi in kpis:
        _check_own(agreement, kpi)
    _insert(kpis, reason, user)


def _insert(kpis: list[KPI], reason: str, user) -> None:
    """Check each new KPI's fields, then insert them with their history a level at a time (a sub-KPI needs
    its parent's id). A parent's weight of None is the sum of its sub-KPIs in the list (DOMAIN §4), so it is
    stored right; ``_sync_parent_weights`` adds any sub-KPI moved under it by the same call."""
    for kpi in kpis:
        if kpi.weight is not None:
            fields = {"criteria": kpi.criteria, "weight": kpi.weight}
            _check_fields(fields, kpi.method)
            kpi.weight = fields["weight"]
        else:
            _check_fields({"criteria": kpi.criteria}, kpi.method)
    children = defaultdict(list)
    for kpi in kpis:
        if kpi.parent is not None and kpi.parent.pk is None and kpi.cancelled_from_round is None:
            children[id(kpi.parent)].append(kpi)

    def summed(kpi) -> Decimal:
        if kpi.weight is None:
            kpi.weight = sum((summed(c) for c in children[id(kpi)]), Decimal(0))
        return kpi.weight

    for kpi in kpis:
        summed(kpi)
    waiting = kpis
    while waiting:  # a level at a time: a sub-KPI needs its parent's id
        ready = [k for k in waiting if k.parent_id is not None or k.parent is None or k.parent.pk is not None]
        if not ready:
            raise ValueError("The parents of these KPIs are neither stored nor in the list.")
        KPI.objects.bulk_create(ready)
        insert_history(KPI, [k.pk for k in ready], reason=reason, user=user)
        waiting = [k for k in waiting if k.pk is None]


HISTORY_CHUNK = 500  # rows copied to the history table per statement


def insert_history(model, pks: list[int], *, reason: str, user, kind: str = "+") -> None:
    """The history rows of rows just inserted (``kind`` "+") or updated ("~"), copied by the database from
    the rows as stored (INSERT … SELECT): what ``bulk_create_with_history`` and ``bulk_update_with_history``
    write, without building a model instance in Python for each (at 12,000 KPIs that was half of the year's
    drafting, and of a 5,000-row import). One timestamp for them all, as one operation."""
    history = model.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in history.tracked_fields)
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, history_change_reason, "
        f"history_type, history_user_id) SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} IN ({{}})"
    )
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    if user is None:  # as simple-history does: the request's user (its middleware), if any
        user = history.get_default_history_user(None)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    with connection.cursor() as cursor:
        for start in range(0, len(pks), HISTORY_CHUNK):
            chunk = pks[start : start + HISTORY_CHUNK]
            cursor.execute(
                sql.format(", ".join(["%s"] * len(chunk))), [when, reason or "", "+", user_id, *chunk]
            )


@transaction.atomic
def kpis_create_many(*, kpis: Iterable[KPI], reason: str = "", user=None) -> None:
    """New KPIs of many agreements at once (the year's drafts): the agreements locked and checked in one
    query, the KPIs checked and inserted with their history a level at a time for all of them together, a
    parent's weight of None the sum of its sub-KPIs in the list. Their parents must be in the list too."""
    kpis = list(kpis)
    ids = {kpi.agreement_id for kpi in kpis}
    agreements = list(Agreement.objects.select_for_update().filter(pk__in=ids))
    if len(agreements) != len(ids):
        raise ValueError("Some of these KPIs belong to no agreement.")
    for agreement in agreements:
        check_editable(agreement)
    if any(kpi.parent_id is not None for kpi in kpis):
        raise ValueError("kpis_create_many takes new sub-KPIs of new parents only; use kpis_bulk_save.")
    _insert(kpis, reason or "added", user)


def _update(agreement: Agreement, changes: list[tuple[KPI, dict]], reason: str, user) -> None:
    names = set()
    for kpi, fields in changes:
        _check_own(agreement, kpi)
        _check_fields(fields, kpi.method)
        for name, value in fields.items():
            setattr(kpi, name, value)
            names.add(KPI._meta.get_field(name).name)
    _save([kpi for kpi, _fields in changes], names, reason, user)
