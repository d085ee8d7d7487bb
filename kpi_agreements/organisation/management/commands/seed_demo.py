"""Build a realistic demo organisation from the source documents; safe to run again."""

import zlib
from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.fiscal.services import fiscal_year_create, fiscal_year_make_current
from kpi_agreements.organisation import services
from kpi_agreements.organisation.models import (
    Committee,
    CommitteeMember,
    Person,
    Resolution,
    Role,
    RoleAssignment,
    Unit,
    UnitType,
)

DEMO_PASSWORD = "kpi-demo-2570"

UNIT_TYPES = [
    ("ministry", "กระทรวง", "Ministry"),
    ("mission_group", "กลุ่มภารกิจ", "Mission group"),
    ("department", "กรม / ส่วนราชการระดับกรม", "Department"),
    ("bureau", "สำนัก / กอง", "Bureau or division"),
    ("area_office", "สำนักงานเขตพื้นที่การศึกษา", "Education service area office"),
    ("group", "กลุ่มงาน", "Group"),
    ("police", "สำนักงานตำรวจแห่งชาติ", "Royal Thai Police"),
    ("command", "กองบัญชาการหรือเทียบเท่า", "Command"),
    ("police_division", "กองบังคับการหรือเทียบเท่า", "Police division"),
]

# (abbreviation, Thai name, English name, type, children)
TREE = [
    (
        "ทส.",
        "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        "Ministry of Natural Resources and Environment",
        "ministry",
        [
            (
                "กภ.สว.",
                "กลุ่มภารกิจด้านสิ่งแวดล้อม",
                "Environment Mission Group",
                "mission_group",
                [
                    (
                        "สผ.",
                        "สำนักงานนโยบายและแผนทรัพยากรธรรมชาติและสิ่งแวดล้อม",
                        "Office of Natural Resources and Environmental Policy and Planning",
                        "department",
                        [
                            ("สบก.", "สำนักบริหารกลาง", "Bureau of General Administration", "bureau", []),
                            (
                                "กตป.",
                                "กองติดตามและประเมินผล",
                                "Monitoring and Evaluation Division",
                                "bureau",
                                [],
                            ),
                            (
                                "สวผ.",
                                "สำนักวิเคราะห์ผลกระทบสิ่งแวดล้อม",
                                "Environmental Impact Evaluation Bureau",
                                "bureau",
                                [],
                            ),
                        ],
                    ),
                    (
                        "คพ.",
                        "กรมควบคุมมลพิษ",
                        "Pollution Control Department",
                        "department",
                        [
                            ("สจน.", "สำนักจัดการคุณภาพน้ำ", "Water Quality Management Bureau", "bureau", []),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "สพม.13",
        "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 13",
        "Secondary Educational Service Area Office 13",
        "area_office",
        [
            ("กอก.", "กลุ่มอำนวยการ", "Administration Group", "group", []),
            ("กนผ.", "กลุ่มนโยบายและแผน", "Policy and Planning Group", "group", []),
            ("กบค.", "กลุ่มบริหารงานบุคคล", "Personnel Administration Group", "group", []),
            ("กคส.", "กลุ่มบริหารงานการเงินและสินทรัพย์", "Finance and Assets Group", "group", []),
            ("กสจ.", "กลุ่มส่งเสริมการจัดการศึกษา", "Education Promotion Group", "group", []),
            (
                "กนต.",
                "กลุ่มนิเทศติดตามและประเมินผลการจัดการศึกษา",
                "Supervision, Monitoring and Evaluation Group",
                "group",
                [],
            ),
        ],
    ),
    (
        "ตร.",
        "สำนักงานตำรวจแห่งชาติ",
        "Royal Thai Police",
        "police",
        [
            (
                "สตม.",
                "สำนักงานตรวจคนเข้าเมือง",
                "Immigration Bureau",
                "command",
                [
                    ("บก.ตม.1", "กองบังคับการตรวจคนเข้าเมือง 1", "Immigration Division 1", "police_division", []),
                    ("บก.ตม.2", "กองบังคับการตรวจคนเข้าเมือง 2", "Immigration Division 2", "police_division", []),
                    ("บก.ตม.3", "กองบังคับการตรวจคนเข้าเมือง 3", "Immigration Division 3", "police_division", []),
                ],
            ),
        ],
    ),
]

# username, title, first, last, position, roles [(role, unit abbreviation)], heads (unit abbreviations)
PEOPLE = [
    (
        "admin",
        "นาย",
        "สมชาย",
        "ผู้ดูแลระบบ",
        "นักวิชาการคอมพิวเตอร์ชำนาญการ",
        [(Role.ADMIN, "ทส."), (Role.ADMIN, "สพม.13"), (Role.ADMIN, "ตร.")],
        [],
    ),
    (
        "planner",
        "นางสาว",
        "วิภาวดี",
        "วางแผนดี",
        "นักวิเคราะห์นโยบายและแผนชำนาญการพิเศษ",
        [(Role.PLANNING, "ทส.")],
        [],
    ),
    (
        "director",
        "นาย",
        "วิชัย",
        "รักษ์สิ่งแวดล้อม",
        "เลขาธิการสำนักงานนโยบายและแผนทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        [(Role.UNIT_HEAD, "สผ.")],
        ["สผ."],
    ),
    ("head", "นาย", "ประเสริฐ", "บริหารกลาง", "ผู้อำนวยการสำนักบริหารกลาง", [(Role.UNIT_HEAD, "สบก.")], ["สบก."]),
    (
        "supervisor",
        "นาง",
        "กาญจนา",
        "กำกับงาน",
        "ผู้อำนวยการกองติดตามและประเมินผล",
        [(Role.KPI_SUPERVISOR, "กตป.")],
        [],
    ),
    (
        "collector",
        "นาย",
        "ธนพล",
        "เก็บข้อมูล",
        "นักวิเคราะห์นโยบายและแผนปฏิบัติการ",
        [(Role.DATA_COLLECTOR, "กตป.")],
        [],
    ),
    (
        "executive",
        "ดร.",
        "อรุณี",
        "ผู้บริหาร",
        "รองปลัดกระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        [(Role.EXECUTIVE, "ทส.")],
        [],
    ),
    (
        "permsec",
        "นาย",
        "ชาติชาย",
        "พิทักษ์ป่า",
        "ปลัดกระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        [(Role.UNIT_HEAD, "ทส.")],
        ["ทส."],
    ),
    ("committee", "ศาสตราจารย์", "สุรชัย", "เจรจาดี", "ผู้ทรงคุณวุฒิ กรรมการเจรจาข้อตกลง", [], []),
]


class Command(BaseCommand):
    help = "Create the demo organisation, fiscal years, a committee and one user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        types = {}
        for code, th, en in UNIT_TYPES:
            types[code], _ = UnitType.objects.update_or_create(
                code=code, defaults={"name_th": th, "name_en": en}
            )
        units = {}

        def build(nodes, parent):
            for abbr, th, en, kind, children in nodes:
                unit = Unit.objects.filter(parent=parent, abbreviation=abbr).first()
                if unit is None:
                    unit = services.unit_create(
                        parent=parent, abbreviation=abbr, name_th=th, name_en=en, unit_type=types[kind]
                    )
                units[abbr] = unit
                build(children, unit)

        build(TREE, None)

        people = {}
        for username, title, first, last, position, roles, heads in PEOPLE:
            person, created = Person.objects.get_or_create(
                username=username,
                defaults={
                    "title": title,
                    "first_name": first,
                    "last_name": last,
                    "position": position,
                    "email": f"{username}@demo.kpi.go.th",
                    "office": "02-265-6500",
                    "mobile": f"08{zlib.crc32(username.encode()) % 10**8:08d}",
                },
            )
            if created:
                person.set_password(DEMO_PASSWORD)
                person.save()
            for role, abbr in roles:
                RoleAssignment.objects.get_or_create(person=person, unit=units[abbr], role=role)
            for abbr in heads:
                unit = Unit.objects.get(pk=units[abbr].pk)
                unit.head = person
                unit.save(update_fields=["head"])
            people[username] = person

        today = date.today()
        current_be = (today.year + 1 if today.month >= 10 else today.year) + 543
        for be in (current_be - 1, current_be):
            if not FiscalYear.objects.filter(be_year=be).exists():
                fiscal_year_create(be_year=be)
        year = FiscalYear.objects.get(be_year=current_be)
        fiscal_year_make_current(fiscal_year=year)

        committee, created = Committee.objects.get_or_create(
            name=f"คณะกรรมการเจรจาข้อตกลงและประเมินผล สผ. ประจำปีงบประมาณ พ.ศ. {current_be}",
            defaults={"kind": Committee.Kind.NEGOTIATION, "fiscal_year": year, "unit": units["สผ."]},
        )
        committee.units_covered.set([units["สบก."], units["กตป."], units["สวผ."]])
        for username, position in [("committee", "chair"), ("executive", "member"), ("planner", "secretary")]:
            CommitteeMember.objects.get_or_create(
                committee=committee, person=people[username], defaults={"position": position}
            )
        Resolution.objects.get_or_create(
            committee=committee,
            number=f"1/{current_be}",
            defaults={
                "date": year.start,
                "text": "เห็นชอบกรอบการประเมินผลการปฏิบัติราชการประจำปี",
                "recorded_by": people["planner"],
            },
        )
        seed_agreements(year, units, people)
        from kpi_agreements.reporting.demo import seed_reporting

        seed_reporting(
            year, FiscalYear.objects.get(be_year=current_be - 1), units, people, DEMO_KPIS, TEMPLATE
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {Unit.objects.count()} units, {year}."))


QUANT = {"thresholds": ["70", "75", "80", "85", "90"], "direction": "higher"}
TEMPLATE = {
    "unit_of_measure": "ร้อยละ",
    "description": "ร้อยละของงานที่ดำเนินการแล้วเสร็จตามแผน",
    "formula": "(จำนวนงานที่แล้วเสร็จ / จำนวนงานตามแผน) × 100",
    "data_source": "รายงานผลการดำเนินงาน",
    "collection_method": "รวบรวมรายไตรมาส",
}
DEMO_KPIS = [
    # (dimension order, name, weight, method, criteria)
    (1, "ร้อยละความสำเร็จของการจัดทำแผนปฏิบัติราชการ", "25", "quantitative", QUANT),
    (
        1,
        "ระดับความสำเร็จของการพัฒนาระบบติดตามและประเมินผล",
        "20",
        "milestone",
        {
            "levels": [
                ["แต่งตั้งคณะทำงาน"],
                ["จัดทำกรอบแนวทาง"],
                ["พัฒนาระบบ"],
                ["ทดลองใช้ระบบ"],
                ["ประเมินผลและปรับปรุง"],
            ]
        },
    ),
    (
        2,
        "ร้อยละความพึงพอใจของผู้รับบริการ",
        "15",
        "multi_quantitative",
        {
            "measures": [
                {
                    "name": "ความพึงพอใจต่อกระบวนการ",
                    "weight": "50",
                    "thresholds": ["60", "65", "70", "75", "80"],
                },
                {"name": "ความพึงพอใจต่อเจ้าหน้าที่", "weight": "50", "thresholds": ["60", "65", "70", "75", "80"]},
            ]
        },
    ),
    (
        3,
        "การจัดซื้อจัดจ้างผ่านระบบอิเล็กทรอนิกส์ครบถ้วน",
        "15",
        "pass_fail",
        {"condition": "จัดซื้อจัดจ้างผ่านระบบ e-GP ครบทุกรายการ"},
    ),
    (
        4,
        "ระดับคุณภาพของการบริหารความเสี่ยง",
        "20",
        "qualitative",
        {
            "levels": [
                "มีแผนบริหารความเสี่ยง",
                "ดำเนินการตามแผน",
                "ติดตามผลครบถ้วน",
                "ประเมินผลและทบทวน",
                "เป็นแบบอย่างที่ดี",
            ]
        },
    ),
]


def seed_agreements(year, units, people):
    """The FY2552 framework shape (DOMAIN §4) and drafts for สผ. and its bureaus, one filled in."""
    from kpi_agreements.agreements.models import KPI, Agreement, Dimension, MandatoryKPI
    from kpi_agreements.agreements.services import drafting

    if not year.dimensions.exists():
        for order, name, en, weight in [
            (1, "มิติด้านประสิทธิผล", "Effectiveness", 45),
            (2, "มิติด้านคุณภาพการให้บริการ", "Quality of service", 15),
            (3, "มิติด้านประสิทธิภาพ", "Efficiency", 20),
            (4, "มิติด้านการพัฒนาองค์กร", "Organisational development", 20),
        ]:
            Dimension.objects.create(fiscal_year=year, order=order, name_th=name, name_en=en, weight=weight)
    if not year.mandatory_kpis.exists():
        # A mandatory KPI of every agreement (DOMAIN §4), with its standard template.
        MandatoryKPI.objects.create(
            fiscal_year=year,
            dimension=year.dimensions.get(order=3),
            code="3.1",
            weight=5,
            name="ร้อยละของการเบิกจ่ายงบประมาณรายจ่ายภาพรวม",
            method="quantitative",
            criteria={"thresholds": ["92", "93", "94", "95", "96"], "direction": "higher"},
            unit_of_measure="ร้อยละ",
            description="ร้อยละของงบประมาณที่เบิกจ่ายได้เทียบกับงบประมาณที่ได้รับจัดสรร",
            formula="(งบประมาณที่เบิกจ่าย / งบประมาณที่ได้รับจัดสรร) × 100",
            data_source="ระบบ GFMIS",
            collection_method="รวบรวมจากระบบ GFMIS ณ สิ้นปีงบประมาณ",
        )
    scope = [units[a] for a in ("สผ.", "สบก.", "กตป.", "สวผ.")]
    drafting.agreements_create(fiscal_year=year, units=scope)
    agreement = Agreement.objects.get(fiscal_year=year, unit=units["สบก."])
    if agreement.kpis.filter(mandatory__isnull=True).exists():
        return
    for kpi in agreement.kpis.filter(mandatory__isnull=False):
        kpi.supervisor, kpi.collector = people["supervisor"], people["collector"]
        kpi.save()
    dimensions = {d.order: d for d in year.dimensions.all()}
    drafting.agreement_update(
        agreement=agreement,
        vision="องค์กรหลักด้านการบริหารจัดการที่มีประสิทธิภาพ",
        mission="สนับสนุนการบริหารงานของสำนักงานให้บรรลุเป้าหมาย",
    )
    for position, (order, name, weight, method, criteria) in enumerate(DEMO_KPIS, start=1):
        KPI.objects.create(
            agreement=agreement,
            dimension=dimensions[order],
            name=name,
            weight=weight,
            method=method,
            criteria=criteria,
            supervisor=people["supervisor"],
            collector=people["collector"],
            order=position,
            **TEMPLATE,
        )
