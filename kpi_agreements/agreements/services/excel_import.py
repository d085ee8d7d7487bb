"""Applying an uploaded KPI Template workbook (layout: ``excel.layout``, reading: ``excel.parse``).

The upload (``import_workbook``) checks every sheet, row and cell first and lists every problem with its
sheet, row and column; only a file without a single problem is applied, in one transaction, through the KPI
services (``services.kpis``: the one editability rule, weight rule and history). KPIs of the agreement that
are not in the file are left as they are (delete KPIs in the editor). Refused besides what ``excel.parse``
refuses: unknown dimensions or usernames, codes of KPIs of other agreements. Unchanged KPIs are not saved: an
unchanged file writes no history.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kpi_agreements.agreements.excel.layout import CRITERIA_SHEETS, parse_decimal_text
from kpi_agreements.agreements.excel.parse import INVALID, ImportReport, KpiRow, Parsed, parse_workbook
from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import kpis
from kpi_agreements.organisation.models import Person
from kpi_agreements.organisation.pickers import people_around


@dataclass
class _Plan:
    """A KPI row that passed every check: what to write."""

    item: KpiRow
    kpi: KPI | None  # None: a new KPI
    dimension_id: int
    parent: str  # the parent's number in the file, "" for a top-level KPI
    direction: str
    supervisor_id: int | None
    collector_id: int | None
    criteria: dict = field(default_factory=dict)
    order: int = 0


def _check(
    agreement: Agreement, parsed: Parsed, existing: dict[int, KPI], report: ImportReport
) -> list[_Plan]:
    """Check the KPI rows against the agreement, its year's framework and the people."""
    dimensions = {d.name_th.strip(): d for d in agreement.fiscal_year.dimensions.all()}
    names = {d.pk: d.name_th for d in dimensions.values()}
    usernames = {u for item in parsed.kpis for u in (item.supervisor, item.collector) if u}
    # The same people as the KPI form's pickers (issue 8.7), and whoever the KPIs name already: a workbook
    # must not name, or probe for, anyone else in the system.
    named = [pk for k in existing.values() for pk in (k.supervisor_id, k.collector_id) if pk]
    allowed = Person.objects.filter(Q(pk__in=people_around(agreement.unit).values("pk")) | Q(pk__in=named))
    people = {p.username: p.pk for p in allowed.filter(username__in=usernames, is_active=True)}
    plans: dict[str, _Plan] = {}
    rows_by_number: dict[str, int] = {}
    rows_by_pk: dict[int, int] = {}
    for item in parsed.kpis:
        row = item.row
        if item.pk is not None:
            if item.pk not in existing:
                row.error("id", _("No KPI of this agreement has the code %(pk)s.") % {"pk": item.pk})
            elif item.pk in rows_by_pk:
                row.error(
                    "id",
                    _("The code %(pk)s is also on row %(row)s.")
                    % {"pk": item.pk, "row": rows_by_pk[item.pk]},
                )
            else:
                rows_by_pk[item.pk] = row.row
        if item.number:
            if item.number in rows_by_number:
                row.error(
                    "number",
                    _("The number %(number)s is also on row %(row)s.")
                    % {"number": item.number, "row": rows_by_number[item.number]},
                )
            else:
                rows_by_number[item.number] = row.row

        parent = None
        if item.parent:
            parent = plans.get(item.parent)
            if item.parent not in rows_by_number or item.parent == item.number:
                row.error(
                    "parent",
                    _("The parent KPI %(number)s must be listed on a row above this one.")
                    % {"number": item.parent},
                )
            elif parent is None:
                row.ok = False  # the parent's own row is wrong and already reported
        dimension = dimensions.get(item.dimension) if item.dimension else None
        if item.dimension and dimension is None:
            row.error(
                "dimension",
                _("The framework of %(year)s has no dimension “%(name)s”.")
                % {"year": agreement.fiscal_year, "name": item.dimension},
            )
        elif parent is not None and dimension is not None and dimension.pk != parent.dimension_id:
            row.error(
                "dimension",
                _(
                    "A sub-KPI belongs to its parent's dimension: leave this cell blank or "
                    "choose “%(dimension)s”."
                )
                % {"dimension": names[parent.dimension_id]},
            )
        elif not item.parent and dimension is None and row.values.get("dimension") is not INVALID:
            row.error("dimension", _("This value is required."))

        ids = {}
        for key in ("supervisor", "collector"):
            username = getattr(item, key)
            ids[key] = people.get(username)
            if username and username not in people:
                row.error(key, _("No active user has the username “%(username)s”.") % {"username": username})
        if not row.ok:
            continue
        kpi = existing.get(item.pk) if item.pk is not None else None
        plans[item.number] = _Plan(
            item=item,
            kpi=kpi,
            dimension_id=parent.dimension_id if parent is not None else dimension.pk,
            parent=item.parent,
            direction=(
                item.direction
                or parsed.directions.get(item.number)
                or (kpi.direction if kpi else None)
                or "higher"
            ),
            supervisor_id=ids["supervisor"],
            collector_id=ids["collector"],
            criteria=parsed.criteria.get(item.number, {}),
        )
    return [plans[item.number] for item in parsed.kpis if item.number in plans]


