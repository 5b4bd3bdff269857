"""Every rule of the catalogue, and the evaluation that runs them over the facts.

``catalogue`` lists the rules in order; ``check_catalogue`` verifies at start-up that the code
and the knowledge files name exactly the same rule codes. ``evaluation`` is the loop.
"""

from service.clinical.rules.catalogue import catalogue_codes, check_catalogue
from service.clinical.rules.evaluation import (
    Evaluation,
    OrderTrace,
    Outcome,
    RuleOutcome,
    evaluate,
    evaluation,
)

__all__ = [
    "Evaluation",
    "OrderTrace",
    "Outcome",
    "RuleOutcome",
    "catalogue_codes",
    "check_catalogue",
    "evaluate",
    "evaluation",
]
