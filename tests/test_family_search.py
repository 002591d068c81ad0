"""Finding a family on the families list: by label, part of a member's name, or an exact
CPR number through its keyed hash; whose families, status, team model, sorting, paging."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.core.db import db
from app.families.models import Family, Member, cpr_digits
from app.families.services import add_member
from app.privacy.services import erase_member
from app.tenancy.scoping import tenant_scope

CPR = "150387-4721"
OTHER_CPR = "150387-4722"


def _labels(client, query: str = "", **params: str) -> list[str]:
    """The families found, as the page lists them: a CPR number posted with the search
    form (as the page sends it), anything else from the list's address."""
    if cpr_digits(query) is not None:
        page = client.post("/brondby/families/", data={"q": query, **params})
        assert page.status_code == 200 and page.location is None
    else:
        page = client.get("/brondby/families/", query_string={"q": query, **params})
        assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [part.split("</a>", 1)[0].rsplit(">", 1)[1] for part in body.split("<a href=")[1:]]


@pytest.fixture
def world(municipalities, make_user, make_family):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    staff = make_user(brondby, "staff")
    colleague = make_user(brondby, "staff")
    hansen = make_family(
        "brondby", label="Familien Hansen", team=[staff], enrolment=date(2026, 1, 5)
    )
    jensen = make_family(
        "brondby", label="Familien Jensen", team=[colleague], enrolment=date(2026, 3, 1)
    )
    alone = make_family("brondby", label="Familien Alene", enrolment=date(2026, 2, 1))
    vejle = make_family("vejle", label="Familien Hansen i Vejle")
    with tenant_scope(brondby):
        family = db.session.get(Family, jensen.id)
        add_member(family, "adult", "Birgitte Østergaard", family.enrolment_date, CPR)
        db.session.commit()
    with tenant_scope(municipalities["vejle"]):
        family = db.session.get(Family, vejle.id)
        add_member(family, "adult", "Vejle Person", family.enrolment_date, CPR)
        db.session.commit()
    return {
        "lead": lead,
        "staff": staff,
        "colleague": colleague,
        "hansen": hansen,
        "jensen": jensen,
        "alone": alone,
    }


def test_search_by_label_and_by_part_of_a_members_name(client, auth, world):
    auth.login(world["lead"].email)
    assert _labels(client, "hansen") == ["Familien Hansen"]
    # Part of a name, any case, letters beyond ASCII included.
    assert _labels(client, "østergaard") == ["Familien Jensen"]
    assert _labels(client, "BIRGITTE") == ["Familien Jensen"]
    assert _labels(client, "Voksen 1") and set(_labels(client, "Voksen 1")) == {
        "Familien Hansen",
        "Familien Jensen",
        "Familien Alene",
    }
    # A wildcard typed by the user is a character, not a pattern.
    assert _labels(client, "%") == []
    page = client.get("/brondby/families/?q=ingen+s%C3%A5dan").get_data(as_text=True)
    assert "Ingen familie passer til din søgning" in page


@pytest.mark.parametrize("typed", [CPR, CPR.replace("-", ""), f"  {CPR} "])
def test_search_by_cpr_matches_exactly_through_the_hash(client, auth, world, typed):
    auth.login(world["lead"].email)
    assert _labels(client, typed) == ["Familien Jensen"]
    assert _labels(client, OTHER_CPR) == []
    assert _labels(client, OTHER_CPR.replace("-", "")) == []
    # Part of a CPR number is not a CPR search, and matches no name either.
    assert _labels(client, CPR[:6]) == []


def test_the_cpr_is_never_in_clear_in_the_hash_column_the_audit_or_the_log(
    app_ctx, client, auth, world, caplog, municipalities
):
    auth.login(world["lead"].email)
    with caplog.at_level(logging.DEBUG):
        assert _labels(client, CPR) == ["Familien Jensen"]
    digits = CPR.replace("-", "")
    hashes = []
    for slug in ("brondby", "vejle"):
        with tenant_scope(municipalities[slug]):
            # As the database holds them: the CPR encrypted, beside it only its keyed hash.
            stored = db.session.execute(
                text(
                    "SELECT cpr, cpr_hash FROM family_member "
                    "WHERE cpr IS NOT NULL AND municipality_id = :m"
                ),
                {"m": municipalities[slug].id},
            ).all()
            assert len(stored) == 1
            cpr, cpr_hash = stored[0]
            assert len(cpr_hash) == 64 and all(c in "0123456789abcdef" for c in cpr_hash)
            for value in (CPR, digits):
                assert value not in cpr_hash and value not in cpr
            hashes.append(cpr_hash)
            db.session.commit()
    # The same number gives the same hash in both municipalities: the tenant scope, not
    # the hash, keeps Vejle's person out of Brøndby's list.
    assert hashes[0] == hashes[1]
    with tenant_scope(municipalities["brondby"]):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "family.searched_by_cpr")
        ).all()
        assert len(events) == 1
        assert events[0].details == {"found": 1}
        assert events[0].actor_id == world["lead"].id
        for event_row in db.session.scalars(select(AuditEvent)):
            for value in (CPR, digits):
                assert value not in str(event_row.details)
        db.session.commit()
    for record in caplog.records:
        for value in (CPR, digits):
            assert value not in record.getMessage()


