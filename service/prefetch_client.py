"""Where missing prefetch data comes from. Until the FHIR client lands, nowhere."""

from __future__ import annotations

from service.evaluate import FetcherFactory
from service.settings import Settings


def fetcher_factory_for(settings: Settings) -> FetcherFactory | None:
    del settings
    return None
