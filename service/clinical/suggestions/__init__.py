"""From a target to a suggestion: the current dose, the moves, the schedules, and the policy
that decides which card of an answer carries which suggestion."""

from service.clinical.suggestions.current import (
    current_daily,
    established_daily,
    established_order,
    judged_daily,
    route_changed,
)
from service.clinical.suggestions.endings import endings
from service.clinical.suggestions.lab_orders import order_test
from service.clinical.suggestions.moves import (
    AS_ORDERED,
    move_to,
    schedule_for_start_or_increase,
    start_group,
    stepping_note,
    within_ceiling,
)
from service.clinical.suggestions.renal import within_renal_cap
from service.clinical.suggestions.schedules import (
    intrathecal_suggestion,
    long_taper,
    slow_variant,
    taper_suggestion,
    titration_suggestion,
)
from service.clinical.suggestions.switch import lactose_free_switch

__all__ = [
    "AS_ORDERED",
    "current_daily",
    "endings",
    "established_daily",
    "established_order",
    "intrathecal_suggestion",
    "judged_daily",
    "lactose_free_switch",
    "long_taper",
    "move_to",
    "order_test",
    "route_changed",
    "schedule_for_start_or_increase",
    "slow_variant",
    "start_group",
    "stepping_note",
    "taper_suggestion",
    "titration_suggestion",
    "within_ceiling",
    "within_renal_cap",
]
