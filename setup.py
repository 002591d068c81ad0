"""The build compiles the translations: a wheel carries each catalogue's .mo, which the
repository does not (compiled catalogues are built, not committed). Everything else about
the package is in pyproject.toml."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogues(build_py):
    def run(self) -> None:
        for po in Path("app/translations").glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parts[-3])
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalogue)
        super().run()


setup(cmdclass={"build_py": build_py_with_catalogues})
