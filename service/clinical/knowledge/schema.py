"""The shape of the knowledge files, checked when they load.

Every model forbids unknown keys, so a misspelt field in a YAML file stops the service at
start-up instead of silently meaning nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IndicatorName = Literal["info", "warning", "critical"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# manifest.yaml ---------------------------------------------------------------------------


class Leaflet(_Data):
    file: str
    title: str
    product: str
    holder: str
    document: str


class Change(_Data):
    version: str
    date: str
    summary: str


class Manifest(_Data):
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    released: str
    rule_code_system: str
    card_source_label: str
    changes: list[Change] = Field(min_length=1)
    leaflets: dict[str, Leaflet]
    conflicts: dict[str, str]
    research: dict[str, str]
    references: dict[str, str]

    @model_validator(mode="after")
    def _latest_change_is_this_version(self) -> Manifest:
        if self.changes[0].version != self.version:
            raise ValueError("the first entry of `changes` must describe the current version")
        return self


# rules.yaml ------------------------------------------------------------------------------


class OverrideReasonData(_Data):
    system: str
    display: str


# What a rule's ``when_fired_silences`` may name: a mark some rules carry.
SilenceMark = Literal["needs_trusted_dose"]


class RuleData(_Data):
    fires_when: str
    title: str
    indicator: IndicatorName | None = None
    indicators: list[IndicatorName] | None = None
    sources: list[str] = Field(min_length=1)
    dose_change: bool = False
    needs_trusted_dose: bool = False
    # When this rule fires for an order, the findings of the rules that carry this mark are
    # left out on the same order (texts.silences says why, for --explain).
    when_fired_silences: SilenceMark | None = None
    silenced_by_critical: bool = False
    # A critical card of this rule is a contraindication: no titration or dose increase is
    # suggested anywhere in the same answer (decreases still are).
    blocks_increases: bool = False
    summary: str | dict[str, str]
    why: str
    override_reasons: list[str] = Field(default_factory=list)
    # Further sentences of the card detail (notes, fact labels), by key; {placeholders} are
    # filled by the rule. Wording lives here, reviewed with the rest of the rule.
    texts: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_way_to_say_severity(self) -> RuleData:
        if (self.indicator is None) == (self.indicators is None):
            raise ValueError("give exactly one of `indicator` and `indicators`")
        return self

    @model_validator(mode="after")
    def _says_why_it_silences(self) -> RuleData:
        if self.when_fired_silences is not None and "silences" not in self.texts:
            raise ValueError("a rule with `when_fired_silences` needs `texts.silences`")
        return self

    @property
    def possible_indicators(self) -> list[IndicatorName]:
        if self.indicators is not None:
            return self.indicators
        if self.indicator is not None:
            return [self.indicator]
        # Unreachable for a rule read from a file: _one_way_to_say_severity refuses it.
        raise ValueError("give exactly one of `indicator` and `indicators`")


class RulesFile(_Data):
    override_reason_systems: dict[str, str]
    override_reasons: dict[str, OverrideReasonData]
    rules: dict[str, RuleData]


# dosing.yaml -----------------------------------------------------------------------------


class TabletStrength(_Data):
    from_daily_mg: float
    preferred_strength_mg: float


class Oral(_Data):
    max_daily_mg: float
    label_max_daily_mg: float
    start_daily_mg: float
    start_dose_mg: float
    start_frequency_per_day: int
    unit_suspect_low_mg: float
    lactose_free_product: str
    tablet_strength: TabletStrength


class Titration(_Data):
    interval_days: int
    max_step_daily_mg: float
    slow_step_daily_mg: float
    plan_target_daily_mg: float
    usual_max_daily_mg: float
    slow_variant_under_age: int


class Elderly(_Data):
    from_age: int


class CockcroftGault(_Data):
    age_from: float
    divisor: float
    female_factor: float = Field(gt=0, le=1)
    umol_per_mg_dl: float = Field(gt=0)
    label: str
    estimated_from: str


class Renal(_Data):
    recency_months: int
    contraindicated_below: float
    impaired_below: float
    impaired_cap_daily_mg: float
    contraindicated_continued_daily_mg: float
    contraindicated_continued_per_day: int = Field(ge=1, le=4)
    cockcroft_gault: CockcroftGault


class Recency(_Data):
    recency_months: int


class PediatricBand(_Data):
    from_age: int
    to_age: int
    max_daily_mg: float | None = None
    max_mg_per_kg: float | None = None
    source: str


class Pediatric(_Data):
    contraindicated_under_age: int
    caution_under_age: int
    adult_from_age: int
    critical_mg_per_kg: float
    bands: list[PediatricBand]

    @model_validator(mode="after")
    def _bands_cover_childhood(self) -> Pediatric:
        expected = 0
        for band in self.bands:
            if band.from_age != expected or band.to_age < band.from_age:
                raise ValueError(f"paediatric bands must be contiguous from 0; gap at {expected}")
            if band.max_daily_mg is None and band.max_mg_per_kg is None:
                raise ValueError(f"band from age {band.from_age} has no maximum")
            expected = band.to_age + 1
        if expected != self.adult_from_age:
            raise ValueError("paediatric bands must end where adult dosing starts")
        return self


class IntrathecalReduction(_Data):
    max_step_fraction: float = Field(gt=0, le=0.5)
    step_days: int = Field(ge=2)
    stop_at_or_below_mcg: float = Field(gt=0)


class McgRange(_Data):
    low: float
    high: float


class Intrathecal(_Data):
    warning_above_mcg: float
    warning_above_mcg_under_12: float
    critical_above_mcg: float
    unit_suspect_mg_above: float
    discontinuation_cut_fraction: float
    maintenance_mcg: McgRange
    maintenance_mcg_under_12: McgRange
    reduction: IntrathecalReduction


class Discontinuation(_Data):
    max_cut_daily_mg: float
    short_course_days: int = Field(ge=0)
    short_course_max_daily_mg: float


class Pregnancy(_Data):
    status_recency_days: int = Field(ge=1)


class Monitoring(_Data):
    recency_months: int
    renal_recency_months: int


class Deliverable(_Data):
    tablet_fraction: float = Field(gt=0, le=1)
    liquid_ml: float = Field(gt=0)
    unknown_strength_mg: float = Field(gt=0)
    intrathecal_mcg: float = Field(gt=0)
    intrathecal_small_mcg: float = Field(gt=0)
    max_doses_per_day: int = Field(ge=1, le=6)


class Schedules(_Data):
    substitute_product: str


class Taper(_Data):
    min_days: int
    min_days_long: int
    long_from_daily_mg: float
    max_days: int
    min_step_days: int
    max_step_daily_mg: float
    low_dose_below_daily_mg: float
    low_dose_step_daily_mg: float

    @model_validator(mode="after")
    def _durations_ordered(self) -> Taper:
        if not self.min_days <= self.min_days_long <= self.max_days:
            raise ValueError("taper durations must satisfy min_days <= min_days_long <= max_days")
        return self


class Dosing(_Data):
    oral: Oral
    titration: Titration
    elderly: Elderly
    renal: Renal
    weight: Recency
    monitoring: Monitoring
    pediatric: Pediatric
    intrathecal: Intrathecal
    discontinuation: Discontinuation
    pregnancy: Pregnancy
    deliverable: Deliverable
    schedules: Schedules
    taper: Taper


# medications.yaml ------------------------------------------------------------------------


class IngredientCodes(_Data):
    rxnorm: list[str]
    snomed: list[str]
    atc: list[str]


class ProductData(_Data):
    form: Literal["tablet", "liquid", "granules", "intrathecal"]
    strength_mg: float | None = None
    concentration_mg_per_ml: float | None = None
    display: str


class BaclofenData(_Data):
    ingredient_codes: IngredientCodes
    names: list[str] = Field(min_length=1)
    products: dict[str, ProductData]
    intrathecal_codes: list[str]
    intrathecal_words: list[str]
    liquid_words: list[str]
    granules_words: list[str]
    tablet_words: list[str]


class RouteData(_Data):
    snomed: list[str]
    words: list[str]


class Routes(_Data):
    intrathecal: RouteData
    oral: RouteData


class DrugClassData(_Data):
    label: str
    rule: str
    atc_prefixes: list[str] = Field(min_length=1)
    atc_exclude: list[str] = Field(default_factory=list)
    rxnorm: list[str] = Field(min_length=1)
    names: list[str] = Field(min_length=1)


class MedicationsFile(_Data):
    systems: dict[str, str]
    baclofen: BaclofenData
    routes: Routes
    interacting_classes: dict[str, DrugClassData]


# conditions.yaml -------------------------------------------------------------------------


class ValueSetData(_Data):
    label: str  # how a card names a condition recorded by code alone
    scope: Literal["active", "history", "any"]
    icd10cm: list[str] = Field(default_factory=list)
    exclude_icd10cm: list[str] = Field(default_factory=list)
    history_icd10cm: list[str] = Field(default_factory=list)
    snomed: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    exclude_words: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> ValueSetData:
        if not (self.icd10cm and self.snomed and self.words):
            raise ValueError("a value set lists ICD-10-CM prefixes, SNOMED codes and words")
        return self


class ConditionsFile(_Data):
    systems: dict[str, list[str]]
    negations: list[str]
    value_sets: dict[str, ValueSetData]


# observations.yaml -----------------------------------------------------------------------


class AnswerSet(_Data):
    codes: list[str]
    words: list[str]


class OrderableData(_Data):
    code: str
    display: str


class ObservationsFile(_Data):
    loinc_system: str
    body_weight: list[str] = Field(min_length=1)
    creatinine_clearance: list[str] = Field(min_length=1)
    creatinine_mg_dl: list[str] = Field(min_length=1)
    creatinine_umol_l: list[str] = Field(min_length=1)
    egfr: list[str] = Field(min_length=1)
    hepatic_panel: list[str] = Field(min_length=1)
    glucose: list[str] = Field(min_length=1)
    pregnancy_status: list[str] = Field(min_length=1)
    lactation_status: list[str] = Field(min_length=1)
    pregnant_answers: AnswerSet
    not_pregnant_answers: AnswerSet
    breastfeeding_answers: AnswerSet
    not_breastfeeding_answers: AnswerSet
    orders: dict[str, OrderableData]


# wording.yaml ----------------------------------------------------------------------------


class WordingFile(_Data):
    texts: dict[str, str]


# counselling.yaml ------------------------------------------------------------------------


class CounsellingLine(_Data):
    text: str
    sources: list[str] = Field(min_length=1)


class ProductName(_Data):
    """How the schedule page names a product: ``{amount}`` is its strength or concentration."""

    with_amount: str
    without_amount: str


class ProductNames(_Data):
    tablet: ProductName
    granules: ProductName
    liquid: ProductName  # {amount} in mg/mL
    intrathecal: ProductName  # {amount} in mcg/mL
    unknown: ProductName


class WithdrawalWarning(_Data):
    """The "seek help if..." box of a taper or reduction page: the signs the cards name."""

    lead: str
    signs: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


class WithdrawalWarnings(_Data):
    oral: WithdrawalWarning
    intrathecal: WithdrawalWarning


class CounsellingFile(_Data):
    patient_instruction: list[CounsellingLine] = Field(min_length=1)
    product_names: ProductNames
    withdrawal_warning: WithdrawalWarnings
