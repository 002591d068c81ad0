""" "Today" is Copenhagen's day everywhere, not the server's (often UTC, an hour or two
behind): due dates, windows, overdue and the research figures.

The clock is moved with ``time-machine``, so the application reads the real ``datetime``
and ``time`` at the instants tested; nothing in the application is replaced.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from app.api.tokens import create_token
from app.core import dates
from app.core.db import db
from app.families.models import Wave
from app.reports.sql import local_date
from app.tenancy.scoping import tenant_scope, unscoped

APP = Path(__file__).resolve().parent.parent / "app"
#: A winter day (CET, UTC+1) and a summer day (CEST, UTC+2) as a window's last day.
LAST_DAYS = (date(2027, 1, 15), date(2027, 7, 15))


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _midnight_after(day: date) -> datetime:
    """The instant (in UTC) at which *day* ends in Copenhagen."""
    following = day + timedelta(days=1)
    local = datetime(following.year, following.month, following.day, tzinfo=dates.time_zone())
    return local.astimezone(UTC)


def test_no_module_reads_the_servers_day() -> None:
    """Only app/core/dates.py turns the clock into a day; a timestamp in UTC is fine."""
    reads = re.compile(r"\b(date|datetime)\.today\(\)|\bdatetime\.now\(\)|\butcnow\(\)\.date\(\)")
    found = [
        f"{path.relative_to(APP.parent)}:{number}"
        for path in sorted(APP.rglob("*.py"))
        if path.name != "dates.py" or path.parent.name != "core"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reads.search(line)
    ]
    assert not found, "the server's day read outside app/core/dates.py:\n" + "\n".join(found)
    # The scan sees what it looks for: the one module allowed to read the clock does.
    assert "datetime.now(" in (APP / "core" / "dates.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("last_day", LAST_DAYS)
def test_the_day_turns_at_copenhagens_midnight(app, last_day: date) -> None:
    midnight = _midnight_after(last_day)
    # 23:00 UTC in winter, 22:00 UTC in summer: before it the server's UTC day agrees.
    assert midnight.hour == (23 if last_day.month == 1 else 22)
    with app.app_context():
        with time_machine.travel(midnight - timedelta(seconds=1), tick=False):
            assert dates.today() == last_day
        with time_machine.travel(midnight, tick=False):
            assert dates.today() == last_day + timedelta(days=1)
            assert datetime.now(UTC).date() == last_day  # the server's day lags behind


@pytest.mark.parametrize("last_day", LAST_DAYS)
def test_at_half_past_eleven_utc_on_a_windows_last_day_the_wave_is_overdue(
    app_ctx, client, auth, make_user, make_family, municipalities, last_day: date
) -> None:
    """At 23:30 UTC on the last day of a follow-up's window it is already the next day in
    Copenhagen: the page, the API and the dashboard say the wave is overdue; an hour
    earlier (22:30 UTC in summer is 00:30 the next day, so 21:30) it is still due."""
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family = make_family("brondby")
    # A token made ten days before, as a client's would be: one made today would have
    # expired by the day tested.
    with (
        time_machine.travel(_utc(last_day - timedelta(days=10), 12), tick=False),
        tenant_scope(brondby),
    ):
        _, token = create_token(lead, brondby, "test", 30)
        db.session.commit()
    with unscoped("test: put the window's end on the day tested"):
        wave = db.session.scalars(
            select(Wave).where(Wave.family_id == family.id, Wave.kind == "follow_up")
        ).first()
        db.session.execute(
            update(Wave)
            .where(Wave.id == wave.id)
            .values(
                window_start=last_day - timedelta(days=60),
                due_date=last_day - timedelta(days=30),
                window_end=last_day,
            )
        )
        db.session.commit()
        wave_id = wave.id
    before = _midnight_after(last_day) - timedelta(minutes=30)  # 23:30 in Copenhagen
    after = _utc(last_day, 23, 30)  # the next day in Copenhagen, still the last in UTC
    seen = {}
    for moment in (before, after):
        with time_machine.travel(moment, tick=False):
            response = client.get(
                f"/api/v1/brondby/families/{family.id}/waves",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
            seen[moment] = next(w for w in response.get_json() if w["id"] == wave_id)["status"]
    assert seen == {before: "due", after: "overdue"}

    for moment, expected in ((before, "due"), (after, "overdue")):
        with time_machine.travel(moment, tick=False):
            with tenant_scope(brondby, lead.id):
                row = db.session.get(Wave, wave_id)
                assert row.status(dates.today()) == expected
            assert auth.login(lead.email).status_code == 302
            page = client.get(f"/brondby/families/{family.id}").get_data(as_text=True)
            heading = re.search(
                rf'id="wave-title-{wave_id}">[^<]*<span class="status status-(\w+)"', page
            )
            assert heading is not None and heading.group(1) == expected, expected
            # The home page's work lists show the wave with the same status: due while the
            # window is open, overdue after.
            home = client.get("/brondby/").get_data(as_text=True)
            row = re.search(
                rf'#wave-{wave_id}">[^<]*</a></td><td>[^<]*</td>'
                r'<td><span class="status status-(\w+)"',
                home,
            )
            assert row is not None and row.group(1) == expected, expected
            auth.logout()


@pytest.mark.parametrize("last_day", LAST_DAYS)
def test_the_database_reads_a_stored_moment_as_copenhagens_day(
    app_ctx, make_family, last_day: date
) -> None:
    """local_date() in SQL (the indicators) and local_day() in Python (the package) agree,
    on both databases, either side of midnight in winter and in summer."""
    family = make_family("brondby")
    midnight = _midnight_after(last_day)
    moments = [
        _utc(last_day, 12),
        midnight - timedelta(minutes=1),
        midnight,
        midnight + timedelta(minutes=59),
    ]
    with unscoped("test: completion moments"):
        waves = db.session.scalars(
            select(Wave).where(Wave.family_id == family.id).order_by(Wave.id)
        ).all()
        for wave, moment in zip(waves, moments, strict=False):
            wave.completed_at = moment
        db.session.commit()
        rows = db.session.execute(
            select(Wave.completed_at, local_date(Wave.completed_at)).where(
                Wave.family_id == family.id, Wave.completed_at.is_not(None)
            )
        ).all()
    assert len(rows) == len(moments)
    for moment, day in rows:
        day = day if isinstance(day, date) else date.fromisoformat(day)
        assert day == dates.local_day(moment), moment
    assert {dates.local_day(m) for m in moments} == {last_day, last_day + timedelta(days=1)}
