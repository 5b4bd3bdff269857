"""baclofen-cds: a CDS Hooks service checking baclofen orders."""

__version__ = "0.1.0"
