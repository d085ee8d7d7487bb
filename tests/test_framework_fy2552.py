"""The FY2552 framework of 003_ slides 47–51 entered as the manual writes it (issue 13.1–13.3, DOMAIN §4).

Dimensions 45/15/20/20; KPIs 1–14 with 1 = 1.1 (13) + 1.2 (5) + 1.3 (2) and 3 = 3.1 (10) + 3.2 (5) nested;
the three redistribution rules: "no KPI 1.2: its weight goes to 1.1", "no mission group: 5 to 1.1 and 5 to
KPI 3", "3.2 not measured: its weight goes to 3.1". Every weight is asserted to 4 places, every code as is.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.forms.framework import RedistributionRuleForm
from kpi_agreements.agreements.models import KPI, Dimension, MandatoryKPI, RedistributionRule
from kpi_agreements.agreements.services import drafting, framework
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation import services as org_services
from kpi_agreements.organisation.models import UnitType
from tests.factories import QUANT, add_kpi

DIMENSIONS = [
    (1, "มิติด้านประสิทธิผล", "45"),
    (2, "มิติด้านคุณภาพการให้บริการ", "15"),
    (3, "มิติด้านประสิทธิภาพของการปฏิบัติราชการ", "20"),
    (4, "มิติด้านการพัฒนาองค์กร", "20"),
]
# (code, parent, dimension order, weight, name, applies to) — slides 47–51; weights of parents are the sums.
KPIS = [
    ("1", None, 1, "20", "ระดับความสำเร็จของร้อยละเฉลี่ยถ่วงน้ำหนักในการบรรลุเป้าหมายตามแผนปฏิบัติราชการของกระทรวง", None),
    ("1.1", "1", 1, "13", "ร้อยละเฉลี่ยถ่วงน้ำหนักในการบรรลุเป้าหมายตามแผนปฏิบัติราชการของกระทรวง", None),
    ("1.2", "1", 1, "5", "เป้าหมายร่วมกันระหว่างกระทรวง", "shared"),
    ("1.3", "1", 1, "2", "ระดับความสำเร็จของการพัฒนาศูนย์บริการร่วมหรือเคาน์เตอร์บริการประชาชน", None),
    ("2", None, 1, "10", "ร้อยละเฉลี่ยถ่วงน้ำหนักในการบรรลุเป้าหมายตามแผนปฏิบัติราชการของกลุ่มภารกิจ", "mission"),
    ("3", None, 1, "15", "ร้อยละเฉลี่ยถ่วงน้ำหนักในการบรรลุเป้าหมายของส่วนราชการระดับกรม", None),
    ("3.1", "3", 1, "10", "ร้อยละเฉลี่ยถ่วงน้ำหนักในการบรรลุเป้าหมายตามแผนปฏิบัติราชการ/ภารกิจหลัก", None),
    ("3.2", "3", 1, "5", "ร้อยละเฉลี่ยถ่วงน้ำหนักตามเป้าหมายผลผลิตของส่วนราชการ", None),
    ("4", None, 2, "5", "ร้อยละของระดับความพึงพอใจของผู้รับบริการ", None),
    ("5", None, 2, "4", "ระดับความสำเร็จในการเปิดโอกาสให้ประชาชนเข้ามามีส่วนร่วม", None),
    ("6", None, 2, "3", "ระดับความสำเร็จของการดำเนินการตามมาตรการการป้องกันและปราบปรามการทุจริต", None),
    ("7", None, 2, "3", "ระดับความสำเร็จในการเปิดเผยข้อมูลข่าวสารของราชการ", None),
    ("8", None, 3, "4", "ร้อยละของอัตราการเบิกจ่ายเงินงบประมาณรายจ่ายลงทุน/รายจ่ายภาพรวม", None),
    ("9", None, 3, "3", "ระดับความสำเร็จของการตรวจสอบภายใน", None),
    ("10", None, 3, "3", "ระดับความสำเร็จของการจัดทำต้นทุนต่อหน่วยผลผลิต", None),
    ("11", None, 3, "3", "ระดับความสำเร็จของการดำเนินการตามมาตรการการประหยัดพลังงาน", None),
    ("12", None, 3, "4", "ร้อยละเฉลี่ยถ่วงน้ำหนักในการรักษามาตรฐานระยะเวลาการให้บริการ", None),
    ("13", None, 3, "3", "ระดับความสำเร็จของการดำเนินการตามแผนพัฒนากฎหมายของส่วนราชการ", None),
    ("14", None, 4, "20", "ระดับความสำเร็จของการพัฒนาคุณภาพการบริหารจัดการภาครัฐ (PMQA)", None),
]
# (source, target, amount; None = all of it)
RULES = [("1.2", "1.1", None), ("2", "1.1", "5"), ("2", "3", "5"), ("3.2", "3.1", None)]


def fy2552_types():
    """Who carries 1.2 and 2: a department in a mission group with goals shared between ministries (every
    KPI), one outside any mission group (no KPI 2), one in a mission group without shared goals (no 1.2),
    and one with neither."""
    specs = [
        ("dept_all", "กรมในกลุ่มภารกิจ มีเป้าหมายร่วม", {"mission", "shared"}),
        ("dept_no_group", "กรมที่ไม่มีกลุ่มภารกิจ", {"shared"}),
        ("dept_no_12", "กรมในกลุ่มภารกิจ ไม่มีเป้าหมายร่วม", {"mission"}),
        ("dept_neither", "กรมที่ไม่มีกลุ่มภารกิจและเป้าหมายร่วม", set()),
    ]
    types = {code: UnitType.objects.create(code=code, name_th=name) for code, name, _ in specs}
    return types, {key: [types[c] for c, _, keys in specs if key in keys] for key in ("mission", "shared")}


def enter_fy2552(year, limited=None):
    """Enter the framework through the services, parents before their sub-KPIs, as a planner would.

    ``limited`` maps "mission" and "shared" to the unit types that carry KPIs 2 and 1.2; without it every
    KPI applies to every unit type. Returns the mandatory KPIs by code.
    """
    dims = {
        order: Dimension.objects.create(fiscal_year=year, order=order, name_th=name, weight=Decimal(weight))
        for order, name, weight in DIMENSIONS
    }
    codes = {}
    for code, parent, order, weight, name, applies in KPIS:
        codes[code] = framework.mandatory_kpi_save(
            fiscal_year=year,
            unit_types=(limited or {}).get(applies, []) if applies else [],
            code=code,
            parent=codes.get(parent),
            dimension=dims[order],
            weight=Decimal(weight),
            name=name,
            unit_of_measure="ระดับ",
            description=f"คำอธิบายตัวชี้วัด {code}",
            method="quantitative",
            direction="higher",
            criteria=QUANT,
        )
    for source, target, amount in RULES:
        framework.redistribution_rule_add(
            fiscal_year=year,
            source=codes[source],
            target=codes[target],
            amount=Decimal(amount) if amount else None,
        )
    return {m.code: m for m in MandatoryKPI.objects.filter(fiscal_year=year)}


def rows_of(agreement):
    """(number, weight as 4 places, parent's number) of every KPI, in reading order."""
    rows = selectors.outline(agreement.kpis.select_related("dimension", "mandatory"))
    numbers = {k.pk: k.number for k in rows}
    return [(k.number, f"{k.weight:.4f}", numbers.get(k.parent_id)) for k in rows]


def dimension_totals(agreement):
    return [
        f"{sum((k.weight for k in agreement.kpis.filter(dimension=d, parent=None)), Decimal(0)):.4f}"
        for d in agreement.fiscal_year.dimensions.all()
    ]


FULL = [
    ("1", "20.0000", None),
    ("1.1", "13.0000", "1"),
    ("1.2", "5.0000", "1"),
    ("1.3", "2.0000", "1"),
    ("2", "10.0000", None),
    ("3", "15.0000", None),
    ("3.1", "10.0000", "3"),
    ("3.2", "5.0000", "3"),
    ("4", "5.0000", None),
    ("5", "4.0000", None),
    ("6", "3.0000", None),
    ("7", "3.0000", None),
    ("8", "4.0000", None),
    ("9", "3.0000", None),
    ("10", "3.0000", None),
    ("11", "3.0000", None),
    ("12", "4.0000", None),
    ("13", "3.0000", None),
    ("14", "20.0000", None),
]


def _with(changes: dict, dropped=()):
    return [(n, changes.get(n, w), p) for n, w, p in FULL if n not in dropped]


@pytest.fixture
def fy2552(org):
    year = fiscal_year_create(be_year=2552)
    types, limited = fy2552_types()
    codes = enter_fy2552(year, limited)
    units = {
        key: org_services.unit_create(
            parent=org.ministry, name_th=f"กรม {key}", abbreviation=f"{key}.", unit_type=types[key]
        )
        for key in types
    }
    return year, codes, units


def test_the_framework_is_entered_as_the_manual_writes_it(fy2552):
    year, codes, _units = fy2552
    # A parent weighs what its sub-KPIs weigh: "1 (20) = 1.1 (13) + 1.2 (5) + 1.3 (2)", "3 (15) = 3.1 + 3.2".
    assert {c: f"{m.weight:.4f}" for c, m in codes.items() if c in ("1", "3")} == {
        "1": "20.0000",
        "3": "15.0000",
    }
    assert [m.code for m in codes["1"].children.all()] == ["1.1", "1.2", "1.3"]
    check = selectors.framework_check(year)
    assert [(d.order, f"{w:.4f}", f"{room:.4f}") for d, w, room in check.dimensions] == [
        (1, "45.0000", "0.0000"),
        (2, "15.0000", "0.0000"),
        (3, "20.0000", "0.0000"),
        (4, "20.0000", "0.0000"),
    ]
    assert check.mandatory_total == Decimal("100") and check.problems == []


def test_agreements_keep_the_framework_codes_and_each_unit_gets_its_weights(fy2552):
    year, _codes, units = fy2552
    created = drafting.agreements_create(fiscal_year=year, units=list(units.values()))
    by_unit = {a.unit_id: a for a in created}
    full = by_unit[units["dept_all"].pk]
    assert rows_of(full) == FULL

    # No mission group: KPI 2 goes, 5 to 1.1 and 5 to KPI 3, which 3.1 and 3.2 share 10:5.
    no_group = by_unit[units["dept_no_group"].pk]
    assert rows_of(no_group) == _with(
        {"1": "25.0000", "1.1": "18.0000", "3": "20.0000", "3.1": "13.3333", "3.2": "6.6667"}, dropped=["2"]
    )

    # No KPI 1.2: its 5 go to 1.1; KPI 1 keeps its 20.
    no_12 = by_unit[units["dept_no_12"].pk]
    assert rows_of(no_12) == _with({"1.1": "18.0000"}, dropped=["1.2"])

    # Neither: both rules at once.
    neither = by_unit[units["dept_neither"].pk]
    assert rows_of(neither) == _with(
        {"1": "25.0000", "1.1": "23.0000", "3": "20.0000", "3.1": "13.3333", "3.2": "6.6667"},
        dropped=["1.2", "2"],
    )
    for agreement in created:
        # Dimension weights never move by redistribution.
        assert dimension_totals(agreement) == ["45.0000", "15.0000", "20.0000", "20.0000"]
        kpis = list(agreement.kpis.all())
        assert sum(k.weight for k in kpis if k.parent_id is None) == Decimal("100.0000")
        assert all(k.mandatory.code in {n for n, _, _ in FULL} for k in kpis)


def test_the_units_own_kpis_are_numbered_after_the_framework_codes(fy2552):
    year, _codes, units = fy2552
    agreement = drafting.agreements_create(fiscal_year=year, units=[units["dept_all"]])[0]
    dims = list(year.dimensions.all())
    add_kpi(agreement, dims[0], "5", "ตัวชี้วัดของกรมเอง มิติ 1")
    own_3 = add_kpi(agreement, dims[2], "2", "ตัวชี้วัดของกรมเอง มิติ 3")
    add_kpi(agreement, dims[2], "1", "ตัวชี้วัดย่อยของกรม", parent=own_3)
    add_kpi(
        agreement,
        dims[0],
        "1",
        "ตัวชี้วัดย่อยของ 3.1",
        parent=KPI.objects.get(agreement=agreement, mandatory__code="3.1"),
    )
    rows = [(n, p) for n, _w, p in rows_of(agreement)]
    # Mandatory KPIs keep 1.1 … 14; the unit's own come after them in their dimension, numbered after the
    # highest code in use so no two KPIs share a number; a sub-KPI of 3.1 is 3.1.1.
    assert rows == [
        ("1", None), ("1.1", "1"), ("1.2", "1"), ("1.3", "1"), ("2", None), ("3", None), ("3.1", "3"),
        ("3.1.1", "3.1"), ("3.2", "3"), ("15", None),
        ("4", None), ("5", None), ("6", None), ("7", None),
        ("8", None), ("9", None), ("10", None), ("11", None), ("12", None), ("13", None), ("16", None),
        ("16.1", "16"),
        ("14", None),
    ]  # fmt: skip
    numbers = [n for n, _ in rows]
    assert len(numbers) == len(set(numbers))


def test_codes_sort_naturally_everywhere(fy2552, org, client_for):
    year, codes, _units = fy2552
    assert sorted(["10", "8", "1.10", "9", "1.2", "13", "1.1"], key=selectors.natural_key) == [
        "1.1", "1.2", "1.10", "8", "9", "10", "13"
    ]  # fmt: skip
    page = client_for(org.admin).get(reverse("framework_detail", args=[year.pk]))
    shown = [m.code for _d, items in page.context["groups"] for m in items]
    assert shown == [n for n, _, _ in FULL]
    html = page.content.decode()
    assert html.index('data-testid="mandatory-weight-9"') < html.index('data-testid="mandatory-weight-10"')
    assert [(r.source.code, r.target.code) for r in page.context["rules"]] == [
        ("1.2", "1.1"), ("2", "1.1"), ("2", "3"), ("3.2", "3.1")
    ]  # fmt: skip
    choices = [
        label.split(" ")[0]
        for value, label in RedistributionRuleForm(fiscal_year=year).fields["source"].choices
        if value
    ]
    assert choices == [n for n, _, _ in FULL]


def test_the_framework_page_shows_the_mandatory_weights_per_dimension(fy2552, org, client_for):
    year, _codes, _units = fy2552
    page = client_for(org.planner).get(reverse("framework_detail", args=[year.pk]))
    html = page.content.decode()
    for order, weight in [(1, "45"), (2, "15"), (3, "20"), (4, "20")]:
        assert f'data-testid="mandatory-total-{order}">{weight}<' in html
    assert 'data-testid="mandatory-total">100<' in html
    assert 'data-testid="framework-problems"' not in html


def test_a_flat_entry_of_a_parent_beside_its_children_is_flagged_before_agreements_are_made(org, client_for):
    """What the planning officer met: "1" entered flat beside 1.1–1.3, every agreement created at 120."""
    dims = {
        o: Dimension.objects.create(fiscal_year=org.year, order=o, name_th=n, weight=Decimal(w))
        for o, n, w in DIMENSIONS
    }
    for code, weight in [("1", "20"), ("1.1", "13"), ("1.2", "5"), ("1.3", "2"), ("2", "10"), ("3", "15")]:
        framework.mandatory_kpi_save(
            fiscal_year=org.year, code=code, dimension=dims[1], weight=Decimal(weight), name=f"ตัวชี้วัด {code}"
        )
    check = selectors.framework_check(org.year)
    assert [(d.order, f"{w:.4f}") for d, w, _room in check.dimensions][0] == (1, "65.0000")
    assert len(check.problems) == 1 and "65" in check.problems[0] and "45" in check.problems[0]
    client = client_for(org.admin)
    assert (
        'data-testid="framework-problems"'
        in client.get(reverse("framework_detail", args=[org.year.pk])).content.decode()
    )
    # The year's agreements page warns before anyone presses "create".
    page = client.get(reverse("year_agreements", args=[org.year.pk]))
    warnings = [str(m) for m in page.context["messages"]]
    assert any("65" in w for w in warnings)


def test_a_sub_kpi_is_numbered_under_its_parent_and_takes_its_dimension(org):
    dims = {
        o: Dimension.objects.create(fiscal_year=org.year, order=o, name_th=n, weight=Decimal(w))
        for o, n, w in DIMENSIONS
    }
    parent = framework.mandatory_kpi_save(
        fiscal_year=org.year, code="3", dimension=dims[1], weight=Decimal("15"), name="3"
    )
    with pytest.raises(ValidationError) as exc:
        framework.mandatory_kpi_save(
            fiscal_year=org.year, code="4.1", parent=parent, dimension=dims[1], weight=Decimal("10"), name="x"
        )
    assert "code" in exc.value.error_dict
    child = framework.mandatory_kpi_save(
        fiscal_year=org.year, code="3.1", parent=parent, dimension=dims[2], weight=Decimal("10"), name="3.1"
    )
    assert child.dimension == dims[1]
    parent.refresh_from_db()
    assert parent.weight == Decimal("10.0000")
    # A weight given for a parent is its sub-KPIs' sum all the same.
    parent = framework.mandatory_kpi_save(
        fiscal_year=org.year, mandatory=parent, code="3", dimension=dims[1], weight=Decimal("99"), name="3"
    )
    assert parent.weight == Decimal("10.0000")
    with pytest.raises(ValidationError) as exc:  # no cycles
        framework.mandatory_kpi_save(
            fiscal_year=org.year, mandatory=parent, code="3", parent=child, dimension=dims[1], name="3"
        )
    assert "parent" in exc.value.error_dict


def test_rules_stay_in_their_dimension_and_may_target_a_parent(fy2552):
    year, codes, _units = fy2552
    with pytest.raises(ValidationError) as exc:
        framework.redistribution_rule_add(fiscal_year=year, source=codes["5"], target=codes["8"])
    assert "target" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:  # into its own sub-KPIs
        framework.redistribution_rule_add(fiscal_year=year, source=codes["3"], target=codes["3.1"])
    assert "target" in exc.value.error_dict
    assert RedistributionRule.objects.filter(fiscal_year=year).count() == 4


def test_a_sub_kpi_lighter_than_what_its_parents_rules_move_is_refused(fy2552):
    year, codes, _units = fy2552
    rule = RedistributionRule.objects.get(source=codes["1.2"])
    framework.redistribution_rule_remove(rule=rule)
    framework.redistribution_rule_add(
        fiscal_year=year, source=codes["1"], target=codes["2"], amount=Decimal("19")
    )
    with pytest.raises(ValidationError):
        framework.mandatory_kpi_save(
            fiscal_year=year, mandatory=codes["1.3"], code="1.3", dimension=codes["1.3"].dimension,
            weight=Decimal("0.5"), name="1.3",
        )  # fmt: skip
    assert MandatoryKPI.objects.get(pk=codes["1"].pk).weight == Decimal("20.0000")


def test_deleting_a_parent_names_and_deletes_its_sub_kpis_and_rules(fy2552, org, client_for):
    year, codes, _units = fy2552
    client = client_for(org.admin)
    page = client.get(reverse("mandatory_kpi_edit", args=[year.pk, codes["3"].pk]))
    question = page.context["deletion"]["question"]
    assert "3.1, 3.2" in question and "3.2 → 3.1" in question and "2 → 3" in question
    assert f'data-confirm="{question}"' in page.content.decode()
    client.post(reverse("mandatory_kpi_delete", args=[year.pk, codes["3"].pk]))
    assert sorted(
        MandatoryKPI.objects.filter(fiscal_year=year).values_list("code", flat=True),
        key=selectors.natural_key,
    ) == [n for n, _, _ in FULL if n not in ("3", "3.1", "3.2")]
    assert not RedistributionRule.objects.filter(target__code="3").exists()
    # Deleting a sub-KPI: its parent weighs what the others weigh.
    client.post(reverse("mandatory_kpi_delete", args=[year.pk, codes["1.3"].pk]))
    assert MandatoryKPI.objects.get(pk=codes["1"].pk).weight == Decimal("18.0000")


def test_a_parent_carried_by_agreements_is_not_deleted(fy2552, org, client_for):
    year, codes, units = fy2552
    drafting.agreements_create(fiscal_year=year, units=[units["dept_all"]])
    page = client_for(org.admin).get(reverse("mandatory_kpi_edit", args=[year.pk, codes["1"].pk]))
    assert page.context["deletion"]["agreements"] == 1
    with pytest.raises(ValidationError):
        framework.mandatory_kpi_delete(mandatory=codes["1"])
    assert MandatoryKPI.objects.filter(pk=codes["1.1"].pk).exists()


def test_the_framework_is_copied_with_its_nesting(fy2552, org):
    year, codes, _units = fy2552
    nxt = fiscal_year_create(be_year=2553)
    framework.framework_copy_previous(fiscal_year=nxt)
    copies = {m.code: m for m in nxt.mandatory_kpis.select_related("parent")}
    assert copies["1.2"].parent == copies["1"] and copies["3.1"].parent == copies["3"]
    assert copies["1"].weight == Decimal("20.0000")
    assert sorted((r.source.code, r.target.code) for r in nxt.redistribution_rules.all()) == sorted(
        (s, t) for s, t, _ in RULES
    )


def test_the_dimension_form_offers_a_new_framework_its_rows_in_one_save(org, client_for):
    client = client_for(org.admin)
    formset = client.get(reverse("framework_detail", args=[org.year.pk])).context["formset"]
    assert len(formset.forms) == 4  # a new framework: the four dimensions of §4 in one save
    Dimension.objects.create(fiscal_year=org.year, order=1, name_th="ก", weight=Decimal(100))
    assert len(client.get(reverse("framework_detail", args=[org.year.pk])).context["formset"].forms) == 2
    more = client.get(reverse("framework_detail", args=[org.year.pk]) + "?rows=3").context["formset"]
    assert len(more.forms) == 4
