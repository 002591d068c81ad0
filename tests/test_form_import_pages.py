"""The local-forms pages: upload, every problem in Danish by sheet, row and column with
what was typed kept, a preview as staff see it, publish once on confirmation, switch the
form on in the settings, and download its YAML."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.collection.models import FormVersion
from app.core.db import db
from tests.support.xlsforms import BROKEN, VALID, broken, xlsx

REDCAP = Path(__file__).resolve().parent / "fixtures" / "redcap"
URL = "/jammerbugt/admin/local-forms/"


@pytest.fixture
def admin(client: Any, auth: Any, municipalities: Any, make_user: Any, forms_published: Any) -> Any:
    user = make_user(municipalities["jammerbugt"], "admin")
    auth.login(user.email)
    return user


def _upload(client: Any, content: bytes, filename: str, name: str = "trivsel") -> Any:
    assert client.get(URL).status_code == 200
    return client.post(
        URL,
        data={
            "file": (io.BytesIO(content), filename),
            "name": name,
            "level": "adult",
            "waves": ["intake", "follow_up"],
        },
        content_type="multipart/form-data",
    )


def _hidden(text: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', text) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', text
    )
    assert match, name
    return html.unescape(match.group(1))


def _versions() -> list[FormVersion]:
    """The versions published from files here (jammerbugt.bip comes from the folder)."""
    db.session.expire_all()
    statement = select(FormVersion).filter(
        FormVersion.form_id.like("jammerbugt.%"), FormVersion.form_id != "jammerbugt.bip"
    )
    return list(db.session.scalars(statement))


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_a_broken_xlsform_is_listed_in_danish_and_the_typed_name_kept(
    client: Any, admin: Any, code: str
) -> None:
    _change, sheet, row, column = BROKEN[code]
    page = _upload(client, broken(code), "trivsel.xlsx", name="mit_skema")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "intet blev offentliggjort" in text
    cells = (
        f"<td>{code}</td><td>{sheet}</td><td>{row}</td><td><code>{html.escape(column)}</code></td>"
    )
    assert cells in text.replace("\n", "").replace("    ", ""), code
    assert 'value="mit_skema"' in text
    assert "Publicér" not in text
    assert [v for v in _versions() if v.form_id == "jammerbugt.mit_skema"] == []


@pytest.mark.parametrize("name", ["bad_choices.csv", "core_variable.csv"])
def test_a_broken_redcap_dictionary_is_refused_on_the_page(
    client: Any, admin: Any, name: str
) -> None:
    text = _upload(client, (REDCAP / name).read_bytes(), name, name="netvaerk").get_data(
        as_text=True
    )
    assert "intet blev offentliggjort" in text and "<td>CSV</td>" in text


def test_preview_then_publish_once_switch_on_and_download(client: Any, admin: Any) -> None:
    preview = _upload(client, xlsx(VALID), "trivsel.xlsx")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Forhåndsvisning af Trivsel i hjemmet" in text
    assert "Antal værelser" in text and "Hund" in text  # the questions and their choices
    assert "<fieldset disabled>" in text
    assert _versions() == []
    token, once = _hidden(text, "publish-token"), _hidden(text, "publish-once_token")

    unconfirmed = client.post(
        URL + "publish", data={"publish-token": token, "publish-once_token": once}
    )
    assert unconfirmed.status_code == 200
    assert "Bekræft, at du har gennemset forhåndsvisningen." in unconfirmed.get_data(as_text=True)
    assert _versions() == []

    data = {"publish-token": token, "publish-once_token": once, "publish-confirm": "y"}
    first = client.post(URL + "publish", data=data)
    second = client.post(URL + "publish", data=data)
    assert first.status_code == second.status_code == 302
    versions = _versions()
    assert [(v.form_id, v.version) for v in versions] == [("jammerbugt.trivsel", 1)]
    listing = client.get(URL).get_data(as_text=True)
    assert "er offentliggjort som version 1" in listing

    # The settings page offers it; switched on, it is asked.
    settings = client.get("/jammerbugt/admin/settings").get_data(as_text=True)
    assert 'value="jammerbugt.trivsel"' in settings

    download = client.get(f"{URL}{versions[0].id}.zip")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert "forms/local/jammerbugt/trivsel/v1.yaml" in names
    assert "forms/codelists/jammerbugt.trivsel.pets.yaml" in names


def test_a_changed_or_foreign_token_publishes_nothing(client: Any, admin: Any) -> None:
    text = _upload(client, xlsx(VALID), "trivsel.xlsx").get_data(as_text=True)
    token = _hidden(text, "publish-token")
    tampered = client.post(
        URL + "publish", data={"publish-token": token[:-3] + "abc", "publish-confirm": "y"}
    )
    assert tampered.status_code == 302 and _versions() == []
    foreign = client.post(
        "/vejle/admin/local-forms/publish", data={"publish-token": token, "publish-confirm": "y"}
    )
    assert foreign.status_code == 404 and _versions() == []


def test_the_redcap_preview_says_the_english_repeats_the_danish(client: Any, admin: Any) -> None:
    text = _upload(
        client, (REDCAP / "valid.csv").read_bytes(), "netvaerk.csv", name="netvaerk"
    ).get_data(as_text=True)
    assert "de engelske tekster gentager de danske" in text


def test_another_file_type_is_refused_with_the_form_kept(client: Any, admin: Any) -> None:
    text = _upload(client, b"x", "skema.pdf", name="andet").get_data(as_text=True)
    assert "Vælg en .xlsx-fil (XLSForm) eller en .csv-fil (REDCap)." in text
    assert 'value="andet"' in text


def test_staff_cannot_open_the_pages(
    client: Any, auth: Any, municipalities: Any, make_user: Any
) -> None:
    staff = make_user(municipalities["jammerbugt"], "staff")
    auth.login(staff.email)
    assert client.get(URL).status_code == 403
