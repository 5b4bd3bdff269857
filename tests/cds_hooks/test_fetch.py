"""What a FHIR query must answer with."""

from __future__ import annotations

import pytest

from cds_hooks.fetch import Expected, expected_answer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Patient/p1", Expected("Patient", resource_id="p1")),
        ("Patient/a%2Eb", Expected("Patient", resource_id="a.b")),
        ("Condition?patient=p1", Expected("Bundle", patient_id="p1")),
        ("Observation?subject=Patient/p1&code=1,2", Expected("Bundle", patient_id="p1")),
        ("MedicationRequest?patient=p1&patient=p2", Expected("Bundle")),
        ("Condition?patient=p1,p2", Expected("Bundle")),
        ("Condition", Expected("Bundle")),
        ("Patient/p1/Condition", Expected("Bundle")),
    ],
)
def test_expected_answer(query: str, expected: Expected) -> None:
    assert expected_answer(query) == expected
