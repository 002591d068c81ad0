"""The privacy journal: erasures and retention purges that a restore must not undo.

A restore brings back the database as it was when the backup was made, people erased
since included. Every erasure and purge is also written to an append-only journal beside
the database, and the restore applies it again. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select, text

from app.backup.services import code_revisions
from app.core.db import db
from app.families.models import Family, Member
from app.privacy.services import REMOVED
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.apps import owner_engine

TODAY = "2026-02-01"


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def succeeded(result: Result) -> str:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture
def owner(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """Backups and restores run as the table owner, as an operator runs them."""
    owner_url = app_ctx.config.get("TEST_OWNER_DATABASE_URL")
    if owner_url:
        monkeypatch.setitem(app_ctx.config, "SQLALCHEMY_DATABASE_URI", owner_url)
    yield app_ctx


@pytest.fixture
def people(owner: Flask, make_family: Any, municipalities: Any) -> dict[str, Any]:
    """A current family of two adults and a child in Brøndby, with CPR numbers, and a
    family that left Vejle in 2020, long past its retention period."""
    current = make_family("brondby", label="Familien Andersen", adults=2, children=1)
    old = make_family("vejle", label="Familien Gammel", enrolment=date(2019, 1, 10))
    with tenant_scope(municipalities["vejle"]):
        family = db.session.get(Family, old.id)
        family.exit_date, family.status = date(2020, 6, 30), "exited"
        db.session.commit()
    with tenant_scope(municipalities["brondby"]):
        family = db.session.get(Family, current.id)
        adults = sorted((m for m in family.members if m.role == "adult"), key=lambda m: m.id)
        for adult in adults:
            adult.cpr = "010190-1234"
        db.session.commit()
        return {
            "erased": adults[0].id,
            "kept": adults[1].id,
            "family": current.id,
            "old_family": old.id,
        }


def municipality(slug: str) -> Municipality:
    # Looked up again each time: a restore closes the session the fixtures' objects had.
    return db.session.scalar(select(Municipality).filter_by(slug=slug))


def member_state(municipalities: Any, member_id: int) -> tuple[str, str | None, bool]:
    db.session.expire_all()
    with tenant_scope(municipality("brondby")):
        member = db.session.get(Member, member_id)
        return member.name, member.cpr, member.erased_at is not None


def family_state(municipalities: Any, family_id: int) -> tuple[str, bool, list[str]]:
    db.session.expire_all()
    with tenant_scope(municipality("vejle")):
        family = db.session.get(Family, family_id)
        return family.label, family.anonymised_at is not None, [m.name for m in family.members]


def erase(app: Flask, member_id: int, reason: str = "sag 2026-17") -> str:
    return succeeded(
        cli(
            *(app, "privacy", "erase", "--municipality", "brondby"),
            *("--member", str(member_id), "--reason", reason, "--yes"),
        )
    )


def journal(app: Flask) -> list[dict[str, Any]]:
    path = Path(app.config["PRIVACY_JOURNAL"])
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_restore_of_an_older_backup_erases_the_erased_people_again(
    owner: Flask, people: dict[str, Any], municipalities: Any, tmp_path: Path
) -> None:
    out = tmp_path / "before-erasure.backup"
    succeeded(cli(owner, "backup", "create", "--out", str(out)))

    erase(owner, people["erased"])
    assert "1 families anonymised" in succeeded(cli(owner, "privacy", "purge", "--today", TODAY))
    assert member_state(municipalities, people["erased"])[2]

    asked = cli(owner, "backup", "restore", str(out))
    assert asked.exit_code == 0 and "privacy journal (2 entries), which are applied" in asked.output

    output = succeeded(cli(owner, "backup", "restore", str(out), "--yes"))
    assert "verified" in output
    name, cpr, erased = member_state(municipalities, people["erased"])
    assert (name, cpr, erased) == (f"{REMOVED} #{people['erased']}", None, True)
    assert "re-applied from the privacy journal: 1 erasure, 1 retention purge" in output
    label, anonymised, names = family_state(municipalities, people["old_family"])
    assert label == f"{REMOVED} #{people['old_family']}" and anonymised
    assert all(n.startswith(REMOVED) for n in names)
    # Erasure is of one person: the other adult is as the backup had them.
    assert member_state(municipalities, people["kept"]) == (
        "Voksen 2 Familien Andersen",
        "010190-1234",
        False,
    )
    # The restore itself wrote nothing to the journal: it only reads it.
    assert len(journal(owner)) == 2

    # Applying it again changes nothing: what is erased stays erased, once.
    again = succeeded(cli(owner, "privacy", "reapply"))
    assert "0 erasures, 0 retention purges (2 entries: 2 already in effect" in again


def test_the_journal_holds_ids_only_and_only_its_owner_reads_it(
    owner: Flask, people: dict[str, Any], municipalities: Any
) -> None:
    erase(owner, people["erased"], reason="sag 2026-17 Voksen 1 Familien Andersen")
    succeeded(cli(owner, "privacy", "purge", "--today", TODAY))
    path = Path(owner.config["PRIVACY_JOURNAL"])
    assert path.stat().st_mode & 0o777 == 0o600
    raw = path.read_text(encoding="utf-8")
    for personal in ("Andersen", "Gammel", "Voksen", "010190", "sag 2026"):
        assert personal not in raw
    brondby, vejle = municipalities["brondby"].id, municipalities["vejle"].id
    assert [
        (e["operation"], e["municipality_id"], e["family_id"], e.get("member_id"), e["reason"])
        for e in journal(owner)
    ] == [
        ("erasure", brondby, people["family"], people["erased"], "request"),
        ("anonymisation", vejle, people["old_family"], None, "retention"),
    ]


def test_an_erasure_from_the_admins_page_is_journalled_too(
    owner: Flask,
    people: dict[str, Any],
    municipalities: Any,
    client: Any,
    auth: Any,
    make_user: Any,
) -> None:
    admin = make_user(municipalities["brondby"], "admin")
    auth.login(admin.email)
    done = client.post(
        f"/brondby/privacy/members/{people['erased']}", data={"reason": "sag 9", "confirm": "y"}
    )
    assert done.status_code == 302, done.location
    assert "/families/" in done.location, done.location
    assert [e["member_id"] for e in journal(owner)] == [people["erased"]]


def test_an_erasure_that_cannot_be_journalled_is_not_made(
    owner: Flask,
    people: dict[str, Any],
    municipalities: Any,
    tmp_path: Path,
    monkeypatch: Any,
    client: Any,
    auth: Any,
    make_user: Any,
) -> None:
    # A directory where the journal file should be: the write fails.
    monkeypatch.setitem(owner.config, "PRIVACY_JOURNAL", str(tmp_path))
    result = cli(
        *(owner, "privacy", "erase", "--municipality", "brondby"),
        *("--member", str(people["erased"]), "--reason", "sag 1", "--yes"),
    )
    assert result.exit_code == 1
    assert "privacy journal" in result.output and "nothing was erased" in result.output
    assert member_state(municipalities, people["erased"])[2] is False

    auth.login(make_user(municipalities["brondby"], "admin").email)
    page = client.post(
        f"/brondby/privacy/members/{people['erased']}", data={"reason": "sag 1", "confirm": "y"}
    )
    assert page.status_code == 503
    assert "Intet er slettet" in page.get_data(as_text=True)
    assert member_state(municipalities, people["erased"]) == (
        "Voksen 1 Familien Andersen",
        "010190-1234",
        False,
    )


def test_an_entry_for_a_row_that_is_not_the_journalled_one_is_never_applied(
    owner: Flask, people: dict[str, Any], municipalities: Any
) -> None:
    """An id can come back after a restore (the backup's sequences) for another person:
    the entry names the row by its id and its creation time, and both must match."""
    erase(owner, people["erased"])
    path = Path(owner.config["PRIVACY_JOURNAL"])
    (entry,) = journal(owner)
    other = {**entry, "member_id": people["kept"]}
    gone = {**entry, "member_id": people["kept"] + 1000, "family_id": people["family"] + 1000}
    with path.open("a", encoding="utf-8") as handle:
        for line in (other, gone):
            handle.write(json.dumps(line) + "\n")

    output = succeeded(cli(owner, "privacy", "reapply"))
    assert "0 erasures, 0 retention purges (3 entries: 1 already in effect, 2 not" in output
    assert member_state(municipalities, people["kept"])[0] == "Voksen 2 Familien Andersen"


def test_a_restore_of_an_older_revision_reapplies_the_journal_after_the_upgrade(
    owner: Flask, people: dict[str, Any], municipalities: Any, tmp_path: Path
) -> None:
    heads, known = code_revisions()
    older = sorted(known - set(heads))[-1]

    def set_revision(revision: str) -> None:
        with owner_engine(owner).begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})

    set_revision(older)
    try:
        out = tmp_path / "older.backup"
        succeeded(cli(owner, "backup", "create", "--out", str(out)))
        erase(owner, people["erased"])
        output = succeeded(cli(owner, "backup", "restore", str(out), "--yes"))
        # The older schema may not take today's code: the journal waits for the upgrade.
        assert "flask db upgrade" in output and "flask privacy reapply" in output
        assert not member_state(municipalities, people["erased"])[2]
    finally:
        set_revision(heads[0])
    output = succeeded(cli(owner, "privacy", "reapply"))
    assert "1 erasure, 0 retention purges" in output
    assert member_state(municipalities, people["erased"])[2]
