"""``GET /knowledge/rules/{code}``: what a rule checks and why, for the clinician who clicks
the card's source link. Server-rendered HTML (``templates/rule.html``), no scripts, no
external resources."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import not_found
from service.api.dependencies import KnowledgeDep, SettingsDep
from service.api.responses import JsonResponse
from service.api.web import templates

router = APIRouter()


@router.get("/knowledge/rules", summary="The rule catalogue (JSON)")
async def rules(knowledge: KnowledgeDep) -> Response:
    return JsonResponse(
        {
            "version": knowledge.version,
            "system": knowledge.manifest.rule_code_system,
            "rules": [
                {
                    "code": code,
                    "title": knowledge.title(code),
                    "indicators": rule.possible_indicators,
                    "sources": [knowledge.describe_source(s) for s in rule.sources],
                }
                for code, rule in knowledge.rules_file.rules.items()
            ],
        }
    )


@router.get("/knowledge/rules/{code}", summary="One rule, for clinicians (HTML)")
async def rule_page(code: str, knowledge: KnowledgeDep, settings: SettingsDep) -> Response:
    rule = knowledge.rules_file.rules.get(code)
    if rule is None:
        raise not_found("no such rule (GET /knowledge/rules lists them)")
    html = templates.render(
        "rule.html",
        title=knowledge.title(code),
        code=code,
        indicators=rule.possible_indicators,
        version=knowledge.version,
        fires_when=knowledge.render(rule.fires_when),
        why=knowledge.render(rule.why),
        sources=[knowledge.describe_source(source) for source in rule.sources],
        base=settings.public_base_url,
    )
    return HTMLResponse(html)
