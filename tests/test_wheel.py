"""A production install from the wheel carries the compiled Danish catalogue.

The repository keeps only the .po files (compiled catalogues are built, not committed);
the build compiles them (``setup.py``). The wheel is built from the files git knows, as
a fresh clone has them, without any .mo a developer compiled.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from tests.support.wheel import release_wheel

#: Building a wheel takes seconds: left out of `make test-quick`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_every_compiled_catalogue():
    wheel = release_wheel()
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


def test_the_wheel_carries_what_the_application_reads_beside_its_package():
    with zipfile.ZipFile(release_wheel()) as archive:
        names = set(archive.namelist())
    assert "wsgi.py" in names
    # Every file of the package the code reads, not only its modules.
    data = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "app").rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc", ".mo", ".pot")
        and "bundled" not in path.parts
    }
    assert data and not data - names, sorted(data - names)[:5]
    for folder in ("templates", "migrations", "forms", "municipalities"):
        shipped = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        assert shipped, folder
        missing = {name for name in shipped if f"app/bundled/{name}" not in names}
        assert not missing, f"not in the wheel: {sorted(missing)[:5]}"
