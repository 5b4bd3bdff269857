"""The FHIR builders the tests use: those of ``fhir_builders.py``, which tooling owns."""

from fhir_builders import *  # noqa: F403
from fhir_builders import __all__ as __all__
