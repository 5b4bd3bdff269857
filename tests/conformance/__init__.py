"""The conformance checker every test uses (see ``tests/conftest.py``)."""
