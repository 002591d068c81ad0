"""The wheel, built as a release is: from the files git knows, as a fresh clone has them,
without anything a developer compiled or generated in the working tree."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.apps import missing_service

ROOT = Path(__file__).resolve().parent.parent.parent


@functools.cache
def release_wheel() -> Path:
    """The wheel, built once per test run (the tests only read it)."""
    return build_wheel(Path(tempfile.mkdtemp(prefix="helhed-wheel-")))


def build_wheel(folder: Path) -> Path:
    """Build ``helhed-*.whl`` into *folder* and return it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        missing_service("git and a git checkout: the wheel is built from the files git knows")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    source = folder / "source"
    for name in listed:
        if name.endswith(".mo") or not (ROOT / name).is_file():
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    shutil.rmtree(source)
    (wheel,) = folder.glob("helhed-*.whl")
    return wheel
