"""Where tests find the repository and the shared test data.

The test data (clips, photos) is not in the repository: it is ``../shared/testdata`` beside it, or the folder
named by ``CLASSROOM_TESTDATA`` (e.g. for a git worktree that lives elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = Path(os.environ.get("CLASSROOM_TESTDATA") or REPO_ROOT / ".." / "shared" / "testdata").resolve()
ARTIFACTS = REPO_ROOT / "test-artifacts"


def testdata(relative: str) -> Path:
    """A file under the test data folder; fails with a clear message when the folder is missing."""
    if not TESTDATA.is_dir():
        raise FileNotFoundError(
            f"test data folder {TESTDATA} is missing: the tests read ../shared/testdata beside the repo "
            "(or the folder CLASSROOM_TESTDATA names)"
        )
    path = TESTDATA / relative
    if not path.exists():
        raise FileNotFoundError(f"test data file {path} is missing")
    return path