def _canon(value):
    """JSON compared by meaning: "60", "60.0" and 60 are the same number."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, str):
        number = parse_decimal_text(value)
        return number.normalize() if number is not None else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    return value


def _merge_criteria(kpi: KPI | None, method: str, new: dict, direction: str) -> dict:
    """Keep keys the workbook does not show (e.g. a stated direction) while the method stays the same."""
    if not new:
        return {}
    old = kpi.criteria if kpi and kpi.method == method and isinstance(kpi.criteria, dict) else {}
    merged = {k: v for k, v in old.items() if k not in new}
    if method == "quantitative" and "direction" in merged:
        merged["direction"] = direction
    merged.update(new)
    return merged


def _merge_baseline(old: list, new: dict[int, str]) -> list:
    """The file's three years replace those years; results of other years stay."""
    old = [e for e in (old or []) if isinstance(e, dict)]
    window = {str(y) for y in new}
    years = {str(e.get("year")): e.get("year") for e in old}
    merged = [e for e in old if str(e.get("year")) not in window]
    for year, value in new.items():
        if value or str(year) in years:
            merged.append({"year": years.get(str(year), year), "value": value})
    return merged


def _same_baseline(a: list, b: list) -> bool:
    def key(entries):
        return sorted(
            (str(e.get("year")), _canon(e.get("value"))) for e in entries or [] if isinstance(e, dict)
        )

    return key(a) == key(b)


def _assign_orders(plans: list[_Plan], existing: dict[int, KPI]) -> None:
    """Sheet order is reading order among siblings (same parent, same dimension).

    Stored orders that already read in sheet order are kept, so an unchanged file writes no history; rows new
    to the group go after every stored sibling; otherwise the siblings are numbered 1, 2, 3 … in sheet order.
    """
    groups: dict[tuple[str, int], list[_Plan]] = defaultdict(list)
    for plan in plans:
        groups[(plan.parent, plan.dimension_id)].append(plan)
    by_number = {plan.item.number: plan for plan in plans}
    stored_max: dict[tuple, int] = defaultdict(int)
    for kpi in existing.values():
        stored_max[(kpi.parent_id, kpi.dimension_id)] = max(
            stored_max[(kpi.parent_id, kpi.dimension_id)], kpi.order
        )
    for (parent_number, dimension_id), siblings in groups.items():
        parent = by_number.get(parent_number)
        if parent_number and (parent.kpi is None):
            for n, plan in enumerate(siblings, start=1):  # a new parent: all its sub-KPIs are new here
                plan.order = n
            continue
        parent_pk = parent.kpi.pk if parent_number else None
        staying = []
        for plan in siblings:
            if plan.kpi is None or (plan.kpi.parent_id, plan.kpi.dimension_id) != (parent_pk, dimension_id):
                break
            staying.append(plan)
        keys = [(plan.kpi.order, plan.kpi.pk) for plan in staying]
        if keys == sorted(keys):
            for plan in staying:
                plan.order = plan.kpi.order
            top = stored_max[(parent_pk, dimension_id)]
            for n, plan in enumerate(siblings[len(staying) :], start=1):
                plan.order = top + n
        else:
            for n, plan in enumerate(siblings, start=1):
                plan.order = n


