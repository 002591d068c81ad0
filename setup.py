"""The build compiles the translations: a wheel carries each catalogue's .mo, which the
repository does not (compiled catalogues are built, not committed). It also copies what the
application reads from the source tree beside ``app/`` (the templates, the migrations, the
form definitions and the municipalities' files) into the package as ``app/bundled``, so an
install from the wheel has them too (``app/config.py``). Everything else about the package
is in pyproject.toml."""

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

#: The folders beside ``app/`` that the application reads.
BUNDLED = ("templates", "migrations", "forms", "municipalities")
SKIPPED = ("__pycache__", "*.pyc")


class build_py_with_catalogues(build_py):
    def run(self) -> None:
        for po in Path("app/translations").glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parts[-3])
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalogue)
        super().run()
        if self.editable_mode:
            return  # an editable install reads the source tree itself
        bundled = Path(self.build_lib) / "app" / "bundled"
        for folder in BUNDLED:
            shutil.rmtree(bundled / folder, ignore_errors=True)
            shutil.copytree(folder, bundled / folder, ignore=shutil.ignore_patterns(*SKIPPED))


setup(cmdclass={"build_py": build_py_with_catalogues})
