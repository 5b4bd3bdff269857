"""Which card of an answer carries which suggestion.

Rules propose suggestions one card at a time; an answer is what the prescriber sees at once.
Two promises only hold for the whole answer:

- one schedule per order, and one copy of any dose change: it rides on the most severe card
  that calls for it, and the other cards say where it is, instead of offering a second
  button that does the same thing;
- no titration and no dose increase beside a critical contraindication (rules whose
  knowledge entry says ``blocks_increases``); decreases (tapers, a renal dose) still are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from service.clinical.findings import Finding, ScheduleSuggestion, SuggestionSpec, UpdateDose
from service.clinical.knowledge import Knowledge

_URGENCY = {"critical": 0, "warning": 1, "info": 2}


def _rank(finding: Finding, catalogue: dict[str, int]) -> tuple[int, int]:
    return (_URGENCY[finding.indicator], catalogue.get(finding.rule, len(catalogue)))


def _dose_change_key(spec: SuggestionSpec) -> tuple[object, ...] | None:
    """What makes two suggestions "the same change" (None: never deduplicated)."""
    if isinstance(spec, ScheduleSuggestion):
        return ("schedule", id(spec.order))  # one schedule per order, whatever its steps
    if isinstance(spec, UpdateDose):
        return ("dose", id(spec.order), spec.doses, spec.start)
    return None


def settle(findings: Sequence[Finding], knowledge: Knowledge) -> list[Finding]:
    """The findings of one answer with each suggestion on one card only (see the module)."""
    catalogue = {code: index for index, code in enumerate(knowledge.rules_file.rules)}
    blockers = [
        f for f in findings if f.indicator == "critical" and knowledge.rule(f.rule).blocks_increases
    ]
    carried: dict[tuple[object, ...], str] = {}  # change -> the title of the card carrying it
    settled = list(findings)
    for index in sorted(range(len(findings)), key=lambda i: _rank(findings[i], catalogue)):
        finding = findings[index]
        kept: list[SuggestionSpec] = []
        notes: list[str] = []
        for spec in finding.suggestions:
            if blockers and spec.raises:
                blocker = knowledge.title(blockers[0].rule)
                note = knowledge.words("no_increase_beside_contraindication", card=blocker)
                if note not in notes:
                    notes.append(note)
                continue
            key = _dose_change_key(spec)
            if key is not None and key in carried:
                note = knowledge.words("offered_on_other_card", card=carried[key])
                if note not in notes:
                    notes.append(note)
                continue
            if key is not None:
                carried[key] = knowledge.title(finding.rule)
            kept.append(spec)
        if notes:
            settled[index] = replace(
                finding, suggestions=tuple(kept), notes=(*finding.notes, *notes)
            )
    return settled
