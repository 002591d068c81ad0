"""The status grid (families × waves) and its CSV: every cell agrees with ``Wave.status``
and with ``expected_in_wave`` on generated data; each member sees the families they may
see, never another municipality's; the CSV has the page's cells under a fixed header."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from flask import g
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.casework.status_grid import PAGE_SIZE, build, columns
from app.collection.services import expected_in_wave, submitted_in
from app.core import dates
from app.core.db import db
from app.demo.generate import generate
from app.families.models import WAVE_STATUSES, Family, Wave
from app.tenancy.scoping import tenant_scope, unscoped

FAMILIES = 130


@pytest.fixture
def generated(municipalities, forms_published, make_user):
    brondby = municipalities["brondby"]
    generate(brondby, FAMILIES, seed=5)
    db.session.commit()
    with tenant_scope(brondby):
        # A few overdue waves with a recorded reason, so every status occurs.
        for wave in db.session.scalars(
            select(Wave).where(Wave.status_is("overdue", dates.today())).limit(5)
        ):
            wave.missed_reason = "moved"
        db.session.commit()
    generate(municipalities["vejle"], 3, seed=6)
    db.session.commit()
    return brondby, make_user(brondby, "lead")


def _as(app, municipality, user):
    context = app.test_request_context()
    context.push()
    scope = tenant_scope(municipality, user.id)
    scope.__enter__()
    g.municipality = municipality
    g.membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    return lambda: (scope.__exit__(None, None, None), context.pop())


def _expected_cells(municipality) -> dict[int, dict[str, tuple[str, int]]]:
    """Every active family's waves, one at a time, the slow way the family page takes."""
    today = dates.today()
    found: dict[int, dict[str, tuple[str, int]]] = {}
    with tenant_scope(municipality):
        for family in db.session.scalars(select(Family).where(Family.status == "active")):
            cells = found[family.id] = {}
            for wave in family.waves:
                done = submitted_in(wave)
                missing = [
                    e
                    for e in expected_in_wave(municipality, wave, done)
                    if (e.version.form_id, e.member.id if e.member else None) not in done
                ]
                cells[wave.key] = (wave.status(today), len(missing))
    return found


