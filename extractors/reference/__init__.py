"""Reference imports: rate cards, the directory, budgets and account codes (docs/imports.md).

Each import reads a whole file (pure: bytes in, typed rows or every problem out), refuses it
whole when anything is wrong, and only then lands it through dlt into raw.* (landing.py)."""

from .tabular import ImportRefused, Problem

__all__ = ["ImportRefused", "Problem"]
