"""A parent answers the WHO-5 questions of a wave themselves: a one-time link made by the
caseworker, or the caseworker's screen handed over.

The link works once, for 14 days, until a newer one replaces it, and shows nothing about
the family; the answers land in the adult's form of the wave marked as self-reported,
staff cannot change them (page or API), and the research package says who answered
(``who5_mode``). Every item is checked by its field's type, every unusable link answers a
clear Danish page, and another municipality's ids answer 404.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from app.api.tokens import create_token
from app.audit.models import AuditEvent
from app.collection.models import Submission
from app.core.db import db, utcnow
from app.definitions.instruments import INSTRUMENTS, SELF_REPORT, STAFF, instruments_of
from app.research.services import export_package
from app.selfreport.models import SelfReportLink
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.auth import csrf_token
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.research import fill_wave, grant_and_approve, make_study

TODAY = date.today()
WHO5 = next(i for i in INSTRUMENTS if i.id == "who5")
#: One answer per item, 0-5, so every item's value is told apart from the others'.
ANSWERS = {name: str(n) for n, name in enumerate(WHO5.items)}


def fill_url(slug: str, wave_id: int, member_id: int, form_id: str) -> str:
    return f"/{slug}/waves/{wave_id}/members/{member_id}/forms/{form_id}"


def adult_form(municipality, family):
    """The intake wave, the adult and the adult's form of it."""
    with tenant_scope(municipality):
        db.session.refresh(family)
        wave = family.waves[0]
        adult = next(m for m in family.members if m.role == "adult")
        return wave, adult, "adult_intake"


def make_link(client, slug, wave, adult, form_id, button="link"):
    page = client.get(fill_url(slug, wave.id, adult.id, form_id))
    html = page.get_data(as_text=True)
    once = re.search(r'name="once_token" value="([^"]+)"', html).group(1)
    return client.post(
        f"{fill_url(slug, wave.id, adult.id, form_id)}/self-report",
        data={
            "csrf_token": csrf_token(html),
            "once_token": once,
            "instrument": "who5",
            button: "1",
        },
    )