def _apply(agreement: Agreement, plans: list[_Plan], user, report: ImportReport) -> None:
    """Write the checked rows through the KPI services, all at once; unchanged KPIs are not written."""
    parents = {plan.parent for plan in plans if plan.parent}
    by_number: dict[str, KPI] = {}
    new, changes = [], []
    for plan in plans:
        item, kpi = plan.item, plan.kpi
        values = {
            "dimension_id": plan.dimension_id,
            "order": plan.order,
            # A parent's weight is the sum of its sub-KPIs' (§4), worked out by the services.
            "weight": (kpi.weight if kpi else None) if item.number in parents else item.weight,
            "method": item.method,
            "direction": plan.direction,
            "criteria": _merge_criteria(kpi, item.method, plan.criteria, plan.direction),
            "supervisor_id": plan.supervisor_id,
            "collector_id": plan.collector_id,
            **item.fields,
        }
        parent = by_number[plan.parent] if plan.parent else None  # listed above, so already planned
        if kpi is None:
            kpi = KPI(
                agreement=agreement, parent=parent, baseline=_merge_baseline([], item.baseline), **values
            )
            new.append(kpi)
        else:
            changed = {name: value for name, value in values.items() if not _equal(getattr(kpi, name), value)}
            # A new parent has no id until it is stored: moving under it is a change all the same.
            if (parent is not None and parent.pk is None) or kpi.parent_id != (parent and parent.pk):
                changed["parent"] = parent
            baseline = _merge_baseline(kpi.baseline, item.baseline)
            if not _same_baseline(kpi.baseline, baseline):
                changed["baseline"] = baseline
            if changed:
                changes.append((kpi, changed))
        by_number[item.number] = kpi
    if new or changes:
        kpis.kpis_bulk_save(
            agreement=agreement, new=new, changes=changes, reason="imported from Excel", user=user
        )
    report.created, report.updated = len(new), len(changes)
    report.unchanged = len(plans) - len(new) - len(changes)


def _equal(old, new) -> bool:
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return _canon(old) == _canon(new)
    return old == new


# Progress of an import, in steps: each sheet read, the rows checked against the agreement, the rows written.
STEPS = 1 + len(CRITERIA_SHEETS) + 2


def import_workbook(agreement: Agreement, fileobj, user, *, progress=None, claim=None) -> ImportReport:
    """Check an uploaded KPI Template workbook cell by cell; apply it only if nothing at all is wrong.

    Returns the report: its ``errors`` name sheet, row and column; when there are none the counts say what
    changed. All writes happen in one transaction, so a file is applied entirely or not at all.
    ``progress(done, total)`` is told after each step (``STEPS``). ``claim()``, called in that transaction
    once the file has passed every check, may say it was applied already (a background job run again):
    then nothing is written and ``report.applied`` stays False.
    """
    report = ImportReport()
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress:
            progress(done, STEPS)

    _import(agreement, fileobj, user, report, step, claim)
    report.sort()
    return report


def _import(agreement: Agreement, fileobj, user, report: ImportReport, step, claim) -> None:
    try:
        kpis.check_editable(agreement)  # before reading a file that could not be applied anyway
        parsed = parse_workbook(fileobj, agreement.fiscal_year.be_year, report, sheet_read=step)
        if parsed is None:
            return
        # Cells with problems are reported already; go on checking the rest so the report lists everything.
        with transaction.atomic():
            # The agreement stays locked while the file is checked against it and applied.
            locked = Agreement.objects.select_for_update().select_related("fiscal_year").get(pk=agreement.pk)
            kpis.check_editable(locked)
            existing = {k.pk: k for k in locked.kpis.all()}
            plans = _check(locked, parsed, existing, report)
            step()
            if not report.ok or (claim is not None and not claim()):
                return
            _assign_orders(plans, existing)
            in_file = {plan.kpi.pk for plan in plans if plan.kpi}
            report.not_in_file = len(set(existing) - in_file)
            _apply(locked, plans, user, report)
            report.applied = True
            step()
    except ValidationError as exc:  # the KPI services' rules: nothing was written
        for message in exc.messages:
            report.add(message)
