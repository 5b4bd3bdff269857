"""Load the knowledge files, check them against each other, and compile the lookups.

Loading happens once at start-up. Anything wrong (a YAML syntax error, an unknown key, a rule
that cites a source nobody defined) raises ``KnowledgeError`` with the file and the place, and
the service refuses to start: a half-loaded rule base would give wrong advice silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from service.clinical.knowledge.schema import (
    ConditionsFile,
    CounsellingFile,
    Dosing,
    DrugClassData,
    Manifest,
    MedicationsFile,
    ObservationsFile,
    RuleData,
    RulesFile,
    ValueSetData,
    WordingFile,
)
from service.clinical.text import BoundedPattern
from service.clinical.wording import number

KNOWLEDGE_DIR = Path(__file__).parent

_Model = TypeVar("_Model", bound=BaseModel)
_Value = TypeVar("_Value")
_MISSING = object()
_MEMO_LIMIT = 50_000


class KnowledgeError(RuntimeError):
    """The knowledge files are unusable; the message says which file and what is wrong."""


def word_pattern(words: Iterable[str]) -> BoundedPattern | None:
    """A case-insensitive pattern matching any of ``words`` as whole words or phrases.

    Literal alternatives between look-arounds: linear in the text, which is bounded as well.
    """
    alternatives = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    body = "|".join(re.escape(word) for word in alternatives)
    return BoundedPattern.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])", re.IGNORECASE)


def normalise_icd(code: str) -> str:
    return code.replace(".", "").replace(" ", "").upper()


@dataclass(frozen=True)
class PhraseIndex:
    """Which groups (value sets, drug classes) the phrases found in a text belong to."""

    pattern: BoundedPattern | None
    groups: Mapping[str, frozenset[str]]  # lower-cased phrase -> group names

    @classmethod
    def of(cls, words_by_group: Mapping[str, Iterable[str]]) -> PhraseIndex:
        groups: dict[str, set[str]] = {}
        for group, words in words_by_group.items():
            for word in words:
                groups.setdefault(word.strip().lower(), set()).add(group)
        return cls(word_pattern(groups), {w: frozenset(g) for w, g in groups.items()})

    def find(self, text: str) -> dict[str, str]:
        """group -> the first phrase of that group found in ``text``."""
        found: dict[str, str] = {}
        if self.pattern is None:
            return found
        for match in self.pattern.finditer(text):
            phrase = match.group(0).lower()
            for group in self.groups.get(phrase, ()):
                found.setdefault(group, phrase)
        return found


@dataclass(frozen=True)
class CompiledValueSet:
    """A value set's codes, normalised; its words are matched by ``Knowledge.condition_words``
    and its ICD-10-CM prefixes looked up through ``Knowledge.icd_index``."""

    name: str
    scope: str
    icd_prefixes: tuple[str, ...]
    icd_exclude: tuple[str, ...]
    icd_history: tuple[str, ...]
    snomed: frozenset[str]
    exclude_words: BoundedPattern | None


@dataclass(frozen=True)
class CompiledDrugClass:
    """An interacting class's codes; its names are matched by ``Knowledge.drug_class_words``."""

    name: str
    rule: str
    atc_prefixes: tuple[str, ...]
    atc_exclude: tuple[str, ...]
    rxnorm: frozenset[str]

    def matches_atc(self, code: str) -> bool:
        upper = code.strip().upper()
        if any(upper.startswith(prefix) for prefix in self.atc_exclude):
            return False
        return any(upper.startswith(prefix) for prefix in self.atc_prefixes)


