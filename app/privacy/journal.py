"""The privacy journal: erasures and retention purges, kept where a restore cannot reach.

A restore puts the database back as the backup had it, and with it everyone erased or
anonymised since. So every erasure and anonymisation is also appended to a file beside
the database (``PRIVACY_JOURNAL``, JSON lines with ids only, never a name), which no
restore replaces; the restore then applies the journal again (:mod:`app.privacy.reapply`).

An entry is written and on disk before the transaction that erases commits. If writing
fails, the caller rolls back and nothing is erased: an erasure without an entry is one a
restore would silently undo. If the commit fails after the write, the journal holds an
entry for an erasure that did not happen; applying it later erases a person whose erasure
was asked for, which is what the entry stands for.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from app.core.db import utcnow

#: What an entry records: a person's erasure on request, a family's anonymisation.
OPERATIONS = ("erasure", "anonymisation")


class JournalError(RuntimeError):
    """The journal cannot be written; the caller must not commit the erasure."""


@dataclass(frozen=True)
class Entry:
    operation: str
    municipality_id: int
    family_id: int
    #: The erased person; None for a family's anonymisation.
    member_id: int | None
    #: The erased row's creation time. With the id it names one row: a restore resets the
    #: ids' sequence, so a later person can get the same id, but not the same time.
    created_at: str
    #: A code, never the request's own words (which may name someone): request, retention.
    reason: str
    #: When the operation was made.
    at: str

    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


def journal_path() -> Path:
    return Path(current_app.config["PRIVACY_JOURNAL"])


def stamp(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def append(
    operation: str,
    *,
    municipality_id: int,
    family_id: int,
    member_id: int | None,
    created_at: datetime,
    reason: str,
) -> Entry:
    """Add one entry and wait until it is on disk; raises JournalError when it cannot."""
    assert operation in OPERATIONS, operation
    entry = Entry(
        operation=operation,
        municipality_id=municipality_id,
        family_id=family_id,
        member_id=member_id,
        created_at=stamp(created_at),
        reason=reason,
        at=stamp(utcnow()),
    )
    line = (json.dumps(asdict(entry), sort_keys=True) + "\n").encode()
    path = journal_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = not path.exists()
        # Owner-only: the ids say who in the municipality's records asked to be erased.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # One write of a whole line with O_APPEND: lines of two writers never mix.
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            # The new file's name is on disk too, not only its contents.
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except OSError as exc:
        raise JournalError(
            f"cannot write the privacy journal {path} ({exc.strerror or exc}); nothing was "
            "erased or anonymised. Check PRIVACY_JOURNAL and the file's permissions"
        ) from exc
    return entry


def read(path: Path | None = None) -> tuple[list[Entry], int]:
    """The journal's entries in order, and how many lines could not be read.

    An unreadable line is a write cut short by a crash, so its erasure never committed.
    """
    path = path or journal_path()
    if not path.exists():
        return [], 0
    entries, damaged = [], 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                fields = json.loads(raw)
                entry = Entry(**fields)
                entry.created()
                if entry.operation not in OPERATIONS:
                    raise ValueError(entry.operation)
            except (ValueError, TypeError):
                damaged += 1
                continue
            entries.append(entry)
    return entries, damaged
