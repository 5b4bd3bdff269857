"""The clinical rule catalogue as a document, generated from the knowledge files.

``docs/catalogue.md`` is this module's output, checked in CI to be current: a pharmacist who
edits a threshold or a sentence in the YAML sees the change in the catalogue's diff too.

    python -m service.clinical.knowledge.catalogue > docs/catalogue.md
"""

from __future__ import annotations

import sys

from service.clinical.knowledge.loader import Knowledge, load_knowledge


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rules(knowledge: Knowledge) -> list[str]:
    lines = [
        "## Rules",
        "",
        "Every card carries one of these codes in `source.topic.code` "
        f"(system `{knowledge.manifest.rule_code_system}`).",
        "",
        "| code | fires when | indicator | sources | override reasons |",
        "|---|---|---|---|---|",
    ]
    for code, rule in knowledge.rules_file.rules.items():
        indicators = " / ".join(rule.possible_indicators)
        reasons = ", ".join(f"`{r}`" for r in rule.override_reasons) or "—"
        lines.append(
            f"| `{code}` | {_cell(knowledge.render(rule.fires_when))} | {indicators} | "
            f"{', '.join(rule.sources)} | {reasons} |"
        )
    lines.append("")
    for code, rule in knowledge.rules_file.rules.items():
        lines += [f"### `{code}`: {knowledge.title(code)}", ""]
        lines += [f"- Fires when: {knowledge.render(rule.fires_when)}."]
        summary = rule.summary if isinstance(rule.summary, dict) else {"": rule.summary}
        for variant, template in summary.items():
            label = f" ({variant})" if variant else ""
            lines.append(f"- Summary{label}: {_cell(template)}")
        lines += [f"- Why: {knowledge.render(rule.why)}", ""]
    return lines


def _sources(knowledge: Knowledge) -> list[str]:
    manifest = knowledge.manifest
    lines = ["## Sources", "", "### Leaflets (primary)", ""]
    lines += ["| key | product | holder | document |", "|---|---|---|---|"]
    for key, leaflet in manifest.leaflets.items():
        lines.append(f"| {key} | {leaflet.product} | {leaflet.holder} | {leaflet.document} |")
    lines += ["", "### Other references", ""]
    lines += [f"- **{key}**: {text}" for key, text in manifest.references.items()]
    lines += ["", "### Rows of the research the rules cite", ""]
    lines += [f"- **{key}**: {text}" for key, text in manifest.research.items()]
    lines += [
        "",
        "## Decisions where the sources disagree",
        "",
        "Where the leaflets disagree, or a US label is stricter, the conservative resolution "
        "is the rule:",
        "",
    ]
    lines += [f"- **{key}**: {text}" for key, text in manifest.conflicts.items()]
    lines.append("")
    return lines


def _numbers(knowledge: Knowledge) -> list[str]:
    lines = ["## Numbers", "", "The limits and schedule parameters (dosing.yaml):", ""]
    dumped = knowledge.dosing.model_dump()

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            lines.append(f"- `{prefix}`: {value}")

    walk("", dumped)
    lines.append("")
    return lines


def catalogue(knowledge: Knowledge) -> str:
    manifest = knowledge.manifest
    lines = [
        "# Baclofen rule catalogue",
        "",
        "<!-- Generated from service/clinical/knowledge/*.yaml by "
        "`python -m service.clinical.knowledge.catalogue`: do not edit by hand. -->",
        "",
        f"Knowledge release {manifest.version}, {manifest.released}. Cards carry the release "
        "and a content hash of the knowledge and the clinical code (`2.0.0+3f9a...`).",
        "",
    ]
    lines += _rules(knowledge) + _sources(knowledge) + _numbers(knowledge)
    lines += ["## Changes", ""]
    lines += [f"- **{c.version}** ({c.date}): {c.summary}" for c in manifest.changes]
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(catalogue(load_knowledge()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
