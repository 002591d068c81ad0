"""Applying the privacy journal again, after a restore brought erased people back.

Idempotent: what is erased stays erased, once. An entry applies only to the row it was
written for (same id, same creation time); a row that is gone, or another person who has
the id now, is left alone. Runs inside each entry's municipality and flushes; the caller
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.audit.services import record
from app.core.db import db
from app.families.models import Family, Member
from app.privacy import journal
from app.privacy.services import blank_family, blank_member_data
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


@dataclass
class Reapplied:
    path: Path
    exists: bool
    entries: int = 0
    erasures: int = 0
    anonymisations: int = 0
    #: Entries whose row was erased or anonymised already.
    in_effect: int = 0
    #: Entries whose row this database does not hold (made after the backup, or another
    #: row now has the id).
    missing: int = 0
    damaged: int = 0

    @property
    def applied(self) -> int:
        return self.erasures + self.anonymisations

    def summary(self) -> str:
        line = (
            f"re-applied from the privacy journal: "
            f"{_count(self.erasures, 'erasure', 'erasures')}, "
            f"{_count(self.anonymisations, 'retention purge', 'retention purges')} "
            f"({_count(self.entries, 'entry', 'entries')}: {self.in_effect} already in effect, "
            f"{self.missing} not in this database"
            + (f", {self.damaged} unreadable lines skipped" if self.damaged else "")
            + f"; {self.path})"
        )
        if not self.exists:
            line += (
                f". There is no journal at {self.path}: if this server's journal was lost or "
                "is elsewhere, put its latest copy there and run `flask privacy reapply`"
            )
        return line


def reapply_journal() -> Reapplied:
    path = journal.journal_path()
    entries, damaged = journal.read(path)
    result = Reapplied(path=path, exists=path.exists(), entries=len(entries), damaged=damaged)
    municipalities = {m.id: m for m in db.session.scalars(select(Municipality))}
    for entry in entries:
        municipality = municipalities.get(entry.municipality_id)
        if municipality is None:
            result.missing += 1
            continue
        with tenant_scope(municipality):
            _apply(entry, result)
            # The audit event belongs to this municipality: out before the scope changes.
            db.session.flush()
    return result


def _apply(entry: journal.Entry, result: Reapplied) -> None:
    if entry.operation == "erasure":
        member = db.session.get(Member, entry.member_id)
        if member is None or (member.family_id, member.created_at) != (
            entry.family_id,
            entry.created(),
        ):
            result.missing += 1
        elif member.erased_at is not None:
            result.in_effect += 1
        else:
            blank_member_data(member)
            result.erasures += 1
            _record(entry, "member", member.id)
    else:
        family = db.session.get(Family, entry.family_id)
        if family is None or family.created_at != entry.created():
            result.missing += 1
        elif family.anonymised_at is not None:
            result.in_effect += 1
        else:
            blank_family(family)
            result.anonymisations += 1
            _record(entry, "family", family.id)


def _record(entry: journal.Entry, object_type: str, object_id: int) -> None:
    record(
        "privacy.reapplied",
        municipality_id=entry.municipality_id,
        object_type=object_type,
        object_id=object_id,
        details={"operation": entry.operation, "reason": entry.reason, "made_at": entry.at},
    )
