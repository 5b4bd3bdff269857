"""The service's parts as FastAPI dependencies: what a route needs, typed in its signature.

The application keeps its ``Services`` (``service.api.services``) in one place, set by
``service.app.factory``; routes never read the application's state themselves but ask for a
part, e.g. ``evaluator: EvaluatorDep``.

The providers are ``async`` although they do not wait for anything: FastAPI runs a plain
``def`` dependency on a worker thread, a thread hop per part per request on the hot path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from service.api.services import Clock, Services, Shutdown
from service.clinical.knowledge import Knowledge
from service.pipeline.evaluator import Evaluator
from service.present.schedule_codec import LinkSigner
from service.settings import Settings
from service.store import AdviceRecorder, Store


def attach_services(app: FastAPI, services: Services) -> None:
    """Give an application its parts (``service.app.factory``, once)."""
    app.state.services = services


def services_of_app(app: FastAPI) -> Services:
    """The parts of an application made by ``service.app.factory``."""
    services = app.state.services
    if not isinstance(services, Services):
        raise TypeError("the application was not made by service.app.factory")
    return services


def services_of(request: Request) -> Services:
    return services_of_app(request.app)


async def settings_of(request: Request) -> Settings:
    return services_of(request).settings


async def knowledge_of(request: Request) -> Knowledge:
    return services_of(request).knowledge


async def clock_of(request: Request) -> Clock:
    return services_of(request).clock


async def link_signer_of(request: Request) -> LinkSigner:
    return services_of(request).link_signer


async def evaluator_of(request: Request) -> Evaluator:
    return services_of(request).evaluator


async def store_of(request: Request) -> Store:
    return services_of(request).store


async def advice_recorder_of(request: Request) -> AdviceRecorder:
    return services_of(request).advice_recorder


async def shutdown_of(request: Request) -> Shutdown:
    return services_of(request).shutdown


async def demo_of(request: Request) -> bool:
    return services_of(request).demo


SettingsDep = Annotated[Settings, Depends(settings_of)]
KnowledgeDep = Annotated[Knowledge, Depends(knowledge_of)]
ClockDep = Annotated[Clock, Depends(clock_of)]
LinkSignerDep = Annotated[LinkSigner, Depends(link_signer_of)]
EvaluatorDep = Annotated[Evaluator, Depends(evaluator_of)]
StoreDep = Annotated[Store, Depends(store_of)]
AdviceRecorderDep = Annotated[AdviceRecorder, Depends(advice_recorder_of)]
ShutdownDep = Annotated[Shutdown, Depends(shutdown_of)]
DemoDep = Annotated[bool, Depends(demo_of)]

__all__ = [
    "AdviceRecorderDep",
    "ClockDep",
    "DemoDep",
    "EvaluatorDep",
    "KnowledgeDep",
    "LinkSignerDep",
    "SettingsDep",
    "ShutdownDep",
    "StoreDep",
    "attach_services",
    "services_of",
    "services_of_app",
]
