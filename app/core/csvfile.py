"""The one CSV writer: every CSV the application produces is written here.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so a value typed into Helhed (an e-mail address, a note, a goal)
could reach whoever opens an export as ``=HYPERLINK(...)``. Such a text cell gets a
leading apostrophe, which spreadsheets read as "this is text" (OWASP's advice on CSV
injection). Numbers stay numbers: ``-3`` is never a formula, and the research package's
numeric columns must stay valid for R, Stata, pandas and its Table Schema.

A download view says it serves CSV with :func:`serves_csv`; :func:`response` refuses to
run under any other, so every CSV route is declared and tests/test_csv_safety.py can
download each one.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Protocol, TypeVar

from flask import Response, current_app, request, stream_with_context

#: What a CSV file is, to a browser and in the research package's ``datapackage.json``.
MEDIA_TYPE = "text/csv"
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(FORMULA_START)
# ASCII digits only: a number every spreadsheet reads as a number (-3, -1.5, -1e-05), never
# as a formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: Rows a streamed download sends at a time.
BATCH = 500

View = TypeVar("View", bound=Callable[..., Any])


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any]) -> Any: ...


def neutralise(text: str) -> str:
    """*text* with a leading apostrophe if a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def cell(value: Any) -> Any:
    """*value* as it is safe to write. Runs for every cell, so the common cases come first."""
    if isinstance(value, str):
        return neutralise(value) if value[:1] in _FORMULA_CHARS else value
    if value is None or isinstance(value, int):
        return value  # bool is an int; the csv module writes None as an empty cell
    if isinstance(value, float) and math.isfinite(value):
        return value
    # Anything else is written as its text ("-inf" is a formula to Excel).
    return neutralise(str(value))


class _SafeWriter:
    def __init__(self, stream: IO[str], lineterminator: str) -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows([cell(value) for value in row] for row in rows)


def writer(stream: IO[str], *, lineterminator: str = "\r\n") -> _SafeWriter:
    """A ``csv.writer`` on *stream* whose every cell is neutralised (lines end in
    *lineterminator*: the research package's follow PostgreSQL's COPY, ``\\n``)."""
    return _SafeWriter(stream, lineterminator)


def lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """*rows* (the header first) as CSV text, :data:`BATCH` rows at a time (a generator)."""
    buffer = io.StringIO()
    out = writer(buffer)
    for count, row in enumerate(rows, 1):
        out.writerow(row)
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def serves_csv(view: View) -> View:
    """Declare a view a CSV download (directly, or as a zip of CSV files)."""
    view.serves_csv = True  # type: ignore[attr-defined]
    return view


def response(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV download of *rows*, streamed; the current view must be :func:`serves_csv`."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "serves_csv", False):
        raise RuntimeError(f"{request.endpoint} serves a CSV but is not marked @serves_csv")
    return Response(
        stream_with_context(lines(rows)),
        mimetype=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def read_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """The rows of a CSV *text* someone uploaded (an import): read here, where CSV is
    written, so every use of the csv module is in one place."""
    return csv.reader(io.StringIO(text), delimiter=delimiter)
