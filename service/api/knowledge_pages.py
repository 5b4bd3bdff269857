"""``GET /knowledge/rules/{code}``: what a rule checks and why, for the clinician who clicks
the card's source link. Plain server-rendered HTML, no scripts, no external resources."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import not_found
from service.api.responses import JsonResponse

router = APIRouter()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · baclofen-cds</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1a1a1a}}code{{background:#f2f2f2;padding:0 .2rem}}
.sev{{display:inline-block;padding:0 .5rem;border-radius:.3rem;background:#eee}}</style>
</head><body>
<p><a href="{base}/knowledge/rules">All rules</a></p>
<h1>{title}</h1>
<p>Rule <code>{code}</code> · <span class="sev">{indicators}</span> · knowledge base {version}</p>
<h2>Fires when</h2><p>{fires_when}</p>
<h2>Why</h2><p>{why}</p>
<h2>Sources</h2><ul>{sources}</ul>
</body></html>"""


@router.get("/knowledge/rules", summary="The rule catalogue (JSON)")
async def rules(request: Request) -> Response:
    knowledge = request.app.state.knowledge
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
async def rule_page(code: str, request: Request) -> Response:
    knowledge = request.app.state.knowledge
    rule = knowledge.rules_file.rules.get(code)
    if rule is None:
        raise not_found("no such rule (GET /knowledge/rules lists them)")
    sources = "".join(f"<li>{escape(knowledge.describe_source(s))}</li>" for s in rule.sources)
    html = _PAGE.format(
        title=escape(knowledge.title(code)),
        code=escape(code),
        indicators=escape(" / ".join(rule.possible_indicators)),
        version=escape(knowledge.version),
        fires_when=escape(knowledge.render(rule.fires_when)),
        why=escape(knowledge.render(rule.why)),
        sources=sources,
        base=escape(request.app.state.settings.public_base_url),
    )
    return HTMLResponse(html)
