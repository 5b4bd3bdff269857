"""The service's parts, as one value: what ``service.app.services.build_services`` makes once
per application and routes receive through ``service.api.dependencies``.

Only types here (no web framework): the ``evaluate`` command builds its part of them without
an application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from service.auth.authenticator import Authenticator
from service.clinical.knowledge import Knowledge
from service.pipeline.evaluator import Evaluator, FetcherFactory
from service.present.schedule_codec import LinkSigner
from service.settings import Settings
from service.store import AdviceRecorder, Store

Clock = Callable[[], date]


class Shutdown:
    """Whether the application has begun to stop: from then on ``/readyz`` answers 503."""

    def __init__(self) -> None:
        self._begun = False

    @property
    def begun(self) -> bool:
        return self._begun

    def begin(self) -> None:
        self._begun = True


@dataclass(frozen=True)
class Services:
    """Everything a request may need, made once per application (``build_services``)."""

    settings: Settings
    knowledge: Knowledge
    clock: Clock  # the clinical clock: today's date for ages, lab recency, examples
    link_signer: LinkSigner  # signs the links cards carry, verifies the page that opens them
    fetcher_factory: FetcherFactory
    evaluator: Evaluator
    store: Store
    advice_recorder: AdviceRecorder
    authenticator: Authenticator | None  # None with authentication off
    demo: bool = False  # the demo command's application (service.app.demo_server)
    shutdown: Shutdown = field(default_factory=Shutdown)


__all__ = ["Clock", "Services", "Shutdown"]
