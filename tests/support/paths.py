"""Where tests find the repository and the shared test data."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = (REPO_ROOT / ".." / "shared" / "testdata").resolve()
ARTIFACTS = REPO_ROOT / "test-artifacts"


def testdata(relative: str) -> Path:
    """A file under ../shared/testdata; fails with a clear message when the folder is missing."""
    if not TESTDATA.is_dir():
        raise FileNotFoundError(
            f"test data folder {TESTDATA} is missing: the tests read ../shared/testdata beside the repo"
        )
    path = TESTDATA / relative
    if not path.exists():
        raise FileNotFoundError(f"test data file {path} is missing")
    return path
