"""hembesok: evaluation pipeline for Swedish extended postnatal home-visiting programmes."""

__version__ = "0.1.0"
