"""How long the fuzz tests search: bounded for CI, longer on demand.

``BACLOFEN_CDS_FUZZ_EXAMPLES`` sets the examples per test (default below); read when the
module is imported, before the tests' clean environment removes ``BACLOFEN_CDS_*``.
"""

from __future__ import annotations

import os

EXAMPLES = int(os.environ.get("BACLOFEN_CDS_FUZZ_EXAMPLES", "0")) or None
# Each answer within this bound, or the test fails: a hang is a defect too.
ANSWER_WITHIN_S = 2.0
# A loopback port where nothing listens: the only FHIR server the fuzzed app may contact.
DEAD_FHIR_BASE = "http://127.0.0.1:9/fhir"


def examples(default: int) -> int:
    return EXAMPLES or default