def test_every_cell_agrees_with_the_wave_and_its_forms(app_ctx, generated):
    brondby, lead = generated
    expected = _expected_cells(brondby)
    statuses = {status for cells in expected.values() for status, _ in cells.values()}
    assert statuses == set(WAVE_STATUSES), statuses  # the data shows every status
    done = _as(app_ctx, brondby, lead)
    try:
        seen: dict[int, dict[str, tuple[str, int]]] = {}
        page = 1
        while True:
            grid = build(brondby, dates.today(), status=None, sort="label", page=page)
            assert len(grid.rows) <= PAGE_SIZE
            for row in grid.rows:
                assert row.family_id not in seen
                seen[row.family_id] = {
                    key: (cell.status, cell.missing) for key, cell in row.cells.items()
                }
            if page * PAGE_SIZE >= grid.total:
                break
            page += 1
        assert grid.total == len(expected) and page == 3
        assert seen == expected
        # Each status filter: exactly the families with a wave of that status.
        for status in WAVE_STATUSES:
            grid = build(brondby, dates.today(), status=status, sort="-enrolment", page=1)
            want = {
                f for f, cells in expected.items() if any(s == status for s, _ in cells.values())
            }
            assert grid.total == len(want), status
            assert {r.family_id for r in grid.rows} <= want
            dates_shown = [r.enrolment_date for r in grid.rows]
            assert dates_shown == sorted(dates_shown, reverse=True)
    finally:
        done()


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_page_and_the_csv_show_the_same_cells_under_a_fixed_header(
    app_ctx, client, auth, generated
):
    brondby, lead = generated
    expected = _expected_cells(brondby)
    auth.login(lead.email)
    page = client.get("/brondby/work/grid")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<caption>" in html and 'scope="row"' in html and 'scope="col"' in html
    # Titles, never keys: the columns read as the waves' names in Danish.
    assert "Indskrivning" in html and "follow_up_" not in html.replace("status-", "")
    with tenant_scope(brondby):
        families = {f.id: f for f in db.session.scalars(select(Family))}
    first_page = sorted(
        (f for f in families.values() if f.status == "active"), key=lambda f: (f.label, f.id)
    )[:PAGE_SIZE]
    for family in first_page:
        assert family.label in html
        for wave in family.waves:
            assert f'href="/brondby/families/{family.id}#wave-{wave.id}"' in html

    rows = _csv(client.get("/brondby/work/grid.csv"))
    header = rows[0]
    with tenant_scope(brondby):
        keys = columns(brondby)
    assert header[:2] == ["Familie", "Indskrevet"] and len(header) == 2 + len(keys)
    assert header[2] == "Indskrivning" and header[-1] == "Afslutning"
    labels = {f.label: f for f in families.values() if f.status == "active"}
    assert sorted(r[0] for r in rows[1:]) == sorted(labels)
    words = {
        "upcoming": "kommende",
        "due": "aktuel",
        "overdue": "over fristen",
        "missed": "ikke indsamlet",
        "completed": "gennemført",
    }
    for row in rows[1:]:
        family = labels[row[0]]
        assert row[1] == family.enrolment_date.isoformat()
        for key, text in zip(keys, row[2:], strict=True):
            if key not in expected[family.id]:
                assert text == ""
                continue
            status, missing = expected[family.id][key]
            assert text.startswith(words[status]), (key, text)
            if status != "completed" and missing:
                assert f"{missing} skema" in text
    # The same header whatever is filtered, also when nothing matches.
    for status in WAVE_STATUSES:
        assert _csv(client.get(f"/brondby/work/grid.csv?status={status}"))[0] == header
    # Each family in the file is a family read in the audit trail.
    db.session.rollback()
    with unscoped("test: the audit trail"):
        read = db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "family.viewed", AuditEvent.actor_id == lead.id
            )
        ).all()
    # Once for the whole file, once more for each filtered file the family is in.
    assert Counter(int(i) for i in read) == {
        f.id: 1 + len({status for status, _ in expected[f.id].values()}) for f in labels.values()
    }


def test_staff_see_their_own_families_and_never_another_municipality(
    app_ctx, client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    lead = make_user(brondby, "lead")
    make_family("brondby", label="Familien Egen", team=[staff])
    make_family("brondby", label="Familien Anden")
    make_family("vejle", label="Familien Vejle")
    auth.login(staff.email)
    page = client.get("/brondby/work/grid").get_data(as_text=True)
    text = client.get("/brondby/work/grid.csv").get_data(as_text=True)
    for body in (page, text):
        assert "Familien Egen" in body
        assert "Familien Anden" not in body and "Familien Vejle" not in body
    auth.logout()
    auth.login(lead.email)
    page = client.get("/brondby/work/grid").get_data(as_text=True)
    text = client.get("/brondby/work/grid.csv").get_data(as_text=True)
    for body in (page, text):
        assert "Familien Egen" in body and "Familien Anden" in body
        assert "Familien Vejle" not in body
    assert client.get("/vejle/work/grid").status_code == 404
    assert client.get("/vejle/work/grid.csv").status_code == 404
    # A page that does not exist, and nonsense in the filter, are not errors.
    assert client.get("/brondby/work/grid?page=0").status_code == 404
    assert client.get("/brondby/work/grid?status=x&sort=y").status_code == 200


def test_an_external_contact_has_no_grid(app_ctx, client, auth, municipalities, make_user):
    external = make_user(municipalities["jammerbugt"], "external")
    auth.login(external.email)
    assert client.get("/jammerbugt/work/grid").status_code == 403
    assert client.get("/jammerbugt/work/grid.csv").status_code == 403
