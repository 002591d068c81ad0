"""Every CSV the application serves is safe to open in a spreadsheet.

A cell that begins with ``= + - @``, a tab or a carriage return is a formula to Excel and
LibreOffice; one that a municipality's data can fill (an e-mail address, free text, a code)
could carry ``=HYPERLINK(...)`` to whoever opens the download. The registry below lists
every CSV download; each is fetched through its real route, as the role that may fetch it,
after planting a formula in the data it carries. A CSV download missing from the registry
fails ``test_every_csv_download_is_in_the_registry``.
"""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.auth.services import AccountError, create_user, find_user, hash_password
from app.config import PROJECT_ROOT
from app.core import csvfile
from app.core.db import db
from app.definitions.fields import FREE_TEXT
from app.definitions.loader import CORE_FORMS
from app.families.services import enrol_family
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.research.services import add_researcher, create_study, grant_study, set_wave_approval
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.answers import answer_wave
from tests.support.auth import PASSWORD, log_in

PLANTED = '=HYPERLINK("http://x","y")'
#: A municipality's code has room for four characters: a formula still fits.
PLANTED_CODE = "=1+1"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class World:
    municipality: Municipality
    users: dict[str, User]
    study_id: int


@dataclass(frozen=True)
class CsvDownload:
    """One CSV download: who fetches it, how, and which planted values it must carry."""

    role: str
    fetch: Callable[[FlaskClient, World], bytes]
    #: The planted values each CSV file of the download shows (neutralised).
    carries: tuple[str, ...]
    #: Files of the download built from nothing a municipality types (no planted value).
    fixed_files: tuple[str, ...] = ()


def _get(url: Callable[[World], str]) -> Callable[[FlaskClient, World], bytes]:
    def fetch(client: FlaskClient, world: World) -> bytes:
        response = client.get(url(world))
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/csv"
        data = response.get_data()
        response.close()
        return data

    return fetch


