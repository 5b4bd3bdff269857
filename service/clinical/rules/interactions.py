"""Other medicines that interact with baclofen, one card per drug class."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.findings import Finding
from service.clinical.order_text import names, order_facts
from service.clinical.rules.base import RuleInput

# The codes this rule may produce; which class gives which code is medications.yaml's `rule`.
CODES = (
    "interaction-opioid",
    "interaction-benzodiazepine",
    "interaction-cns-depressant",
    "interaction-tricyclic",
    "interaction-levodopa",
    "interaction-antihypertensive",
    "interaction-antigout",
    "interaction-lithium",
    "interaction-maoi",
)


def interactions(inp: RuleInput) -> Iterator[Finding]:
    for drug_class in inp.knowledge.drug_classes:
        found = inp.patient.medications_in(drug_class.name)
        if not found:
            continue
        rule_data = inp.knowledge.rule(drug_class.rule)
        indicator = rule_data.possible_indicators[0]
        yield Finding(
            drug_class.rule,
            indicator,
            inp.order,
            values={"drugs": names((m.name for m in found), limit=2)},
            facts=(
                *(
                    ("Also " + ("ordered now" if m.in_this_session else "active"), m.label)
                    for m in found
                ),
                order_facts(inp.order, inp.knowledge),
            ),
        )
