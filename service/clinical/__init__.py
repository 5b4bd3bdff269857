"""The clinical core: pure functions from a case (the patient's records, the orders) to findings.

No I/O, no web framework, no clock: ``today`` is part of the case. How findings are worded as
cards, and where their links point, is ``service.present``'s business. A pharmacist can read
and test this package without knowing anything about HTTP. The entry point is
``service.clinical.assess.assess``.
"""
