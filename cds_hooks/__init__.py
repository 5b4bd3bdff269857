"""CDS Hooks 2.0.1 for Python services: wire models, discovery, prefetch templates, errors.

Nothing in this package knows about baclofen or any other clinical content; it could be
published on its own.
"""

from cds_hooks.discovery import DiscoveryResponse, ServiceDescriptor
from cds_hooks.errors import CdsHooksError, Issue, operation_outcome
from cds_hooks.feedback import FeedbackItem, FeedbackRequest, Outcome
from cds_hooks.prefetch import UnresolvableTokenError, render_template, validate_template
from cds_hooks.request import (
    CONTEXT_MODELS,
    FhirAuthorization,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)
from cds_hooks.response import (
    Action,
    ActionType,
    Card,
    CdsResponse,
    Coding,
    Indicator,
    Link,
    LinkType,
    OverrideReason,
    SelectionBehavior,
    Source,
    Suggestion,
    SystemAction,
)

__all__ = [
    "CONTEXT_MODELS",
    "Action",
    "ActionType",
    "Card",
    "CdsHooksError",
    "CdsResponse",
    "Coding",
    "DiscoveryResponse",
    "FeedbackItem",
    "FeedbackRequest",
    "FhirAuthorization",
    "HookRequest",
    "Indicator",
    "Issue",
    "Link",
    "LinkType",
    "OrderSelectContext",
    "OrderSignContext",
    "Outcome",
    "OverrideReason",
    "PatientViewContext",
    "SelectionBehavior",
    "ServiceDescriptor",
    "Source",
    "Suggestion",
    "SystemAction",
    "UnresolvableTokenError",
    "operation_outcome",
    "render_template",
    "validate_template",
]
