"""The only Dagster code location: orchestration.definitions."""
