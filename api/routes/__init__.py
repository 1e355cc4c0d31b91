"""One router per resource (docs/style.md, C12)."""
