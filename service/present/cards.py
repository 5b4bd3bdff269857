"""Findings become CDS cards: wording from the knowledge files, suggestions as FHIR.

One card per finding. Cards are ordered critical, warning, info; within a severity, by order
and then by the catalogue's order, so the same input always gives the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cds_hooks.response import (
    Action,
    ActionType,
    Card,
    Coding,
    Indicator,
    Link,
    LinkType,
    OverrideReason,
    SelectionBehavior,
    Source,
    Suggestion,
)
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import (
    CancelOrder,
    Finding,
    ScheduleSuggestion,
    SuggestionSpec,
    SwitchProduct,
    UpdateDose,
)
from service.clinical.knowledge import Knowledge
from service.clinical.schedules import ScheduleKind
from service.present import resources
from service.present.links import Links
from service.present.schedule_codec import PrintableSchedule, beyond_maxima

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
# GitHub-flavoured Markdown (what EHRs and the CDS Hooks sandbox render) turns "www.x",
# "https://x" and "a@b.org" in plain text into links, which no escape prevents: a zero-width
# space breaks each pattern without changing what a reader sees.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)")
_ZERO_WIDTH_SPACE = "\u200b"
_SUMMARY_LIMIT = 139


def escape_markdown(text: str) -> str:
    """Text from the record shown literally: no emphasis, links or raw HTML can sneak in."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))
    return _AUTOLINK.sub(_ZERO_WIDTH_SPACE, text)


@dataclass(frozen=True)
class CardSettings:
    patient_id: str
    today: date  # the first day of a suggested schedule
    links: Links  # where source.url and the schedule links point


def summary_of(finding: Finding, knowledge: Knowledge) -> str:
    template = knowledge.rule(finding.rule).summary
    if isinstance(template, dict):
        template = template[finding.variant] if finding.variant else next(iter(template.values()))
    text = " ".join(knowledge.render(template, **finding.values).split())
    if len(text) > _SUMMARY_LIMIT:
        text = text[: _SUMMARY_LIMIT - 3].rstrip() + "..."
    return text


def detail_of(finding: Finding, knowledge: Knowledge) -> str:
    rule = knowledge.rule(finding.rule)
    lines = [f"**{escape_markdown(knowledge.title(finding.rule))}**", ""]
    if finding.facts:
        lines += [
            f"- {escape_markdown(what)}: {escape_markdown(value)}" for what, value in finding.facts
        ]
        lines.append("")
    for note in finding.notes:
        lines += [escape_markdown(note), ""]
    lines += [f"**Why:** {escape_markdown(knowledge.render(rule.why))}", ""]
    sources = "; ".join(escape_markdown(knowledge.describe_source(s)) for s in rule.sources)
    lines += [f"**Sources:** {sources}", ""]
    lines.append(knowledge.words("card_footer", code=finding.rule, version=knowledge.version))
    return "\n".join(lines)


def _override_reasons(finding: Finding, knowledge: Knowledge) -> list[OverrideReason]:
    if finding.indicator == "info":
        return []
    rules_file = knowledge.rules_file
    reasons = []
    for key in knowledge.rule(finding.rule).override_reasons:
        data = rules_file.override_reasons[key]
        reasons.append(
            OverrideReason(
                code=key,
                system=rules_file.override_reason_systems[data.system],
                display=data.display,
            )
        )
    return reasons


def _actions(spec: SuggestionSpec, settings: CardSettings, knowledge: Knowledge) -> list[Action]:
    patient_id = settings.patient_id
    if isinstance(spec, UpdateDose):
        resource = resources.updated_dose(
            spec.order, spec.doses, patient_id, knowledge, spec.start, settings.today
        )
        return _with_withdrawn(_replace_order(resource, spec.label), spec, patient_id, knowledge)
    if isinstance(spec, SwitchProduct):
        resource = resources.switched_product(
            spec.order, spec.product_text, spec.rxnorm, spec.doses,
            spec.concentration_mg_per_ml, patient_id, knowledge, settings.today,
        )  # fmt: skip
        return [_replace_order(resource, spec.label)]
    if isinstance(spec, ScheduleSuggestion):
        resource = resources.scheduled(
            spec.order, spec.schedule, spec.prior, patient_id, knowledge, settings.today
        )
        return _with_withdrawn(_replace_order(resource, spec.label), spec, patient_id, knowledge)
    if isinstance(spec, CancelOrder):
        ended = _end(spec.order, spec.label, patient_id)
        if ended is None:
            return []
        if spec.replaced_by is None:
            return [ended]
        if spec.replaced_by.reference is None:
            return []  # a draft without id cannot be given its priorPrescription
        linked = resources.replacing(spec.replaced_by, spec.order, patient_id)
        return [_replace_order(linked, spec.label), ended]
    resource = resources.service_request(spec.code, spec.display, patient_id, knowledge)
    return [Action(type=ActionType.CREATE, description=spec.label, resource=resource)]


