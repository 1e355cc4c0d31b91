"""Callmeter: open-source call accounting. This package holds only what every part shares:
the canonical call leg, the warehouse decision, the site configuration and the CLI."""

__version__ = "0.1.0"
