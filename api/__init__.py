"""Callmeter's read-only HTTP API over the marts and the sidecar's live state (docs/api.md)."""