@dataclass(frozen=True)
class Knowledge:
    """Everything the clinical core knows, validated, with its lookups compiled."""

    manifest: Manifest
    rules_file: RulesFile
    dosing: Dosing
    medications: MedicationsFile
    conditions: ConditionsFile
    observations: ObservationsFile
    counselling: CounsellingFile
    wording: WordingFile
    value_sets: Mapping[str, CompiledValueSet] = field(repr=False)
    drug_classes: tuple[CompiledDrugClass, ...] = field(repr=False)
    negations: BoundedPattern | None = field(repr=False)

    # sha256 of the knowledge files and the clinical code this knowledge was loaded with.
    content_hash: str = ""

    @property
    def release(self) -> str:
        """The reviewed release of the knowledge (manifest.yaml), bumped by hand."""
        return self.manifest.version

    @property
    def version(self) -> str:
        """What every card and every stored piece of advice carries: the release and the first
        digits of the content hash, so that two engines whose knowledge or clinical code differ
        in any way never issue cards that cannot be told apart."""
        return f"{self.release}+{self.content_hash[:10]}" if self.content_hash else self.release

    def memo(self, kind: str, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """``compute()``, remembered for ``(kind, key)``: for pure classifications of codes
        that recur across patients. Bounded: the memo is cleared when it grows too large."""
        memo = self._memo
        found = memo.get((kind, key), _MISSING)
        if found is _MISSING:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            found = memo[(kind, key)] = compute()
        return cast(_Value, found)

    def forget(self) -> None:
        """Empty the memo (benchmarks measure the cold path with it)."""
        self._memo.clear()

    @cached_property
    def _memo(self) -> dict[tuple[str, Hashable], object]:
        return {}

    def rule(self, code: str) -> RuleData:
        try:
            return self.rules_file.rules[code]
        except KeyError:
            raise KnowledgeError(f"rule code {code!r} is not in rules.yaml") from None

    def render(self, template: str, **values: object) -> str:
        """A template of the knowledge files, filled with ``values`` and with the numbers of
        dosing.yaml (``{dosing.oral.max_daily_mg}``), so that a card never quotes a number
        the knowledge no longer holds."""
        return template.format(dosing=_Numbers(self.dosing), bands=self.band_text, **values)

    @cached_property
    def band_text(self) -> str:
        """The paediatric bands as a card reads them: 'age 1: 20 mg/day; 2-5: 30 mg/day...'."""
        parts = []
        for band in self.dosing.pediatric.bands:
            ages = (
                str(band.to_age)
                if band.from_age == band.to_age or band.from_age == 0
                else (f"{band.from_age}-{band.to_age}")
            )
            limits = [f"{number(band.max_daily_mg)} mg/day"] if band.max_daily_mg else []
            if band.max_mg_per_kg:
                limits.append(f"{number(band.max_mg_per_kg)} mg/kg/day")
            parts.append(f"{ages}: {' and '.join(limits)}")
        return "age " + "; ".join(parts)

    def title(self, code: str) -> str:
        """The rule's title as a card shows it (source.topic.display, the detail heading)."""
        return self.render(self.rule(code).title)

    def text(self, code: str, key: str, **values: object) -> str:
        """A sentence of rule ``code`` (rules.yaml ``texts``), filled with ``values``."""
        try:
            template = self.rule(code).texts[key]
        except KeyError:
            raise KnowledgeError(f"rules.yaml: {code} has no text {key!r}") from None
        return self.render(template, **values)

    def words(self, key: str, **values: object) -> str:
        """A sentence or label of wording.yaml, filled with ``values``."""
        try:
            template = self.wording.texts[key]
        except KeyError:
            raise KnowledgeError(f"wording.yaml has no text {key!r}") from None
        return self.render(template, **values)

    def describe_source(self, key: str) -> str:
        """``001 (Baklosan 25 mg tablets leaflet...)``: the source as a card cites it."""
        manifest = self.manifest
        if key in manifest.leaflets:
            leaflet = manifest.leaflets[key]
            return f"{key}: {leaflet.product}; holder: {leaflet.holder}; {leaflet.document}"
        if key in manifest.conflicts:
            return f"{key} ({manifest.conflicts[key]})"
        if key in manifest.research:
            return f"{key} ({manifest.research[key]})"
        if key in manifest.references:
            return f"{key} ({manifest.references[key]})"
        return key

    @cached_property
    def baclofen_names(self) -> BoundedPattern:
        pattern = word_pattern(self.medications.baclofen.names)
        if pattern is None:  # the schema requires a name, but it could be blank
            raise KnowledgeError("medications.yaml: baclofen.names has no name that is not blank")
        return pattern

    @cached_property
    def icd_index(self) -> Mapping[str, tuple[tuple[str, str], ...]]:
        """Normalised ICD-10-CM prefix -> ((value set, role), ...); role is include, exclude
        or history. A code is classified by looking up each of its prefixes once."""
        index: dict[str, list[tuple[str, str]]] = {}
        for name, value_set in self.value_sets.items():
            for role, prefixes in (
                ("include", value_set.icd_prefixes),
                ("exclude", value_set.icd_exclude),
                ("history", value_set.icd_history),
            ):
                for prefix in prefixes:
                    index.setdefault(prefix, []).append((name, role))
        return {prefix: tuple(entries) for prefix, entries in index.items()}

    @cached_property
    def snomed_index(self) -> Mapping[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for name, value_set in self.value_sets.items():
            for code in value_set.snomed:
                index.setdefault(code, set()).add(name)
        return {code: frozenset(names) for code, names in index.items()}

    @cached_property
    def condition_words(self) -> PhraseIndex:
        """One pattern for the words of every value set: a condition's text is scanned once."""
        return PhraseIndex.of(
            {name: self.conditions.value_sets[name].words for name in self.value_sets}
        )

    @cached_property
    def drug_class_words(self) -> PhraseIndex:
        return PhraseIndex.of(
            {name: data.names for name, data in self.medications.interacting_classes.items()}
        )

    @cached_property
    def condition_systems(self) -> tuple[frozenset[str], frozenset[str]]:
        systems = self.conditions.systems
        return frozenset(systems["icd10cm"]), frozenset(systems["snomed"])

    @cached_property
    def product_form_words(self) -> tuple[tuple[str, BoundedPattern], ...]:
        """(form, pattern) in the order a text is tested: the most specific form first."""
        baclofen = self.medications.baclofen
        ordered = (
            ("intrathecal", baclofen.intrathecal_words),
            ("granules", baclofen.granules_words),
            ("liquid", baclofen.liquid_words),
            ("tablet", baclofen.tablet_words),
        )
        return tuple((form, p) for form, words in ordered if (p := word_pattern(words)))

    @cached_property
    def route_words(self) -> tuple[tuple[str, BoundedPattern], ...]:
        routes = self.medications.routes
        ordered = (("intrathecal", routes.intrathecal.words), ("oral", routes.oral.words))
        return tuple((route, p) for route, words in ordered if (p := word_pattern(words)))

    @cached_property
    def baclofen_codes(self) -> frozenset[str]:
        baclofen = self.medications.baclofen
        return frozenset(
            [*baclofen.products, *baclofen.intrathecal_codes, *baclofen.ingredient_codes.rxnorm]
        )

    @cached_property
    def loinc_groups(self) -> Mapping[str, frozenset[str]]:
        o = self.observations
        return {
            "body_weight": frozenset(o.body_weight),
            "creatinine_clearance": frozenset(o.creatinine_clearance),
            "creatinine_mg_dl": frozenset(o.creatinine_mg_dl),
            "creatinine_umol_l": frozenset(o.creatinine_umol_l),
            "egfr": frozenset(o.egfr),
            "hepatic_panel": frozenset(o.hepatic_panel),
            "glucose": frozenset(o.glucose),
            "pregnancy_status": frozenset(o.pregnancy_status),
            "lactation_status": frozenset(o.lactation_status),
        }

    @cached_property
    def observation_code_set(self) -> frozenset[str]:
        return frozenset(self.observation_codes)

    @cached_property
    def observation_codes(self) -> tuple[str, ...]:
        """Every LOINC code the rules read, in a stable order (for the prefetch template)."""
        seen: dict[str, None] = {}
        for codes in self.loinc_groups.values():
            for code in sorted(codes):
                seen.setdefault(code, None)
        return tuple(seen)


class _Numbers:
    """dosing.yaml seen from a template: attributes as in the models, numbers written as a
    card writes them (100, not 100.0)."""

    def __init__(self, value: object) -> None:
        self._value = value

    def __getattr__(self, name: str) -> _Numbers:
        return _Numbers(getattr(self._value, name))

    def __format__(self, spec: str) -> str:
        value = self._value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(float(value))
        return format(value, spec)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{path.name}: file is missing from {path.parent}") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name}: not valid YAML: {error}") from None


def _parse(path: Path, model: type[_Model]) -> _Model:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        )
        raise KnowledgeError(f"{path.name}: {problems}") from None