def test_the_form_posts_a_name_on_to_its_address_and_answers_a_cpr_at_once(client, auth, world):
    auth.login(world["lead"].email)
    sent = client.post("/brondby/families/", data={"q": "Hansen", "scope": "team", "sort": "label"})
    assert sent.status_code == 302
    assert "q=Hansen" in sent.location and "sort=label" in sent.location
    assert "Familien Hansen" in client.get(sent.location).get_data(as_text=True)
    for typed in (CPR, CPR.replace("-", "")):
        answer = client.post("/brondby/families/", data={"q": typed, "sort": "label"})
        assert answer.status_code == 200 and answer.location is None
        html = answer.get_data(as_text=True)
        assert "Familien Jensen" in html
        # What was typed stays in the field, never in a link of the page.
        assert f'value="{typed}"' in html
        for href in html.split('href="')[1:]:
            link = href.split('"', 1)[0]
            assert CPR not in link and CPR.replace("-", "") not in link
        # Nor is it searched for from an address: it is sent on without it, with a word.
        kept = client.get("/brondby/families/", query_string={"q": typed, "sort": "label"})
        assert kept.status_code == 302 and typed not in kept.location
        assert "sort=label" in kept.location
        assert "med søgefeltet" in client.get(kept.location).get_data(as_text=True)


def test_another_municipalitys_member_with_the_same_cpr_is_not_found(client, auth, world):
    auth.login(world["lead"].email)
    labels = _labels(client, CPR)
    assert "Familien Hansen i Vejle" not in labels and labels == ["Familien Jensen"]


def test_a_lead_sees_the_team_and_the_unassigned_staff_only_their_own(client, auth, world):
    auth.login(world["lead"].email)
    assert set(_labels(client)) == {"Familien Hansen", "Familien Jensen", "Familien Alene"}
    assert _labels(client, scope="unassigned") == ["Familien Alene"]
    assert _labels(client, scope="mine") == []
    auth.logout()
    auth.login(world["staff"].email)
    assert _labels(client) == ["Familien Hansen"]
    assert _labels(client, scope="mine") == ["Familien Hansen"]
    # Staff have no "unassigned" view: the choice falls back to what they may see.
    assert _labels(client, scope="unassigned") == ["Familien Hansen"]
    page = client.get("/brondby/families/").get_data(as_text=True)
    assert 'value="unassigned"' not in page
    # Nor does a CPR search reach a family they do not work with.
    assert _labels(client, CPR) == []


def test_sorting_and_filters(app_ctx, client, auth, world, municipalities):
    auth.login(world["lead"].email)
    assert _labels(client, sort="label") == ["Familien Alene", "Familien Hansen", "Familien Jensen"]
    assert _labels(client, sort="enrolled") == [
        "Familien Jensen",
        "Familien Alene",
        "Familien Hansen",
    ]
    # The next due date follows the enrolment: the earliest enrolled is due first.
    assert _labels(client, sort="next_due") == [
        "Familien Hansen",
        "Familien Alene",
        "Familien Jensen",
    ]
    with tenant_scope(municipalities["brondby"]):
        db.session.get(Family, world["alone"].id).status = "exited"
        db.session.commit()
    assert _labels(client, status="exited") == ["Familien Alene"]
    assert set(_labels(client, status="active")) == {"Familien Hansen", "Familien Jensen"}
    team_model = municipalities["brondby"].team_model
    assert len(_labels(client, team_model=team_model)) == 3
    other = next(m for m in ("coordinator", "family_team", "single_entry") if m != team_model)
    assert _labels(client, team_model=other) == []
    # Unknown values are the defaults, not errors.
    assert len(_labels(client, sort="nonsense", status="x", scope="y")) == 3


def test_the_list_is_paged(client, auth, municipalities, make_user, make_family):
    lead = make_user(municipalities["brondby"], "lead")
    for i in range(53):
        make_family("brondby", label=f"Familie {i:02d}", adults=0, children=0)
    auth.login(lead.email)
    first = _labels(client, sort="label")
    second = _labels(client, sort="label", page="2")
    assert len(first) == 50 and len(second) == 3
    assert first[0] == "Familie 00" and second == ["Familie 50", "Familie 51", "Familie 52"]
    assert (
        client.get("/brondby/families/?page=3").status_code == 404
        or _labels(client, page="3") == []
    )


def test_the_erasure_clears_the_hash(app_ctx, client, auth, world, municipalities):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        member = db.session.scalar(select(Member).where(Member.cpr_hash.is_not(None)))
        assert member is not None
        erase_member(member, reason="request 1", actor_id=None)
        db.session.commit()
        assert member.cpr is None and member.cpr_hash is None
    auth.login(world["lead"].email)
    assert _labels(client, CPR) == []


def test_hashes_missing_after_a_migration_without_the_key_are_filled_at_first_search(
    app_ctx, client, auth, world, municipalities
):
    with tenant_scope(municipalities["brondby"]):
        db.session.execute(text("UPDATE family_member SET cpr_hash = NULL"))
        db.session.commit()
    auth.login(world["lead"].email)
    assert _labels(client, CPR) == ["Familien Jensen"]
