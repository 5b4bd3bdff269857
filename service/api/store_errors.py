"""The answer when the store cannot be reached: 503, an OperationOutcome, and Retry-After."""

from __future__ import annotations

from cds_hooks.errors import CdsHooksError, service_unavailable

# Long enough for a database failover; EHR feedback queues retry on their own schedule anyway.
RETRY_AFTER_S = 30


def store_unavailable(diagnostics: str) -> CdsHooksError:
    return service_unavailable(diagnostics, RETRY_AFTER_S)