def _check_sources(manifest: Manifest, where: str, sources: Iterable[str]) -> None:
    known = {*manifest.leaflets, *manifest.conflicts, *manifest.research, *manifest.references}
    for source in sources:
        if source not in known:
            raise KnowledgeError(f"{where}: source {source!r} is not defined in manifest.yaml")


def _compile_value_set(name: str, data: ValueSetData) -> CompiledValueSet:
    return CompiledValueSet(
        name=name,
        scope=data.scope,
        icd_prefixes=tuple(normalise_icd(c) for c in data.icd10cm),
        icd_exclude=tuple(normalise_icd(c) for c in data.exclude_icd10cm),
        icd_history=tuple(normalise_icd(c) for c in data.history_icd10cm),
        snomed=frozenset(data.snomed),
        exclude_words=word_pattern(data.exclude_words),
    )


def _compile_drug_class(name: str, data: DrugClassData) -> CompiledDrugClass:
    return CompiledDrugClass(
        name=name,
        rule=data.rule,
        atc_prefixes=tuple(p.upper() for p in data.atc_prefixes),
        atc_exclude=tuple(p.upper() for p in data.atc_exclude),
        rxnorm=frozenset(data.rxnorm),
    )


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Read, validate and compile the knowledge files in ``directory``."""
    manifest = _parse(directory / "manifest.yaml", Manifest)
    rules_file = _parse(directory / "rules.yaml", RulesFile)
    dosing = _parse(directory / "dosing.yaml", Dosing)
    medications = _parse(directory / "medications.yaml", MedicationsFile)
    conditions = _parse(directory / "conditions.yaml", ConditionsFile)
    observations = _parse(directory / "observations.yaml", ObservationsFile)
    counselling = _parse(directory / "counselling.yaml", CounsellingFile)
    wording = _parse(directory / "wording.yaml", WordingFile)

    for code, rule in rules_file.rules.items():
        _check_sources(manifest, f"rules.yaml: {code}", rule.sources)
        for reason in rule.override_reasons:
            if reason not in rules_file.override_reasons:
                raise KnowledgeError(f"rules.yaml: {code}: unknown override reason {reason!r}")
        if set(rule.possible_indicators) - {"info"} and not rule.override_reasons:
            raise KnowledgeError(
                f"rules.yaml: {code}: warning and critical rules need override reasons"
            )
    for key, reason_data in rules_file.override_reasons.items():
        if reason_data.system not in rules_file.override_reason_systems:
            raise KnowledgeError(
                f"rules.yaml: override reason {key}: unknown system {reason_data.system!r}"
            )
    for line in counselling.patient_instruction:
        _check_sources(manifest, "counselling.yaml", line.sources)
    for route, warning in counselling.withdrawal_warning:
        _check_sources(manifest, f"counselling.yaml: withdrawal_warning.{route}", warning.sources)
    for name, drug_class in medications.interacting_classes.items():
        if drug_class.rule not in rules_file.rules:
            raise KnowledgeError(
                f"medications.yaml: class {name}: unknown rule {drug_class.rule!r}"
            )

    return Knowledge(
        manifest=manifest,
        rules_file=rules_file,
        dosing=dosing,
        medications=medications,
        conditions=conditions,
        observations=observations,
        counselling=counselling,
        wording=wording,
        value_sets={n: _compile_value_set(n, v) for n, v in conditions.value_sets.items()},
        drug_classes=tuple(
            _compile_drug_class(n, c) for n, c in medications.interacting_classes.items()
        ),
        negations=word_pattern(conditions.negations),
        content_hash=content_hash(directory),
    )


CLINICAL_CODE_DIR = Path(__file__).resolve().parent.parent


def content_hash(directory: Path) -> str:
    """sha256 over the knowledge files and the clinical core's code, in a fixed order: what
    decides the cards. A change of either is a change of clinical behaviour."""
    digest = hashlib.sha256()
    files = sorted(directory.glob("*.yaml")) + sorted(CLINICAL_CODE_DIR.rglob("*.py"))
    for path in files:
        name = path.name if path.parent == directory else str(path.relative_to(CLINICAL_CODE_DIR))
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
