"""Discovery: ``GET {baseUrl}/cds-services`` (CDS Hooks 2.0.1 §Discovery)."""

from __future__ import annotations

from pydantic import Field

from cds_hooks.wire import WireModel


class ServiceDescriptor(WireModel):
    hook: str = Field(min_length=1)
    id: str = Field(pattern=r"^[A-Za-z0-9\-_.]+$")
    title: str | None = None
    description: str = Field(min_length=1)
    prefetch: dict[str, str] = Field(default_factory=dict)
    usageRequirements: str | None = None


class DiscoveryResponse(WireModel):
    services: list[ServiceDescriptor]

    keep_empty = frozenset({"services"})
