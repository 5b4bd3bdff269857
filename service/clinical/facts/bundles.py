"""Walking the resources of prefetch values: a Bundle's entries or a single resource."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.clinical.fhir_json import JSON, as_dict, as_list, as_str


def resources(value: Any, resource_type: str | None = None) -> Iterator[JSON]:
    """The resources of a prefetch value, optionally of one type only."""
    container = as_dict(value)
    if container is None:
        return
    if container.get("resourceType") == "Bundle":
        for item in as_list(container.get("entry")):
            entry = as_dict(item)
            resource = as_dict(entry.get("resource")) if entry is not None else None
            if resource is not None and (
                resource_type is None or resource.get("resourceType") == resource_type
            ):
                yield resource
    elif resource_type is None or container.get("resourceType") == resource_type:
        yield container


def reference_of(resource: JSON) -> str | None:
    resource_type, resource_id = as_str(resource.get("resourceType")), as_str(resource.get("id"))
    return f"{resource_type}/{resource_id}" if resource_type and resource_id else None
