"""Importing a round's results from its workbook (issue 10 item 2; layout: ``excel.layout``): all or nothing.

Every row and cell is checked first; only a file without a single problem is written, in one transaction.

- Which KPI: the row's hidden item id, never its name. An id of no KPI report of this round that the user may
  read is an error at that cell, whatever the row holds (nothing tells it apart from an id that does not
  exist). An id on two rows, or a report id that is not the item's report, is an error too.
- A row whose values are those stored is left alone: no access is needed to leave a row as it is, and nothing
  is written (no history). So the workbook of a planner's whole scope may come back with only some units'
  rows filled in.
- A row that changes anything is checked exactly as ``flow.item_enter`` checks one KPI (``flow.check_entry``:
  the report being entered, a leaf KPI, "reports from a later round" only in the 6- and 9-month rounds and
  with a reason, the result in the method's shape and range, with the engine's message), and its KPI must be
  one the user may enter (``access.can_enter_item``).
- Writing: the reports are locked (select_for_update, in id order) and their state checked again; the items
  are saved in one executemany with one history row each (``_save``; entered by the importer, now), then
  each report's self-assessed card is refreshed once (``cards.refresh_self_card``).
- The job (``excel.jobs``) ends READY either way, its outcome saying which: ``{"imported", "reports",
  "unchanged"}``, or ``{"errors": [{sheet, row, column, header, message}, ...], "error_count"}`` with nothing
  changed. FAILED is left for the unexpected, as for every job. Progress counts each report twice: once
  checked (before the transaction, so the job page sees it), once written.

Who may use the page (``enters_in_round``): anyone signed in who may enter at least one KPI of the round's
reports; the rows are then checked one by one as above.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi_agreements.agreements.access import EDITORS
from kpi_agreements.agreements.excel.parse import INVALID, ImportReport
from kpi_agreements.organisation.access import scope_of

from ..access import can_enter_item, reports_visible_to
from ..excel.layout import CellProblem, milestone_level, result_from_cell, same_result
from ..excel.parse import ResultRow, read_rows
from ..models import ReportItem, Round, RoundReport
from .cards import refresh_self_card
from .flow import check_entry

CHUNK = 900  # ids per IN (...) list: SQLite allows 32,766 parameters, PostgreSQL far more
ERRORS_KEPT = 1000  # problems stored in the job's outcome; the count says how many there were
SAVED = (
    "result",
    "narrative",
    "obstacles",
    "obstacles_external",
    "suggestions",
    "later_round",
    "later_reason",
    "entered_by",
    "entered_at",
)
# The column of each field of flow.check_entry's errors.
COLUMN_OF = {
    "result": "result",
    "narrative": "narrative",
    "obstacles": "obstacles",
    "obstacles_external": "external",
    "suggestions": "suggestions",
    "later_round": "later_round",
    "later_reason": "later_reason",
}


def enters_in_round(user, round: Round) -> bool:
    """May the user enter at least one KPI of the round's reports (the import page's capability)."""
    reports = reports_visible_to(user).filter(round=round, status__in=RoundReport.ENTERABLE)
    if reports.filter(scope_of(user).unit_q(*EDITORS, prefix="agreement__unit__")).exists():
        return True
    mine = Q(kpi__collector=user.pk) | Q(kpi__supervisor=user.pk)
    return ReportItem.objects.filter(mine, report__in=reports).exists()


@dataclass
class Outcome:
    report: ImportReport = field(default_factory=ImportReport)
    imported: int = 0
    reports: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.report.ok

    def as_json(self) -> dict:
        if not self.ok:
            self.report.sort()
            return {
                "errors": [
                    {
                        "sheet": e.sheet,
                        "row": e.row,
                        "column": e.column,
                        "header": e.header,
                        "message": e.message,
                    }
                    for e in self.report.errors[:ERRORS_KEPT]
                ],
                "error_count": len(self.report.errors),
            }
        return {"imported": self.imported, "reports": self.reports, "unchanged": self.unchanged}


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _load(round: Round, user, ids: list[int]) -> dict[int, ReportItem]:
    """The items of these ids that belong to reports of the round the user may read, with their report
    (round, year, unit) and KPI (collector, supervisor) attached: the checks need no further query."""
    fields = [f.name for f in ReportItem._meta.concrete_fields]
    items = []
    for chunk in _chunks(ids):
        items += (
            ReportItem.objects.filter(pk__in=chunk)
            .select_related("kpi")
            .only(*fields, "kpi__collector", "kpi__supervisor")
        )
    visible = (
        reports_visible_to(user).filter(round=round).select_related("round__fiscal_year", "agreement__unit")
    )
    reports = {}
    for chunk in _chunks(sorted({i.report_id for i in items})):
        reports.update((r.pk, r) for r in visible.filter(pk__in=chunk))
    found = {}
    for item in items:
        report = reports.get(item.report_id)
        if report is not None:
            item.report = report
            found[item.pk] = item
    return found


def _same_text(new: str, old: str) -> bool:
    return new.replace("\r\n", "\n").strip() == (old or "").replace("\r\n", "\n").strip()


def _new_result(item: ReportItem, raw):
    """The row's result in the engine's shape; raises CellProblem. A parent KPI keeps the raw value, so a
    result typed on its row counts as a change that check_entry refuses."""
    if not item.is_leaf:
        return None if raw is None or (isinstance(raw, str) and not raw.strip()) else raw
    result = result_from_cell(item.method, item.criteria, raw)
    # Left at the level it had, a milestone KPI keeps its ticks (steps done above that level included).
    if (
        item.method == "milestone"
        and isinstance(result, dict)
        and isinstance(item.result, dict)
        and milestone_level(result["done"]) == milestone_level(item.result.get("done"))
    ):
        return item.result
    return result


def _changes(item: ReportItem, row: ResultRow, result) -> list[str]:
    later_reason = row.later_reason if row.later_round else ""
    changed = []
    if not same_result(item.method, result, item.result):
        changed.append("result")
    for name in ("narrative", "obstacles", "suggestions"):
        if not _same_text(getattr(row, name), getattr(item, name)):
            changed.append(name)
    if row.obstacles_external != item.obstacles_external:
        changed.append("obstacles_external")
    if row.later_round != item.later_round:
        changed.append("later_round")
    if not _same_text(later_reason, item.later_reason):
        changed.append("later_reason")
    return changed


def _refuse(row, exc: ValidationError, first: str) -> None:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            row.error(COLUMN_OF.get(name, first), messages[0])
    else:
        row.error(first, exc.messages[0])


class _Progress:
    """The job's progress in reports, each counted twice (checked, written); a hundred writes at most."""

    def __init__(self, progress, reports: int):
        self.progress, self.total, self.done = progress, 2 * reports, 0
        self.step = max(1, self.total // 100)

    def __call__(self, final: bool = False) -> None:
        self.done = self.total if final else self.done + 1
        if self.progress and (final or self.done % self.step == 0):
            self.progress(self.done, self.total)


def _check(rows: list[ResultRow], items: dict[int, ReportItem], user, outcome: Outcome, progress) -> dict:
    """Check every row; returns report id -> [(item set to its new values, its row, its first changed
    column)]."""
    seen: dict[int, int] = {}
    planned: dict[int, list] = {}
    now = timezone.now()
    checked: set[int] = set()
    for result_row in rows:
        row = result_row.row
        if result_row.item_id is None:
            continue  # reported by the parser
        item = items.get(result_row.item_id)
        if item is None:
            row.error(
                "item",
                _("No KPI report of this round that you may read has the code %(pk)s.")
                % {"pk": result_row.item_id},
            )
            continue
        if item.pk in seen:
            row.error(
                "item", _("The code %(pk)s is also on row %(row)s.") % {"pk": item.pk, "row": seen[item.pk]}
            )
            continue
        seen[item.pk] = row.row
        if result_row.report_id is not None and result_row.report_id != item.report_id:
            row.error(
                "report",
                _("This row's KPI belongs to report %(pk)s: the row was moved or its codes were changed.")
                % {"pk": item.report_id},
            )
            continue
        if item.report_id not in checked:
            checked.add(item.report_id)
            progress()
        if not row.ok or result_row.result is INVALID:
            continue  # a cell the parser refused: the row cannot be compared
        try:
            result = _new_result(item, result_row.result)
        except CellProblem as exc:
            row.error("result", str(exc))
            continue
        changed = _changes(item, result_row, result)
        if not changed:
            outcome.unchanged += 1
            continue
        first = COLUMN_OF[changed[0]]
        later_reason = result_row.later_reason if result_row.later_round else ""
        try:
            check_entry(
                item.report,
                item,
                result=result,
                later_round=result_row.later_round,
                later_reason=later_reason,
            )
        except ValidationError as exc:
            _refuse(row, exc, first)
            continue
        if not can_enter_item(user, item):
            row.error(
                first,
                _(
                    "You may not enter this KPI's results: its data collector and supervisor, and the unit's "
                    "head and planning staff, may."
                ),
            )
            continue
        item.result = result
        item.narrative = result_row.narrative
        item.obstacles = result_row.obstacles
        item.obstacles_external = result_row.obstacles_external
        item.suggestions = result_row.suggestions
        item.later_round = result_row.later_round
        item.later_reason = later_reason
        item.entered_by = user
        item.entered_at = now
        planned.setdefault(item.report_id, []).append((item, row, first))
    return planned


def _save(items: list[ReportItem]) -> None:
    """One UPDATE per item, sent as one executemany: what ``bulk_update_with_history`` does without its
    CASE WHEN per field and row, whose building took most of the import's time (7 s for 1,200 items, about
    5 minutes for a year's 50,000). The history rows follow with the history manager's bulk_history_create,
    as in that helper."""
    fields = [ReportItem._meta.get_field(name) for name in SAVED]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(ReportItem._meta.db_table)} SET {sets} WHERE {quote('id')} = %s"
    params = [[f.get_db_prep_save(getattr(i, f.attname), connection) for f in fields] + [i.pk] for i in items]
    with connection.cursor() as cursor:
        for chunk in _chunks(params, 1000):
            cursor.executemany(sql, chunk)


