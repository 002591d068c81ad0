"""Pages: accessible frame, language switching, municipality switcher, demo logins."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.auth.models import User
from app.config import new_key
from app.core.db import db
from tests.support.apps import build_app
from tests.support.auth import PASSWORD


def test_login_page_has_an_accessible_frame(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in html
    assert '<a class="skip-link" href="#main">Spring til indhold</a>' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    # Every visible input has a label tied to it.
    for input_id in re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*type="(?:email|password)"', html):
        assert f'<label for="{input_id}">' in html
    assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html


def assert_unique_ids(html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_pages_have_unique_element_ids(client, auth, municipalities, make_user):
    assert_unique_ids(client.get("/login").get_data(as_text=True))
    user = make_user(municipalities["vejle"], "admin")
    auth.login(user.email)
    for url in ("/", "/vejle/", "/vejle/people"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200
        assert_unique_ids(response.get_data(as_text=True))


def test_language_is_danish_by_default_and_english_is_remembered(
    client, auth, municipalities, make_user
):
    user = make_user(municipalities["vejle"], "staff")
    auth.login(user.email)
    danish = client.get("/vejle/").get_data(as_text=True)
    assert (
        '<html lang="da">' in danish and "Organiseringsmodel" in danish and "Én indgang" in danish
    )

    response = client.post("/language", data={"language": "en", "next": "/vejle/"})
    assert response.status_code == 302 and response.location == "/vejle/"
    english = client.get("/vejle/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Team model" in english and "Single entry" in english

    # Remembered for the user, across logout and a new login.
    auth.logout()
    fresh = client.application.test_client()  # a new browser: no cookies at all
    fresh.post("/login", data={"email": user.email, "password": PASSWORD})
    assert '<html lang="en">' in fresh.get("/vejle/").get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(User.language).where(User.id == user.id)) == "en"


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx"})
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


def test_switcher_lists_only_the_users_own_municipalities(client, auth, municipalities, make_user):
    from app.auth.services import grant_membership

    user = make_user(municipalities["brondby"], "staff")
    grant_membership(user, municipalities["assens"], "lead")
    db.session.commit()
    auth.login(user.email)
    start = client.get("/")
    assert start.status_code == 200  # two municipalities: the user chooses
    html = client.get("/assens/").get_data(as_text=True)
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert "Brøndby Kommune" in nav and "Assens Kommune" in nav
    assert "Vejle" not in nav and "Jammerbugt" not in nav
    assert 'aria-current="page">Assens Kommune' in nav
    # "/" takes the user back to the municipality they last worked in.
    assert client.get("/").location == "/assens/"


def test_municipality_home_shows_its_configuration(client, auth, municipalities, make_user):
    user = make_user(municipalities["vejle"], "lead")
    auth.login(user.email)
    html = client.get("/vejle/").get_data(as_text=True)
    assert "Familien i Centrum" in html
    assert "3 fase(r) på hver 6 måneder" in html
    assert "Familierådgivningen" in html


def test_demo_seed_creates_working_logins_for_every_role(app_ctx: Flask):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--password", "demo password 42"])
    assert result.exit_code == 0, result.output
    emails = re.findall(r"^\s+(\S+@\S+)\s", result.output, flags=re.MULTILINE)
    expected = {
        f"{r}@{s}.example"
        for r in ("admin", "lead", "staff")
        for s in ("brondby", "jammerbugt", "vejle", "assens", "rodovre")
    }
    expected |= {"external@jammerbugt.example", "researcher@example.org", "operator@example.org"}
    assert set(emails) == expected
    # Seeding twice is harmless.
    assert runner.invoke(args=["demo", "seed", "--password", "demo password 42"]).exit_code == 0
    client = app_ctx.test_client()
    for email in sorted(expected):
        response = client.post("/login", data={"email": email, "password": "demo password 42"})
        assert response.status_code == 302, email
        landing = client.get(response.location, follow_redirects=True)
        assert landing.status_code == 200, email
        client.post("/logout")


def test_demo_seed_is_refused_in_production(tmp_path: Path):
    app = build_app(
        f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        HELHED_ENV="production",
        SECRET_KEY="s" * 40,
        FIELD_ENCRYPTION_KEY=new_key(),
    )
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "refused in production" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_error_pages_are_translated(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    auth.login(user.email)
    page = client.get("/brondby/people")
    assert page.status_code == 403
    assert "Du har ikke adgang til denne side" in page.get_data(as_text=True)
    missing = client.get("/brondby/people/999999")
    assert missing.status_code == 404
    assert "Siden findes ikke" in missing.get_data(as_text=True)
