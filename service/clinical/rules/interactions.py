"""Other medicines that interact with baclofen, one card per drug class."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.findings import Finding
from service.clinical.rules.base import RuleInput, names, order_facts, rule

_CLASS_RULES = {
    "opioid": "interaction-opioid",
    "benzodiazepine": "interaction-benzodiazepine",
    "cns_depressant": "interaction-cns-depressant",
    "tricyclic": "interaction-tricyclic",
    "levodopa": "interaction-levodopa",
    "antihypertensive": "interaction-antihypertensive",
    "antigout": "interaction-antigout",
}


@rule(*_CLASS_RULES.values())
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
                order_facts(inp.order),
            ),
        )