def _write(planned: dict, outcome: Outcome, user, progress) -> None:
    with transaction.atomic():
        ids = sorted(planned)
        status = {}
        for chunk in _chunks(ids):
            locked = RoundReport.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            status.update(locked.values_list("pk", "status"))
        moved = [pk for pk in ids if status.get(pk) not in RoundReport.ENTERABLE]
        if moved:  # submitted while the file was being checked
            message = _("The report has been submitted; results can no longer be changed.")
            for pk in moved:
                for _item, row, first in planned[pk]:
                    row.error(first, message)
            return
        items = [item for pk in ids for item, _row, _first in planned[pk]]
        _save(items)
        ReportItem.history.bulk_history_create(
            items,
            batch_size=1000,
            update=True,
            default_user=user,
            default_change_reason="imported from Excel",
        )
        for pk in ids:
            refresh_self_card(planned[pk][0][0].report)
            progress()
        outcome.imported, outcome.reports = len(items), len(ids)


def import_results(*, round: Round, user, fileobj, progress=None) -> Outcome:
    """Check the whole file and, only if every row is right, save it (module docstring)."""
    outcome = Outcome()
    rows = read_rows(fileobj, outcome.report)
    if rows is None:
        return outcome
    items = _load(round, user, sorted({r.item_id for r in rows if r.item_id is not None}))
    steps = _Progress(progress, len({i.report_id for i in items.values()}))
    planned = _check(rows, items, user, outcome, steps)
    if outcome.ok and planned:
        _write(planned, outcome, user, steps)
    steps(final=True)
    return outcome