def address_on(client, response) -> str:
    """The path of the link the link page shows."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    html = unescape(client.get(response.location).get_data(as_text=True))
    address = re.search(r'id="self-report-address" readonly value="([^"]+)"', html).group(1)
    return "/" + address.split("/", 3)[3]


@pytest.fixture
def linked(client, auth, municipalities, make_user, make_family):
    """A staff member of Brøndby signed in, a family, and a link made for its adult."""
    staff = make_user(municipalities["brondby"], "staff")
    family = make_family("brondby", adults=1, children=1, enrolment=TODAY, team=[staff])
    auth.login(staff.email)
    wave, adult, form_id = adult_form(municipalities["brondby"], family)
    path = address_on(client, make_link(client, "brondby", wave, adult, form_id))
    return staff, family, wave, adult, form_id, path


def parent_browser(app_ctx):
    return app_ctx.test_client()


def send(browser, path, answers):
    html = browser.get(path).get_data(as_text=True)
    return browser.post(path, data={"csrf_token": csrf_token(html), **answers})


def submission_of(wave, adult, form_id):
    db.session.rollback()
    with tenant_scope(db.session.get(Municipality, adult.municipality_id)):
        return db.session.scalar(
            select(Submission).where(
                Submission.wave_id == wave.id,
                Submission.member_id == adult.id,
                Submission.form_id == form_id,
            )
        )


def the_link(municipality):
    with tenant_scope(municipality):
        return db.session.scalar(select(SelfReportLink))


def test_the_instrument_is_asked_in_full_by_the_adults_forms(forms_published):
    """The registry and the forms agree: WHO-5 can be self-reported in both adult forms."""
    asking = sorted(
        form_id
        for (form_id, _version), form in forms_published.forms.items()
        if WHO5 in instruments_of(form)
    )
    assert asking == ["adult_follow_up", "adult_intake"]


def test_a_parent_answers_through_a_link_once(app_ctx, client, linked, municipalities):
    _staff, family, wave, adult, form_id, path = linked
    parent = parent_browser(app_ctx)
    page = parent.get(path)
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert 'lang="da"' in html and "Trivsel (WHO-5)" in html and "Brøndby" in html
    # Nothing about the family, nor any way into the rest of the application.
    for private in (family.label, adult.name, "Log ud", "/brondby/families"):
        assert private not in html, private
    for name in WHO5.items:
        assert f'name="{name}"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]

    sent = send(parent, path, ANSWERS)
    assert sent.status_code == 302
    done = unescape(parent.get(sent.location).get_data(as_text=True))
    assert "Tak for dine svar" in done

    saved = submission_of(wave, adult, form_id)
    assert {name: saved.answers[name] for name in WHO5.items} == {
        name: int(value) for name, value in ANSWERS.items()
    }
    assert saved.answers["who5_score"] == sum(range(5)) * 4
    assert saved.self_reported == list(WHO5.items)
    assert saved.status == "draft" and saved.created_by_id is None
    link = the_link(municipalities["brondby"])
    assert link.used_at is not None
    with unscoped("test"):
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert {"selfreport.link_made", "submission.saved", "selfreport.answered"} <= set(actions)

    again = parent.get(path)
    assert again.status_code == 410
    assert "allerede" in unescape(again.get_data(as_text=True))
    # The caseworker sees that it was answered, and the answers, not inputs for them.
    form_page = unescape(
        client.get(fill_url("brondby", wave.id, adult.id, form_id)).get_data(as_text=True)
    )
    assert "Forælderen har selv besvaret Trivsel (WHO-5)" in form_page
    for name in WHO5.items:
        assert f'name="{name}"' not in form_page
    assert "Lav et link til forælderen" not in form_page


@pytest.mark.parametrize("bad", ["", "6", "-1", "x", "2.5"])
def test_every_item_is_checked_by_its_field_type(app_ctx, linked, bad):
    _, _, wave, adult, form_id, path = linked
    parent = parent_browser(app_ctx)
    for name in WHO5.items:
        answers = {**ANSWERS, name: bad}
        response = send(parent, path, answers)
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 422, name
        assert 'aria-invalid="true"' in html, name
        # What the parent chose stays chosen.
        other = next(n for n in WHO5.items if n != name)
        assert chosen(html, other) == ANSWERS[other], (name, other)
    assert submission_of(wave, adult, form_id) is None
    assert send(parent, path, ANSWERS).status_code == 302  # the link still works


def chosen(html: str, name: str) -> str | None:
    """The value of the checked radio button of *name*."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def _expire(link_id):
    db.session.execute(
        update(SelfReportLink)
        .where(SelfReportLink.id == link_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


@pytest.mark.parametrize(
    "case", ["unknown", "used", "replaced", "expired", "other_slug", "no_slug"]
)
def test_an_unusable_link_answers_a_clear_danish_page(
    app_ctx, client, municipalities, linked, case
):
    _staff, _family, wave, adult, form_id, path = linked
    parent = parent_browser(app_ctx)
    slug, secret = path.split("/")[2:4]
    target = path
    expected = {"unknown": 404, "other_slug": 404, "no_slug": 404}.get(case, 410)
    if case == "unknown":
        target = f"/svar/{slug}/{secret[:-4]}abcd"
    elif case == "used":
        assert send(parent, path, ANSWERS).status_code == 302
    elif case == "replaced":
        address_on(client, make_link(client, "brondby", wave, adult, form_id))
    elif case == "expired":
        with tenant_scope(municipalities["brondby"]):
            _expire(db.session.scalar(select(SelfReportLink.id)))
    elif case == "other_slug":
        target = f"/svar/vejle/{secret}"
    elif case == "no_slug":
        target = f"/svar/ingen-kommune/{secret}"
    for method in ("get", "post"):
        response = getattr(parent, method)(target)
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == expected, (case, method)
        assert 'lang="da"' in html and "Linket kan ikke bruges" in html, (case, method)
        assert "Beklager" not in html  # not the error page of a 500


def test_handing_over_the_screen_signs_the_caseworker_out(
    client, auth, municipalities, make_user, make_family
):
    staff = make_user(municipalities["brondby"], "staff")
    family = make_family("brondby", adults=1, children=0, enrolment=TODAY, team=[staff])
    auth.login(staff.email)
    wave, adult, form_id = adult_form(municipalities["brondby"], family)
    handed = make_link(client, "brondby", wave, adult, form_id, button="kiosk")
    assert handed.status_code == 302 and handed.location.startswith("/svar/brondby/")
    # The caseworker's session is gone: the family is behind the sign-in again.
    assert client.get(f"/brondby/families/{family.id}").status_code == 302
    done = send(client, handed.location, ANSWERS)
    page = unescape(client.get(done.location).get_data(as_text=True))
    assert "Giv skærmen tilbage" in page
    assert client.get(handed.location).status_code == 410


def test_a_double_click_makes_one_link(client, auth, municipalities, make_user, make_family):
    staff = make_user(municipalities["brondby"], "staff")
    family = make_family("brondby", adults=1, children=0, enrolment=TODAY, team=[staff])
    auth.login(staff.email)
    wave, adult, form_id = adult_form(municipalities["brondby"], family)
    html = client.get(fill_url("brondby", wave.id, adult.id, form_id)).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "once_token": re.search(r'name="once_token" value="([^"]+)"', html).group(1),
        "instrument": "who5",
        "link": "1",
    }
    first = client.post(f"{fill_url('brondby', wave.id, adult.id, form_id)}/self-report", data=data)
    second = client.post(
        f"{fill_url('brondby', wave.id, adult.id, form_id)}/self-report", data=data
    )
    assert first.location == second.location
    with tenant_scope(municipalities["brondby"]):
        assert len(db.session.scalars(select(SelfReportLink)).all()) == 1


def test_staff_cannot_change_the_parents_answers(
    app_ctx, client, linked, municipalities, make_user
):
    _staff, _family, wave, adult, form_id, path = linked
    assert send(parent_browser(app_ctx), path, ANSWERS).status_code == 302
    brondby = municipalities["brondby"]
    # The caseworker submits the form on its page, with other WHO-5 answers in the post.
    draft = submission_of(wave, adult, form_id)
    with tenant_scope(brondby):
        version = draft.form_version
        data = {
            **valid_formdata(version.form, TODAY),
            "who5_1": "5",
            "submit": "1",
            "lock_version": str(draft.lock_version),
            "confirm_check": warning_ids(version.form),
        }
    html = client.get(fill_url("brondby", wave.id, adult.id, form_id)).get_data(as_text=True)
    posted = client.post(
        fill_url("brondby", wave.id, adult.id, form_id),
        data={**data, "csrf_token": csrf_token(html)},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    saved = submission_of(wave, adult, form_id)
    assert saved.status == "submitted"
    assert saved.answers["who5_1"] == 0 and saved.self_reported == list(WHO5.items)

    lead = make_user(brondby, "lead")
    with tenant_scope(brondby, lead.id):
        _, token = create_token(lead, brondby, "test", 30)
        db.session.commit()
    url = f"/api/v1/brondby/submissions/{saved.id}"
    read = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert read.json["self_reported"] == list(WHO5.items)
    headers = {"Authorization": f"Bearer {token}", "If-Match": read.headers["ETag"]}
    # What the form computes is not sent back: the API refuses it as not a field to answer.
    given = {k: v for k, v in read.json["answers"].items() if k != "who5_score"}
    changed = {**given, "who5_1": 5}
    refused = client.put(url, headers=headers, json={"answers": changed, "status": "submitted"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["who5_1"]
    assert submission_of(wave, adult, form_id).answers["who5_1"] == 0
    same = client.put(url, headers=headers, json={"answers": given, "status": "submitted"})
    assert same.status_code == 200, same.json["errors"]


def test_the_package_says_who_answered_who5(
    app_ctx, client, auth, municipalities, make_user, make_family, tmp_path
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    families = [
        make_family("brondby", adults=1, children=0, enrolment=TODAY, team=[staff])
        for _ in range(3)
    ]
    with tenant_scope(brondby):
        for family in families[:2]:
            fill_wave(brondby, family, family.waves[0])
        db.session.commit()
    auth.login(staff.email)
    wave, adult, form_id = adult_form(brondby, families[0])
    path = address_on(client, make_link(client, "brondby", wave, adult, form_id))
    assert send(parent_browser(app_ctx), path, ANSWERS).status_code == 302

    researcher = make_user(platform_role="researcher", email="forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("brondby",), waves=("intake",))
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    with zipfile.ZipFile(out) as archive:
        adults = list(csv.DictReader(io.TextIOWrapper(archive.open("adults.csv"), "utf-8")))
        codebook = archive.read("codebook.csv").decode()
    modes = sorted(row["who5_mode"] for row in adults)
    assert modes == sorted([SELF_REPORT, STAFF])
    assert "who5_mode" in codebook and "self_report" in codebook


def test_another_municipality_cannot_make_or_see_links(
    client, auth, linked, municipalities, make_user
):
    _staff, _family, wave, adult, form_id, _path = linked
    with tenant_scope(municipalities["brondby"]):
        link_id = db.session.scalar(select(SelfReportLink.id))
    outsider = make_user(municipalities["vejle"], "staff")
    auth.logout()
    auth.login(outsider.email)
    for url in (
        f"/vejle/self-report/links/{link_id}",
        f"/brondby/self-report/links/{link_id}",
    ):
        assert client.get(url).status_code in (404, 302), url
    html = client.get("/vejle/").get_data(as_text=True)
    response = client.post(
        f"{fill_url('vejle', wave.id, adult.id, form_id)}/self-report",
        data={"csrf_token": csrf_token(html), "instrument": "who5", "link": "1"},
    )
    assert response.status_code == 404
