"""The parts of the patient's record the clinical core reads, by what they are.

How the records arrive (CDS Hooks prefetch keys, a FHIR search) is the pipeline's business:
it maps its own names to these kinds once, and the facts and rules speak only of kinds.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RecordKind"]


class RecordKind(StrEnum):
    # The values sort as the data-missing card lists what could not be read.
    PATIENT = "patient"  # the Patient resource
    MEDICATIONS = "medication-list"  # the active and on-hold medication orders
    CONDITIONS = "conditions"
    OBSERVATIONS = "observations"  # the results the rules read (weight, renal, tests)
    ALLERGIES = "allergies"
