"""Landing chosen records of the CUCM sample (its header and types lines kept) into a warehouse."""

from pathlib import Path

from callmeter.config import load_config
from callmeter.settings import Warehouse
from extractors.inbox import SourceFile, land_files
from tests.paths import FIXTURES, PBX

CONFIG = load_config(FIXTURES / "callmeter.yaml")


def cucm_sample_records() -> list[str]:
    """The CDR lines of the CUCM sample (three legs), without its header and types lines."""
    return (PBX / "cucm/cdr.txt").read_text().splitlines()[2:]


def land_cucm_records(warehouse: Warehouse, folder: Path, name: str, records: list[str]) -> None:
    """Write the records as a CUCM file `name` in folder and land it for acme/portland."""
    header, types = (PBX / "cucm/cdr.txt").read_text().splitlines()[:2]
    path = folder / name
    path.write_text("\n".join([header, types, *records]) + "\n")
    land_files(
        warehouse,
        CONFIG,
        [SourceFile(path, "cucm", "acme", "portland")],
        pipelines_dir=str(folder / "dlt"),
    )
