"""The accessibility statement: in Danish and English, linked from every page's footer,
with the contact of the reader's own municipality and nobody else's."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from app.accessibility.views import LAST_CHECKED
from app.core.db import db
from app.core.formatting import format_day
from app.tenancy.models import Municipality
from app.tenancy.services import export_municipality

CONTACTS = {"brondby": "tilgaengelighed@brondby.example", "vejle": "https://vejle.example/tilg"}


def _set_contacts() -> None:
    for slug, contact in CONTACTS.items():
        municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
        municipality.settings = {**municipality.settings, "accessibility": {"contact": contact}}
    db.session.commit()


def _page(client, url: str = "/tilgaengelighed") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_the_statement_in_danish_and_english_with_its_dates(client, municipalities):
    danish = _page(client)
    assert 'lang="da"' in danish and "<h1>Tilgængelighedserklæring</h1>" in danish
    assert "WCAG" in danish and "Digitaliseringsstyrelsen" in danish
    assert format_day(LAST_CHECKED) in danish
    # The idle sign-out the statement names is the one configured.
    minutes = client.application.config["SESSION_IDLE_MINUTES"]
    assert f"{minutes} minutter uden aktivitet" in danish
    client.post("/language", data={"language": "en", "next": "/tilgaengelighed"})
    english = _page(client)
    assert "<h1>Accessibility statement</h1>" in english and "Tilgængelighed" not in english


def test_every_page_links_to_it_naming_its_municipality(client, auth, municipalities, make_user):
    assert 'href="/tilgaengelighed"' in _page(client, "/login")
    staff = make_user(municipalities["brondby"], "staff")
    auth.login(staff.email)
    home = _page(client, "/brondby/")
    assert 'href="/tilgaengelighed?kommune=brondby"' in home


def test_it_shows_the_readers_own_municipalitys_contact_only(
    client, auth, municipalities, make_user
):
    _set_contacts()
    anonymous = _page(client)
    assert not any(contact in anonymous for contact in CONTACTS.values())
    assert "Kontakt den kommune" in anonymous
    from_a_link = _page(client, "/tilgaengelighed?kommune=vejle")
    assert CONTACTS["vejle"] in from_a_link and CONTACTS["brondby"] not in from_a_link
    staff = make_user(municipalities["brondby"], "staff")
    auth.login(staff.email)
    own = _page(client)
    assert f'href="mailto:{CONTACTS["brondby"]}"' in own and CONTACTS["vejle"] not in own
    assert "Brøndby Kommune" in own
    # A slug that is no municipality's: the general words, never an error.
    assert "Kontakt den kommune" in _page(client, "/tilgaengelighed?kommune=" + "x" * 300)


def test_the_contact_is_exported_with_the_file(app_ctx, municipalities):
    _set_contacts()
    brondby = db.session.scalar(select(Municipality).filter_by(slug="brondby"))
    assert export_municipality(brondby)["accessibility"] == {"contact": CONTACTS["brondby"]}
