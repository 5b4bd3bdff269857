"""A child's oral daily dose against the limits of its age and weight.

Three limits, the first one crossed deciding the card: the adult maximum, the critical
mg/kg/day, and the maximum of the age band (a fixed mg/day, or mg/kg/day at this weight).
A correction goes to the lowest of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.facts import Measurement
from service.clinical.knowledge.schema import Dosing, PediatricBand
from service.clinical.limits import band_limit
from service.clinical.quantity import amount


@dataclass(frozen=True)
class ChildDose:
    daily: float  # mg/day
    weight_kg: float | None
    band: PediatricBand | None
    band_limit: float | None  # the band's maximum at this weight, mg/day
    weight_based: bool  # the band's maximum is its mg/kg/day one
    critical_per_kg: float  # mg/kg/day
    adult_max: float  # mg/day

    @property
    def per_kg(self) -> float | None:
        """The dose in mg/kg/day, when the weight is known."""
        return amount(self.daily / self.weight_kg) if self.weight_kg is not None else None

    @property
    def above_adult_max(self) -> bool:
        return self.daily > self.adult_max

    @property
    def above_band(self) -> bool:
        return self.band_limit is not None and self.daily > amount(self.band_limit)

    @property
    def target(self) -> float:
        """The highest daily dose that keeps every limit (mg/day)."""
        critical = self.critical_per_kg * self.weight_kg if self.weight_kg is not None else None
        return min(x for x in (self.band_limit, critical, self.adult_max) if x is not None)


def child_dose(
    daily: float, band: PediatricBand | None, weight: Measurement | None, dosing: Dosing
) -> ChildDose:
    limit, weight_based = band_limit(band, weight) if band is not None else (None, False)
    return ChildDose(
        daily=daily,
        weight_kg=weight.value if weight is not None else None,
        band=band,
        band_limit=limit,
        weight_based=weight_based,
        critical_per_kg=dosing.pediatric.critical_mg_per_kg,
        adult_max=dosing.oral.max_daily_mg,
    )


__all__ = ["ChildDose", "child_dose"]
