"""The spool: every line on disk before processing, durable cursors, rotation, torn tails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractors.spool import (
    Position,
    SpoolError,
    SpoolReader,
    SpoolWriter,
    StreamKey,
    spool_batches,
    streams,
)

KEY = StreamKey("acme", "london", "mitel")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_lines_written_are_read_back_in_order_with_their_arrival_time(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, KEY)
    writer.append(b"first line", T0)
    writer.append(b"with \n newline and \x00 nul", T0)
    writer.sync()
    records = SpoolReader(tmp_path, KEY).read_new("rules")
    assert [r.payload for r in records] == [b"first line", b"with \n newline and \x00 nul"]
    assert records[0].arrived_at == T0 and not records[0].is_reject


def test_a_committed_cursor_survives_a_new_reader_and_only_new_records_come_back(
    tmp_path: Path,
) -> None:
    writer = SpoolWriter(tmp_path, KEY)
    for n in range(5):
        writer.append(f"line {n}".encode(), T0)
    writer.sync()
    reader = SpoolReader(tmp_path, KEY)
    first = reader.read_new("ingest", max_records=3)
    reader.commit("ingest", first[-1].end)
    again = SpoolReader(tmp_path, KEY).read_new("ingest")
    assert [r.payload for r in again] == [b"line 3", b"line 4"]
    assert SpoolReader(tmp_path, KEY).read_new("other")[0].payload == b"line 0"


def test_an_over_long_line_is_cut_off_and_spooled_as_a_reject_with_the_reason(
    tmp_path: Path,
) -> None:
    writer = SpoolWriter(tmp_path, KEY, max_line_bytes=16)
    writer.append(b"x" * 100, T0)
    writer.sync()
    [record] = SpoolReader(tmp_path, KEY).read_new("c")
    assert record.is_reject and record.payload == b"x" * 16
    assert "100 bytes" in (record.reason or "") and "max_line_bytes" in (record.reason or "")


def test_segments_rotate_by_size_and_reading_crosses_them(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, KEY, segment_bytes=100)
    for n in range(20):
        writer.append(f"record number {n:03d}".encode(), T0)
    writer.sync()
    assert len(list(writer.directory.glob("*.seg"))) > 3
    records = SpoolReader(tmp_path, KEY).read_new("c")
    assert [r.payload for r in records] == [f"record number {n:03d}".encode() for n in range(20)]


def test_segments_rotate_by_age(tmp_path: Path) -> None:
    now = [0.0]
    writer = SpoolWriter(tmp_path, KEY, segment_seconds=60, clock=lambda: now[0])
    writer.append(b"a", T0)
    now[0] = 61.0
    writer.append(b"b", T0)
    writer.sync()
    assert len(list(writer.directory.glob("*.seg"))) == 2


def test_a_torn_tail_is_invisible_to_readers_and_cut_when_the_writer_reopens(
    tmp_path: Path,
) -> None:
    writer = SpoolWriter(tmp_path, KEY)
    writer.append(b"complete", T0)
    writer.close()
    segment = next(writer.directory.glob("*.seg"))
    with open(segment, "ab") as handle:
        handle.write(b"L 1 50 -\npartial")  # a crash in the middle of a write
    assert [r.payload for r in SpoolReader(tmp_path, KEY).read_new("c")] == [b"complete"]
    again = SpoolWriter(tmp_path, KEY)
    again.append(b"after restart", T0)
    again.sync()
    payloads = [r.payload for r in SpoolReader(tmp_path, KEY).read_new("c")]
    assert payloads == [b"complete", b"after restart"]


def test_spool_batches_hand_lines_and_rejects_to_ingest_and_commit_moves_on(
    tmp_path: Path,
) -> None:
    writer = SpoolWriter(tmp_path, KEY)
    writer.append(b"line one\r", T0)
    writer.append(b"half a li", T0, reason="partial line at disconnect")
    writer.append(b"line two", T0)
    writer.sync()
    [batch] = list(spool_batches(tmp_path, "ingest"))
    assert (batch.tenant_id, batch.site_id, batch.source_format) == ("acme", "london", "mitel")
    assert batch.data == b"line one\nline two\n"
    assert [r.reason for r in batch.rejects] == ["partial line at disconnect"]
    assert list(spool_batches(tmp_path, "ingest"))  # not committed yet: comes back
    batch.commit()
    assert list(spool_batches(tmp_path, "ingest")) == []


def test_prune_keeps_segments_a_consumer_still_needs(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, KEY, segment_bytes=50)
    for n in range(10):
        writer.append(f"record {n}".encode(), T0)
    writer.sync()
    reader = SpoolReader(tmp_path, KEY)
    records = reader.read_new("a")
    reader.commit("a", records[5].end)
    reader.prune(["a", "b"])  # b has read nothing: nothing may go
    assert [r.payload for r in reader.read_new("b")][0] == b"record 0"
    reader.commit("b", records[5].end)
    assert reader.prune(["a", "b"]) > 0
    assert [r.payload for r in reader.read_new("a")] == [
        f"record {n}".encode() for n in range(6, 10)
    ]


def test_a_stream_name_that_would_escape_the_spool_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpoolError, match="characters"):
        SpoolWriter(tmp_path, StreamKey("..", "london", "mitel"))


def test_streams_lists_every_stream_with_segments(tmp_path: Path) -> None:
    SpoolWriter(tmp_path, KEY).close()
    SpoolWriter(tmp_path, StreamKey("globex", "berlin", "3cx")).close()
    assert streams(tmp_path) == [
        StreamKey("acme", "london", "mitel"),
        StreamKey("globex", "berlin", "3cx"),
    ]
    assert Position(1, 5) < Position(2, 0)
