"""``flask privacy purge|erase|subject-access|rehash-cpr``: the data-protection work."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.services import find_user
from app.core import dates
from app.core.db import db
from app.families.models import Member
from app.families.services import hash_cpr_numbers
from app.privacy.journal import JournalError
from app.privacy.reapply import reapply_journal
from app.privacy.services import (
    ErasureError,
    erase_member,
    municipalities_in_order,
    purge,
    retention_months,
    subject_access,
)
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


@click.group(help="Retention, erasure and subject access.")
def privacy() -> None:
    pass


def _municipality(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        raise click.ClickException(f"no municipality with slug {slug!r}")
    return municipality


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="List what is due; change nothing.")
@click.option("--municipality", "slug", help="Only this municipality (default: all).")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Count the retention period up to this day (default: today).",
)
@with_appcontext
def purge_command(dry_run: bool, slug: str | None, today: object) -> None:
    """Remove names, CPR numbers and free text of families whose retention period after
    exit has run out (each municipality's `privacy.retention_months`)."""
    day = today.date() if today else dates.today()  # type: ignore[attr-defined]
    chosen = [_municipality(slug)] if slug else list(municipalities_in_order())
    total = 0
    for municipality in chosen:
        with tenant_scope(municipality):
            try:
                due = purge(municipality, day, dry_run=dry_run)
            except JournalError as exc:
                db.session.rollback()
                raise click.ClickException(str(exc)) from exc
            db.session.flush()
        months = retention_months(municipality)
        verb = "due" if dry_run else "anonymised"
        click.echo(f"{municipality.slug}: {len(due)} families {verb} (retention {months} months)")
        for item in due:
            click.echo(f"  family {item.family_id}: exit {item.exit_date}, due {item.due_since}")
        total += len(due)
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {total} families would be anonymised; nothing was changed")
    else:
        db.session.commit()
        click.echo(f"{total} families anonymised")


def _actor(email: str | None) -> int | None:
    if email is None:
        return None

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user.id


def _member(municipality: Municipality, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise click.ClickException(f"no person with id {member_id} in {municipality.slug}")
    return member


@privacy.command("erase")
@click.option("--municipality", "slug", required=True)
@click.option("--member", "member_id", type=int, required=True, help="The person's id.")
@click.option("--reason", required=True, help="Why, e.g. the request's case number.")
@click.option("--by", "by_email", help="E-mail of the user carrying it out (for the audit trail).")
@click.option("--yes", is_flag=True, help="Do it (without this, only say what would happen).")
@with_appcontext
def erase_command(slug: str, member_id: int, reason: str, by_email: str | None, yes: bool) -> None:
    """Erase one person's name, CPR number and free-text answers, on their request."""
    municipality = _municipality(slug)
    actor_id = _actor(by_email)
    with tenant_scope(municipality):
        member = _member(municipality, member_id)
        if not yes:
            click.echo(
                f"would erase person {member.id} ({member.role}) of family {member.family_id} "
                f"in {slug}: name, CPR number and free-text answers. Add --yes to do it."
            )
            return
        try:
            counts = erase_member(member, reason=reason, actor_id=actor_id)
        except (ErasureError, JournalError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"erased person {member_id}: {counts['answers']} free-text answers removed")


@privacy.command("reapply")
@with_appcontext
def reapply_command() -> None:
    """Apply the privacy journal's erasures and retention purges again (after a restore).

    `flask backup restore` does this itself; run it after restoring an older backup and
    `flask db upgrade`, or after putting a journal's copy in place."""
    result = reapply_journal()
    db.session.commit()
    click.echo(result.summary())


@privacy.command("subject-access")
@click.option("--municipality", "slug", required=True)
@click.option("--member", "member_id", type=int, required=True, help="The person's id.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)
@click.option("--by", "by_email", help="E-mail of the user carrying it out (for the audit trail).")
@with_appcontext
def subject_access_command(
    slug: str, member_id: int, out: Path, lang: str, by_email: str | None
) -> None:
    """Write everything held about one person to a JSON file (GDPR article 15)."""
    municipality = _municipality(slug)
    actor_id = _actor(by_email)
    with tenant_scope(municipality):
        member = _member(municipality, member_id)
        document = subject_access(member, actor_id=actor_id, language=lang)
        db.session.commit()
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"wrote {out} ({len(document['forms'])} forms)")


@privacy.command("rehash-cpr")
@click.option(
    "--only-missing",
    is_flag=True,
    help="Only the CPR numbers without a hash (default: every one, as after a key change).",
)
@with_appcontext
def rehash_cpr_command(only_missing: bool) -> None:
    """Write the keyed hashes the family search finds CPR numbers by.

    Run it after FIELD_ENCRYPTION_KEY changed (the hash key is derived from it), or for a
    database migrated without the key. The numbers themselves are neither shown nor logged."""
    written = 0
    for municipality in db.session.scalars(select(Municipality).order_by(Municipality.code)):
        with tenant_scope(municipality):
            written += hash_cpr_numbers(municipality, only_missing=only_missing)
            db.session.commit()
    click.echo(f"hashed {written} CPR numbers")
