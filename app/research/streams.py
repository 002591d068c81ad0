"""A statement's rows streamed as CSV into a file, by the database where it can.

On PostgreSQL the server writes the CSV: ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv)``
through psycopg's ``cursor.copy()`` on the session's own connection (so the tenant's
row-level security and the export's transaction are the session's), copied block by block
into the target. On SQLite the rows come a batch at a time from a cursor and the csv
module writes them. Either way nothing but a block or a batch is in memory.

The statement's columns are the cells already (:mod:`app.research.cells`): text, or NULL
for an empty cell. Lines end in ``\\n`` from PostgreSQL and ``\\r\\n`` from SQLite; both
are CSV (RFC 4180 readers take either).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select

from app.core import csvfile
from app.core.db import db


def write_csv(
    statement: Select[Any],
    target: IO[bytes],
    every: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write *statement*'s rows to *target*; call *progress* every *every* rows. Returns
    the number of lines written (on PostgreSQL a line break inside a quoted cell counts
    as a line: the count is only for the progress, never for the record)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection, statement, target, every, progress)
    return _fetch(connection, statement, target, every, progress)


def _copy(
    connection: Any,
    statement: Select[Any],
    target: IO[bytes],
    every: int,
    progress: Callable[[int], None] | None,
) -> int:
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = connection.connection.dbapi_connection.cursor()
    lines, reported = 0, 0
    copy_sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    with cursor.copy(copy_sql, compiled.params) as copy:
        for block in copy:
            target.write(block)
            lines += bytes(block).count(b"\n")
            while progress and lines - reported >= every:
                reported += every
                progress(reported)
    return lines


def _fetch(
    connection: Any,
    statement: Select[Any],
    target: IO[bytes],
    every: int,
    progress: Callable[[int], None] | None,
) -> int:
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)  # type: ignore[arg-type]
    # The cells are neutralised already (app.research.cells); the writer's own check
    # leaves such a cell as it is.
    writer = csvfile.writer(text)
    written = 0
    result = connection.execute(statement.execution_options(yield_per=every))
    for rows in result.partitions():
        writer.writerows(rows)
        written += len(rows)
        if progress and written % every == 0:
            progress(written)
    text.flush()
    text.detach()
    return written


class Tee(io.RawIOBase):
    """Writes into the zip member and into a scratch copy the Parquet file is made from."""

    def __init__(self, *targets: IO[bytes]):
        self.targets = targets

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        for target in self.targets:
            target.write(data)
        return len(data)


class HashingWriter(io.RawIOBase):
    """Counts and hashes what passes into a zip member."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        return self.target.write(data)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
