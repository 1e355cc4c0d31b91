import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from callmeter.config import load_config
from callmeter.settings import Warehouse
from extractors.inbox import SourceFile, inbox_files, land_files
from extractors.warehouse_sql import query_rows
from tests.landing import cucm_sample_records, land_cucm_records
from tests.paths import FIXTURES, PBX

CONFIG = load_config(FIXTURES / "callmeter.yaml")


def _warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}")


def _count(warehouse: Warehouse, sql: str) -> int:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        return int(con.execute(sql).fetchall()[0][0])


@pytest.mark.integration
def test_landing_the_same_file_twice_leaves_the_same_rows(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    cdr = SourceFile(PBX / "cucm/cdr.txt", "cucm", "acme", "portland")
    for _ in range(2):
        land_files(warehouse, CONFIG, [cdr], pipelines_dir=str(tmp_path / "dlt"))
    assert _count(warehouse, "select count(*) from raw.cucm_call_legs") == 3
    assert _count(warehouse, "select count(distinct _dlt_load_id) from raw.cucm_call_legs") == 1


def _overlapping_landings(warehouse: Warehouse, tmp_path: Path) -> list[int]:
    """Land records 1-2 of the CUCM sample, then a file with record 2 again and record 3: a
    first landing appends, one that repeats a landed key merges (docs/adr/0001, 13)."""
    records = cucm_sample_records()
    counts = []
    for name, chosen in (("first.txt", records[:2]), ("second.txt", records[1:])):
        land_cucm_records(warehouse, tmp_path, name, chosen)
        sql = "select count(*), count(distinct source_record_id) from raw.cucm_call_legs"
        [(legs, distinct)] = query_rows(warehouse, sql)
        assert legs == distinct, "a leg landed twice"
        counts.append(int(legs))
    return counts


@pytest.mark.integration
def test_a_file_repeating_landed_legs_adds_only_the_new_ones_on_duckdb(tmp_path: Path) -> None:
    assert _overlapping_landings(_warehouse(tmp_path), tmp_path) == [2, 3]


@pytest.mark.integration
@pytest.mark.postgres
def test_a_file_repeating_landed_legs_adds_only_the_new_ones_on_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    assert _overlapping_landings(Warehouse.from_url(postgres_url), tmp_path) == [2, 3]


def _keys_landed_decisions(warehouse: Warehouse, tmp_path: Path) -> list[bool]:
    """Whether landing must merge: before anything landed, for a batch repeating a landed leg,
    and for a batch of new legs only (which is appended)."""
    from extractors.inbox import _lands_on_keys

    def batch(*ids: str) -> pa.Table:
        n = len(ids)
        return pa.table(
            {
                "tenant_id": ["acme"] * n,
                "site_id": ["portland"] * n,
                "source_format": ["cucm"] * n,
                "source_record_id": list(ids),
            }
        )

    before = _lands_on_keys(warehouse, "cucm_call_legs", batch("x"))
    land_cucm_records(warehouse, tmp_path, "cdr.txt", cucm_sample_records())
    [(landed,)] = query_rows(warehouse, "select min(source_record_id) from raw.cucm_call_legs")
    return [
        before,
        _lands_on_keys(warehouse, "cucm_call_legs", batch("new-1", landed)),
        _lands_on_keys(warehouse, "cucm_call_legs", batch("new-1", "new-2")),
    ]


@pytest.mark.integration
def test_only_a_batch_repeating_landed_legs_is_merged_on_duckdb(tmp_path: Path) -> None:
    assert _keys_landed_decisions(_warehouse(tmp_path), tmp_path) == [False, True, False]


@pytest.mark.integration
@pytest.mark.postgres
def test_only_a_batch_repeating_landed_legs_is_merged_on_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    decisions = _keys_landed_decisions(Warehouse.from_url(postgres_url), tmp_path)
    assert decisions == [False, True, False]


@pytest.mark.integration
def test_unreadable_records_land_in_rejected_records_with_their_reason(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    bad = tmp_path / "mixed.txt"
    lines = (PBX / "cucm/cdr.txt").read_text().splitlines()
    bad.write_text("\n".join([*lines, lines[2][:40]]) + "\n")  # plus a truncated record
    summary = land_files(
        warehouse,
        CONFIG,
        [SourceFile(bad, "cucm", "acme", "portland")],
        pipelines_dir=str(tmp_path / "dlt"),
    )
    assert summary.legs == {"cucm": 3}
    assert summary.rejects == {"cucm": 1}
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        [(reason, line_number, file_name)] = con.execute(
            "select reason, line_number, file_name from raw.rejected_records"
        ).fetchall()
    assert reason and line_number == len(lines) + 1 and file_name == "mixed.txt"


@pytest.mark.integration
def test_the_drop_folder_lands_each_file_once_even_when_it_is_dropped_again(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    folder = tmp_path / "inbox/acme/portland/cucm"
    folder.mkdir(parents=True)
    shutil.copy(PBX / "cucm/cdr.txt", folder / "cdr_1.txt")
    first = land_files(
        warehouse,
        CONFIG,
        inbox_files(tmp_path / "inbox"),
        only_new=True,
        pipelines_dir=str(tmp_path / "dlt"),
    )
    shutil.copy(PBX / "cucm/cdr.txt", folder / "cdr_1_resent.txt")  # same bytes, new name
    second = land_files(
        warehouse,
        CONFIG,
        inbox_files(tmp_path / "inbox"),
        only_new=True,
        pipelines_dir=str(tmp_path / "dlt"),
    )
    assert (first.files, first.total_legs) == (1, 3)
    assert (second.files, second.skipped_files) == (0, 2)
    assert _count(warehouse, "select count(*) from raw.ingested_files") == 1


def test_the_drop_folder_layout_gives_tenant_site_and_format(tmp_path: Path) -> None:
    (tmp_path / "acme/london/3cx").mkdir(parents=True)
    (tmp_path / "acme/london/3cx/cdr.log").write_text("")
    (tmp_path / "acme/london/3cx/.hidden").write_text("")
    (tmp_path / "acme/london/3cx/upload.part").write_text("")
    [found] = inbox_files(tmp_path)
    assert (found.tenant_id, found.site_id, found.source_format, found.path.name) == (
        "acme",
        "london",
        "3cx",
        "cdr.log",
    )


@pytest.mark.integration
def test_the_sidecars_spool_lands_once_with_its_rejects(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bench.generators.mitel import generate
    from extractors.inbox import land_spool
    from extractors.spool import SpoolWriter, StreamKey

    warehouse = _warehouse(tmp_path)
    spool = tmp_path / "spool"
    writer = SpoolWriter(spool, StreamKey("acme", "london", "mitel"))
    arrived = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    lines = generate(20, seed=3).splitlines()
    for line in lines:
        writer.append(line, arrived)
    writer.append(b"half a line at disconnect", arrived, reason="connection closed mid-line")
    writer.sync()
    writer.close()

    first = land_spool(warehouse, CONFIG, spool, pipelines_dir=str(tmp_path / "dlt"))
    second = land_spool(warehouse, CONFIG, spool, pipelines_dir=str(tmp_path / "dlt"))

    assert first.total_legs + first.total_rejects == len(lines) + 1
    assert second.files == 0 and second.total_legs == 0
    assert _count(warehouse, "select count(*) from raw.mitel_call_legs") == first.total_legs
    assert (
        _count(
            warehouse,
            "select count(*) from raw.rejected_records where reason = 'connection closed mid-line'",
        )
        == 1
    )


@pytest.mark.integration
def test_spooled_zoom_webhook_bodies_land_one_document_at_a_time(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from extractors.inbox import land_spool
    from extractors.spool import SpoolWriter, StreamKey

    warehouse = _warehouse(tmp_path)
    spool = tmp_path / "spool"
    writer = SpoolWriter(spool, StreamKey("acme", "portland", "zoom"))
    bodies = sorted((PBX / "zoom").glob("webhook_*_completed.json"))
    for body in bodies:
        writer.append(body.read_bytes().replace(b"\n", b""), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    writer.sync()
    writer.close()

    summary = land_spool(warehouse, CONFIG, spool, pipelines_dir=str(tmp_path / "dlt"))

    assert summary.rejects.get("zoom", 0) == 0
    assert summary.legs["zoom"] >= len(bodies)
