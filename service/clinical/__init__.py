"""The clinical core: pure functions from FHIR facts to findings and cards.

No I/O, no web framework, no clock: ``today`` is a parameter. A pharmacist can read and test
this package without knowing anything about HTTP.
"""
