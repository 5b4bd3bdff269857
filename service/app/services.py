"""The service's parts, built once per application, and their lifetimes.

``build_services`` is the one place that decides how the parts are made from the settings;
``start_services`` starts those that hold connections, threads or tasks, and leaves their
stopping, in the reverse order, to the caller's ``AsyncExitStack`` (the application's
lifespan). Routes receive the parts through ``service.api.dependencies``; the ``evaluate``
command builds only its evaluator (``clinical_clock``, ``checked_knowledge``,
``build_evaluator``).
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime

from service.api.services import Clock, Services
from service.auth.authenticator import Authenticator
from service.clinical.knowledge import Knowledge, load_knowledge
from service.clinical.rules import check_catalogue
from service.fhir.fetchers import PrefetchClient, fetcher_factory_for
from service.pipeline.evaluator import Evaluator, FetcherFactory
from service.present.links import link_signer_for
from service.present.schedule_codec import LinkSigner
from service.settings import Settings
from service.store import AdviceRecorder, Database, Store

log = logging.getLogger("baclofen_cds")


def utc_today() -> date:
    return datetime.now(UTC).date()


def checked_knowledge(knowledge: Knowledge | None = None) -> Knowledge:
    """The bundled knowledge base (or the one given), refused if a rule lacks its entry."""
    if knowledge is None:
        knowledge = load_knowledge()
    check_catalogue(knowledge)
    return knowledge


def clinical_clock(settings: Settings) -> Clock:
    """Today in UTC, unless ``BACLOFEN_CDS_TODAY`` pins it (said loudly: dates move with it)."""
    pinned = settings.today
    if pinned is None:
        return utc_today
    log.warning("clinical clock pinned to %s by BACLOFEN_CDS_TODAY", pinned.isoformat())
    return lambda: pinned


def build_evaluator(
    settings: Settings,
    knowledge: Knowledge,
    *,
    clock: Clock,
    fetcher_factory: FetcherFactory,
    link_signer: LinkSigner | None = None,
) -> Evaluator:
    """The pipeline behind ``POST /cds-services/{id}`` (and ``baclofen-cds evaluate``)."""
    return Evaluator(
        knowledge,
        base_url=settings.public_base_url,
        clock=clock,
        fetcher_factory=fetcher_factory,
        max_pages=settings.fhir_max_pages,
        time_budget_s=settings.evaluation_timeout_s,
        link_signer=link_signer if link_signer is not None else link_signer_for(settings),
    )


def build_services(
    settings: Settings,
    *,
    knowledge: Knowledge | None = None,
    clock: Clock | None = None,
    fetcher_factory: FetcherFactory | None = None,
    authenticator: Authenticator | None = None,
    demo: bool = False,
) -> Services:
    """The parts of an application for these settings. Each argument left out is made from
    the settings; nothing connects or starts until ``start_services``."""
    knowledge = checked_knowledge(knowledge)
    if clock is None:
        clock = clinical_clock(settings)
    # Missing prefetch is fetched from the caller's FHIR server with one pooled client.
    if fetcher_factory is None:
        fetcher_factory = fetcher_factory_for(settings)
    # One signer for the links cards carry and the page that opens them (service.present.links).
    link_signer = link_signer_for(settings)
    if authenticator is None and settings.auth_required:
        authenticator = Authenticator(settings)
    store = Store(Database(settings.database_url))
    return Services(
        settings=settings,
        knowledge=knowledge,
        clock=clock,
        link_signer=link_signer,
        fetcher_factory=fetcher_factory,
        evaluator=build_evaluator(
            settings,
            knowledge,
            clock=clock,
            fetcher_factory=fetcher_factory,
            link_signer=link_signer,
        ),
        store=store,
        advice_recorder=AdviceRecorder(store, knowledge.version),
        authenticator=authenticator,
        demo=demo,
    )


async def start_services(services: Services, stack: AsyncExitStack) -> None:
    """Start the parts in order, each one's stop pushed on ``stack`` as soon as it has started:
    leaving the stack stops them in the reverse order (the recorder drains its queue before
    the store closes its connections)."""
    fetching = services.fetcher_factory
    if isinstance(fetching, PrefetchClient):
        await fetching.start()
        stack.push_async_callback(fetching.aclose)
    stack.push_async_callback(services.evaluator.aclose)
    await services.store.start()
    stack.push_async_callback(services.store.close)
    await services.advice_recorder.start()
    stack.push_async_callback(services.advice_recorder.stop)
    if services.authenticator is not None:
        await services.authenticator.start()
        stack.push_async_callback(services.authenticator.aclose)