def _research_package(client: FlaskClient, world: World) -> bytes:
    started = client.post(f"/research/studies/{world.study_id}")
    assert started.status_code == 302
    download = client.get(started.location + "/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    data = download.get_data()
    download.close()
    return data


#: Every CSV the application serves, by endpoint.
REGISTRY: dict[str, CsvDownload] = {
    "audit.download": CsvDownload(
        "admin",
        _get(lambda w: f"/{w.municipality.slug}/admin/audit/audit.csv"),
        (PLANTED, f"{PLANTED}@example.org"),
    ),
    "operator.audit_download": CsvDownload(
        "operator",
        _get(lambda w: "/operator/audit/audit.csv"),
        (PLANTED, f"{PLANTED}@example.org"),
    ),
    "reports.indicators_csv": CsvDownload(
        "lead",
        _get(lambda w: f"/{w.municipality.slug}/reports/indicators.csv"),
        (PLANTED_CODE,),
    ),
    "study_reports.indicators_csv": CsvDownload(
        "researcher",
        _get(lambda w: f"/research/studies/{w.study_id}/report/indicators.csv"),
        (PLANTED_CODE,),
    ),
    "grid.csv": CsvDownload(
        "lead",
        _get(lambda w: f"/{w.municipality.slug}/work/grid.csv"),
        (PLANTED,),
    ),
    "research.download": CsvDownload(
        "researcher",
        _research_package,
        (PLANTED_CODE, PLANTED),
        # Variable names and labels of the form definitions (forms/) and of the tables.
        fixed_files=("codebook.csv", "codebook_checks.csv", "variables.csv", "values.csv"),
    ),
}


def _fill_intake(municipality: Municipality, family: Any) -> None:
    """Intake answered with consent; every free-text answer is the planted formula."""

    def adjust(version: Any, raw: dict[str, Any]) -> None:
        for field in version.form.fields:
            if field.kind.privacy == FREE_TEXT:
                raw[field.name] = PLANTED
        if version.form_id == "family_intake":
            raw["research_consent"] = "true"

    answer_wave(municipality, family, family.waves[0], adjust=adjust)


@pytest.fixture
def world(municipalities, forms_published, make_user) -> World:
    """Jammerbugt with a consenting family, a study granted its data with free text, and a
    formula planted in every kind of value a CSV carries."""
    from app.families.services import add_member

    jammerbugt = municipalities["jammerbugt"]
    users = {
        "admin": make_user(jammerbugt, "admin"),
        "lead": make_user(jammerbugt, "lead"),
        "operator": make_user(platform_role="operator"),
        "researcher": make_user(platform_role="researcher"),
    }
    with tenant_scope(jammerbugt):
        for n in range(2):
            family = enrol_family(jammerbugt, f"Familien {n}", date(2026, 1, 10))
            add_member(family, "adult", f"Voksen {n}", family.enrolment_date)
            add_member(family, "child", f"Barn {n}", family.enrolment_date)
            _fill_intake(jammerbugt, family)
            plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
            goal = add_goal(plan, 1, "work_education", PLANTED, None)
            set_goal_status(goal, family.waves[1], "partly", None, today=family.waves[1].due_date)
        # A family label is typed by staff: the status grid's CSV carries it.
        enrol_family(jammerbugt, PLANTED, date(2026, 1, 10))
        for wave in ("intake", "follow_up_6"):
            set_wave_approval(jammerbugt, wave, True)
        db.session.commit()
    study = create_study("Formler", "Test", "Art. 6(1)(e)")
    add_researcher(study, users["researcher"])
    grant_study(
        jammerbugt,
        study,
        forms=[*CORE_FORMS, *jammerbugt.settings.get("local_forms", [])],
        waves=["intake", "follow_up", "exit"],
        free_text=True,
    )
    # An account from before e-mail addresses were checked at input, acting in the
    # municipality and on the platform.
    planted_user = User(
        email=f"{PLANTED}@example.org", name="Planted", password_hash=hash_password(PASSWORD)
    )
    db.session.add(planted_user)
    db.session.flush()
    with tenant_scope(jammerbugt):
        record(
            "family.viewed",
            actor_id=planted_user.id,
            municipality_id=jammerbugt.id,
            object_type="family",
            object_id=PLANTED,
        )
        db.session.commit()
    record("user.login", actor_id=planted_user.id, object_type="user", object_id=PLANTED)
    # Municipality codes come from checked configuration files; the writer must not rely on it.
    jammerbugt.code = PLANTED_CODE
    db.session.commit()
    return World(jammerbugt, users, study.id)


def _csv_files(data: bytes) -> dict[str, list[list[str]]]:
    """Each CSV file of a download (a CSV, or a zip of them), parsed the way a reader would."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {
                name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
                for name in archive.namelist()
                if name.endswith(".csv")
            }
    return {"download.csv": list(csv.reader(io.StringIO(data.decode("utf-8"))))}


def _is_plain_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("endpoint", sorted(REGISTRY))
def test_every_csv_download_neutralises_formula_cells(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    download = REGISTRY[endpoint]
    monkeypatch.setitem(app.config, "EXPORTS_INLINE", True)
    log_in(client, world.users[download.role].email)
    files = _csv_files(download.fetch(client, world))
    assert files, "the download holds no CSV file"
    for name, table in files.items():
        cells = [cell for row in table for cell in row]
        for cell in cells:
            if cell.startswith(FORMULA_START) and not _is_plain_number(cell):
                pytest.fail(f"{name}: a cell starts a formula: {cell!r}")
        if name in download.fixed_files:
            continue
        shown = {value for value in download.carries if f"'{value}" in cells}
        assert shown, f"{name}: none of the planted values {download.carries} reached it"


def test_every_csv_download_is_in_the_registry(app: Flask) -> None:
    # csvfile.response() runs only under a view marked @serves_csv, and nothing but csvfile
    # writes CSV (next test): a new CSV route is marked, and so must be listed above.
    declared = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "serves_csv", False)
    }
    assert declared == set(REGISTRY)
    named_like_csv = {rule.endpoint for rule in app.url_map.iter_rules() if ".csv" in rule.rule}
    assert named_like_csv <= declared


def test_only_the_csv_module_writes_csv() -> None:
    writer_module = PROJECT_ROOT / "app" / "core" / "csvfile.py"
    offenders = []
    for path in sorted((PROJECT_ROOT / "app").rglob("*.py")):
        if path == writer_module:
            continue
        where = path.relative_to(PROJECT_ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Import) and any(a.name == "csv" for a in node.names)) or (
                isinstance(node, ast.ImportFrom) and node.module == "csv"
            ):
                offenders.append(f"{where}:{node.lineno} imports csv")
            if isinstance(node, ast.Constant) and "text/csv" in str(node.value):
                offenders.append(f"{where}:{node.lineno} makes a text/csv response")
    assert offenders == []
    assert not list((PROJECT_ROOT / "templates").rglob("*.csv")), "a CSV template escapes it"


def test_a_view_not_declared_a_csv_download_cannot_serve_one(app: Flask) -> None:
    with app.test_request_context("/operator/"), pytest.raises(RuntimeError, match="serves_csv"):
        csvfile.response([["a"]], "a.csv")


@pytest.mark.parametrize("first", FORMULA_START)
def test_a_text_cell_that_starts_a_formula_gets_an_apostrophe(first: str) -> None:
    text = f'{first}HYPERLINK("http://x","y")'
    assert csvfile.cell(text) == "'" + text


def test_numbers_stay_numbers() -> None:
    for value in (-3, -1.5, 0, 7, True, None, "-3", "-1.5", "-1e-05", "0849", "Familien -"):
        assert csvfile.cell(value) == value, value
    assert csvfile.cell("-2+3") == "'-2+3"
    assert csvfile.cell(float("-inf")) == "'-inf"
    assert csvfile.cell(date(2026, 1, 2)) == "2026-01-02"
    out = io.StringIO()
    csvfile.writer(out).writerow([-3, "-3", "=1+1", None, 1.5])
    assert out.getvalue() == "-3,-3,'=1+1,,1.5\r\n"


@pytest.mark.parametrize("first", ["=", "+", "-", "@"])
def test_an_email_address_that_starts_a_formula_is_refused_at_input(
    app: Flask, client: FlaskClient, municipalities, make_user, first: str
) -> None:
    address = f"{first}hyperlink@example.org"
    with pytest.raises(AccountError, match="cannot begin with"):
        create_user(address, "Eva", PASSWORD)
    db.session.rollback()

    admin = make_user(municipalities["brondby"], "admin")
    log_in(client, admin.email)
    page = client.post(
        "/brondby/admin/people/new", data={"email": address, "name": "Eva", "role": "staff"}
    )
    assert page.status_code == 200
    assert "En e-mailadresse kan ikke begynde med =, +, - eller @." in page.get_data(as_text=True)

    result = app.test_cli_runner().invoke(
        args=["users", "create", f"--email={address}", "--name=Eva", f"--password={PASSWORD}"]
    )
    assert result.exit_code == 1 and "cannot begin with" in result.output
    assert find_user(address) is None
