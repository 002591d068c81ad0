"""A production install from the wheel carries the compiled Danish catalogue.

The repository keeps only the .po files (compiled catalogues are built, not committed);
the build compiles them (``setup.py``). The wheel is built from the files git knows, as
a fresh clone has them, without any .mo a developer compiled.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from tests.support.apps import missing_service

#: Building a wheel takes seconds: left out of `make test-quick`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_every_compiled_catalogue(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        missing_service("git and a git checkout: the wheel is built from the files git knows")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    source = tmp_path / "source"
    for name in listed:
        if name.endswith(".mo") or not (ROOT / name).is_file():
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("helhed-*.whl")
    catalogues = sorted(ROOT.glob("app/translations/*/LC_MESSAGES/messages.po"))
    assert catalogues
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for po in catalogues:
            mo = po.with_suffix(".mo").relative_to(ROOT).as_posix()
            assert mo in names, f"{mo} is not in the wheel"
            catalogue = read_mo(io.BytesIO(archive.read(mo)))
            if po.parts[-3] == "da":
                assert catalogue.get("ready").string == "klar"
