"""Landing raw call records: pure parsers (extractors.parsers) and dlt sources. Never imports dagster."""
