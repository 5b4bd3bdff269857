"""The soak test: a real server under mixed traffic while its FHIR server slows and dies."""
