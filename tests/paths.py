"""Where the tests find the repository and their fixtures."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PBX = FIXTURES / "pbx"
