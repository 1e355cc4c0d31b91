"""Deduplication of a batch on its natural key before dlt merges it."""

import pyarrow as pa

from extractors.raw_tables import dedupe_on

KEY = ["tenant_id", "site_id", "source_record_id"]


def _batch(ids: list[str], durations: list[int]) -> pa.Table:
    return pa.table(
        {
            "tenant_id": ["acme"] * len(ids),
            "site_id": ["london"] * len(ids),
            "source_record_id": ids,
            "duration_seconds": durations,
        }
    )


def test_a_leg_repeated_in_one_batch_keeps_its_last_version_in_place() -> None:
    deduped = dedupe_on(_batch(["a", "b", "a", "c"], [1, 2, 3, 4]), KEY)
    assert deduped.column("source_record_id").to_pylist() == ["b", "a", "c"]
    assert deduped.column("duration_seconds").to_pylist() == [2, 3, 4]


def test_a_batch_without_repeats_is_returned_unchanged() -> None:
    batch = _batch(["a", "b", "c"], [1, 2, 3])
    assert dedupe_on(batch, KEY).equals(batch)


def test_the_same_record_id_at_another_site_is_another_leg() -> None:
    batch = _batch(["a", "a"], [1, 2]).set_column(1, "site_id", pa.array(["london", "leeds"]))
    assert dedupe_on(batch, KEY).num_rows == 2