def _with_withdrawn(
    main: Action, spec: UpdateDose | ScheduleSuggestion, patient_id: str, knowledge: Knowledge
) -> list[Action]:
    """The change and the end of every order it replaces: the whole of it or none (half of
    it would leave two orders running side by side)."""
    actions = [main]
    for other in spec.withdraw:
        label = knowledge.words("ends_other_order", label=spec.label, reference=other.reference)
        ended = _end(other, label, patient_id)
        if ended is None:
            return []
        actions.append(ended)
    return actions


def _end(order: BaclofenOrder, label: str, patient_id: str) -> Action | None:
    """Remove a draft of this session, or stop an active order (None: it cannot be named)."""
    reference = order.reference
    if order.is_draft:
        if reference is None:
            return None
        return Action(type=ActionType.DELETE, description=label, resourceId=reference)
    return Action(
        type=ActionType.UPDATE, description=label, resource=resources.stopped(order, patient_id)
    )


def _replace_order(resource: dict[str, object], label: str) -> Action:
    if "id" in resource:
        return Action(type=ActionType.UPDATE, description=label, resource=dict(resource))
    # Without an id the draft cannot be addressed: offer the corrected order to create.
    return Action(type=ActionType.CREATE, description=label, resource=dict(resource))


def _suggestions(
    finding: Finding, settings: CardSettings, knowledge: Knowledge
) -> tuple[list[Suggestion], bool]:
    """The suggestions, and whether one had to be left out (an order recorded as invalid FHIR
    cannot be rewritten: the card says so)."""
    suggestions = []
    left_out = False
    for spec in finding.suggestions:
        try:
            actions = _actions(spec, settings, knowledge)
        except resources.InvalidSuggestionError:
            # Orders from prefetch are read leniently, never validated (only draftOrders are):
            # a copy of one can be invalid FHIR. The card still warns; only the change is lost.
            left_out = True
            continue
        if actions:
            suggestions.append(
                Suggestion(
                    label=spec.label, isRecommended=spec.recommended or None, actions=actions
                )
            )
    return suggestions, left_out


def card_of(finding: Finding, settings: CardSettings, knowledge: Knowledge) -> Card:
    suggestions, left_out = _suggestions(finding, settings, knowledge)
    detail = detail_of(finding, knowledge)
    if left_out:
        detail += "\n\n" + knowledge.words("not_offered_invalid_fhir")
    links = [
        link for spec in finding.suggestions if (link := _schedule_link(spec, settings, knowledge))
    ][:1]
    return Card(
        summary=summary_of(finding, knowledge),
        detail=detail,
        indicator=Indicator(finding.indicator),
        source=Source(
            label=f"{knowledge.manifest.card_source_label} (knowledge {knowledge.version})",
            url=settings.links.rule_page(finding.rule),
            topic=Coding(
                code=finding.rule,
                system=knowledge.manifest.rule_code_system,
                display=knowledge.title(finding.rule),
            ),
        ),
        suggestions=suggestions,
        selectionBehavior=SelectionBehavior.ANY if suggestions else None,
        overrideReasons=_override_reasons(finding, knowledge),
        links=links,
    )


def _left_daily(spec: ScheduleSuggestion) -> float | None:
    """The daily dose the schedule takes over from, when it lies on the schedule's way (above
    a taper's first step, below a titration's): the page's chart starts there."""
    prior, schedule = spec.prior, spec.schedule
    daily = prior.dose.highest_daily if prior is not None else None
    if daily is None or prior is None or prior.dose.kind.unit != schedule.unit:
        return None
    first = schedule.steps[0].daily
    rising = schedule.kind is ScheduleKind.TITRATION
    return daily if (daily < first if rising else daily > first) else None


def _schedule_link(
    spec: SuggestionSpec, settings: CardSettings, knowledge: Knowledge
) -> Link | None:
    """The link to the printable page of a suggested schedule; None when no such page is
    offered or the page would refuse the schedule (a dose above the maxima)."""
    if not isinstance(spec, ScheduleSuggestion):
        return None
    printable = PrintableSchedule(spec.schedule, settings.today, _left_daily(spec))
    if beyond_maxima(printable, knowledge) is not None:
        return None
    url = settings.links.printable_schedule(printable)
    if url is None:
        return None
    return Link(
        label=f"Printable {spec.schedule.kind.value.replace('-', ' ')} schedule",
        url=url,
        type=LinkType.ABSOLUTE,
    )


def in_answer_order(findings: Sequence[Finding], knowledge: Knowledge) -> list[Finding]:
    """Critical, warning, info; within a severity, by order and then by the catalogue."""
    catalogue = {code: index for index, code in enumerate(knowledge.rules_file.rules)}
    order_rank: dict[int, int] = {}
    for finding in findings:
        order_rank.setdefault(id(finding.order), len(order_rank))

    def key(finding: Finding) -> tuple[int, int, int]:
        return (
            -Indicator(finding.indicator).urgency,
            order_rank[id(finding.order)],
            catalogue.get(finding.rule, len(catalogue)),
        )

    return sorted(findings, key=key)


__all__ = ["CardSettings", "card_of", "escape_markdown", "in_answer_order"]
