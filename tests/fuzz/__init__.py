"""Tests that search for failures: schemathesis on the OpenAPI document, hypothesis on requests."""
