"""What the API answers, field by field (the OpenAPI schema is generated from these).

Every decimal (weights, scores, totals, penalties, thresholds) is a string with 4 places ("3.4500"), so no
client reads one through a float; dates and times are ISO 8601; named things carry their Thai and English
names. Criteria are the scoring engine's document (docs/scoring.md) with its numbers given the same way.
"""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

Decimal4 = str  # "3.4500": a decimal with 4 places, as a string


class UnitTypeOut(Schema):
    code: str
    name_th: str
    name_en: str


class UnitRef(Schema):
    id: int
    name_th: str
    name_en: str
    abbreviation: str


class UnitOut(UnitRef):
    unit_type: UnitTypeOut
    parent_id: int | None
    level: int = Field(description="Depth in the organisation tree; a root unit is 1.")
    is_active: bool


class YearOut(Schema):
    be_year: int = Field(description="The Buddhist-Era year in which the fiscal year ends.")
    name_th: str
    name_en: str
    start: date
    end: date
    is_current: bool


class MilestoneOut(Schema):
    kind: str
    name_th: str
    name_en: str
    start_date: date | None
    due_date: date
    effective_due_date: date = Field(description="The due date moved to the next working day (DOMAIN §3).")


class HolidayOut(Schema):
    date: date
    name: str


class YearDetail(YearOut):
    milestones: list[MilestoneOut]
    holidays: list[HolidayOut]
    scoring_policy: dict[str, Any]


class DimensionOut(Schema):
    id: int
    order: int
    name_th: str
    name_en: str
    weight: Decimal4


class MandatoryOut(Schema):
    id: int
    code: str
    parent_code: str | None
    dimension_id: int
    name: str
    unit_of_measure: str
    weight: Decimal4
    method: str
    direction: str
    criteria: dict[str, Any]
    unit_types: list[str] = Field(description="Codes of the unit types it applies to.")


class RuleOut(Schema):
    source_code: str
    target_code: str
    amount: Decimal4 | None = Field(description="None: all of the source's weight.")


class FrameworkOut(Schema):
    be_year: int
    dimensions: list[DimensionOut]
    mandatory_kpis: list[MandatoryOut]
    redistribution_rules: list[RuleOut]


class AgreementOut(Schema):
    id: int
    be_year: int
    unit: UnitRef
    status: str = Field(description="draft, submitted, revision, approved or signed.")
    version: int


class PartyOut(Schema):
    role: str = Field(description="pledgor, recipient or co_signer.")
    name: str
    position: str
    signed_at: datetime | None


class PersonRef(Schema):
    id: int
    name: str


class KpiOut(Schema):
    id: int
    number: str = Field(description="The KPI's number in the agreement: 1, 1.1, 3.2 …")
    parent_id: int | None
    dimension_id: int
    name: str
    unit_of_measure: str
    weight: Decimal4
    method: str
    direction: str
    criteria: dict[str, Any]
    baseline: list[Any]
    description: str
    formula: str
    conditions: str
    data_source: str
    collection_method: str
    mandatory_code: str | None
    cancelled_from_round: int | None


class PrivateKpiOut(KpiOut):
    supervisor: PersonRef | None
    collector: PersonRef | None


class AgreementDetail(AgreementOut):
    vision: str
    mission: str
    strategic_issues: str
    goals: str
    strategies: str
    parties: list[PartyOut]
    kpis: list[PrivateKpiOut]


class ReportOut(Schema):
    id: int
    be_year: int
    round: int = Field(description="6, 9 or 12 (months).")
    unit: UnitRef
    agreement_id: int
    version: int
    status: str = Field(description="draft, submitted, returned, resubmitted or verified.")
    submitted_at: datetime | None
    verified_at: datetime | None
    days_late: int
    penalty: Decimal4
    self_total: Decimal4 | None
    verified_total: Decimal4 | None
    flags: list[str]


class ItemOut(Schema):
    id: int
    kpi_id: int
    code: str
    parent_code: str | None
    is_leaf: bool
    dimension_id: int
    name: str
    unit_of_measure: str
    weight: Decimal4
    method: str
    criteria: dict[str, Any]
    later_round: bool
    later_reason: str
    result: Any = Field(description="The unit's result in the method's shape; null: not entered.")
    narrative: str
    obstacles: str
    obstacles_external: bool
    suggestions: str
    self_score: Decimal4 | None
    verified_result: Any
    verified_score: Decimal4 | None
    verifier_note: str
    flags: list[str]


class ReportDetail(ReportOut):
    items: list[ItemOut]


class CardKpiOut(Schema):
    code: str
    weight: Decimal4 | None
    score: Decimal4 | None
    weighted: Decimal4 | None
    missing: bool


class CardDimensionOut(Schema):
    dimension_id: int
    name_th: str
    name_en: str
    weight: Decimal4 | None
    score: Decimal4 | None
    weighted: Decimal4 | None


class CardOut(Schema):
    kpis: list[CardKpiOut]
    dimensions: list[CardDimensionOut]
    subtotal: Decimal4
    penalty: Decimal4
    total: Decimal4


class CardsOut(Schema):
    report_id: int
    status: str
    self_assessed: CardOut | None = Field(description="The stored self-assessed e-SAR card.")
    verified: CardOut | None = Field(description="The stored verified card (null until verification began).")


class DimensionScoreOut(Schema):
    dimension_id: int
    score: Decimal4 | None


class ScorecardRowOut(Schema):
    unit: UnitRef
    level: int
    report_id: int | None
    status: str = Field(description="The report's status; empty when the unit has no report.")
    missing: str = Field(
        description="no_agreement, not_signed or no_report when there is no report; else empty."
    )
    basis: str = Field(description="self or verified: the card the figures come from.")
    not_verified: bool = Field(
        description="Verified figures asked, report not verified: self-assessed shown."
    )
    total: Decimal4 | None
    penalty: Decimal4 | None
    days_late: int
    dimensions: list[DimensionScoreOut]
    rank: int | None
    eligible: bool
    flags: list[str]


# --- public -------------------------------------------------------------------------------------------


class PublicYearOut(YearOut):
    verified_totals: bool = Field(description="Whether the year's verified 12-month results are public.")


class PublicYearDetail(PublicYearOut):
    dimensions: list[DimensionOut]
    mandatory_kpis: list[MandatoryOut]


class PublicAgreementOut(Schema):
    id: int
    be_year: int
    unit: UnitRef
    version: int


class SignatureOut(Schema):
    role: str
    name: str
    position: str
    signed_at: datetime | None


class PublicAgreementDetail(PublicAgreementOut):
    signatures: list[SignatureOut]
    kpis: list[KpiOut]
    pdf: str | None = Field(
        description="Path of the signed agreement's public PDF; null while it is not ready."
    )


class PublicResultOut(Schema):
    unit: UnitRef
    agreement_id: int
    total: Decimal4 | None
    dimensions: list[DimensionScoreOut]


class PublicUnitOut(UnitRef):
    unit_type: UnitTypeOut
    years: list[int] = Field(description="The fiscal years (B.E.) whose agreement is public.")


class ErrorOut(Schema):
    detail: str
