"""The import pages: upload, preview with every problem, confirm once, follow the job."""

from __future__ import annotations

import io
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core import dates, jobs
from app.core.db import db
from app.imports.models import FamilyImport
from app.tenancy.scoping import tenant_scope
from tests.support.imports import headers, sample_rows, xlsx_bytes


@pytest.fixture
def inline_jobs(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The job runs in the request that asks for it, after that request's commit.
    monkeypatch.setitem(app.config, "EXPORTS_INLINE", True)


def _upload(client: Any, slug: str, content: bytes, name: str = "families.xlsx") -> Any:
    page = client.get(f"/{slug}/admin/import/")
    assert page.status_code == 200
    return client.post(
        f"/{slug}/admin/import/",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _only_import(municipality: Any) -> FamilyImport:
    with tenant_scope(municipality):
        return db.session.scalars(select(FamilyImport)).one()


def test_upload_preview_and_confirm_import_once(
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
    inline_jobs: None,
) -> None:
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    content = xlsx_bytes(headers(brondby), sample_rows(brondby, 4, dates.today()))
    sent = _upload(client, "brondby", content)
    assert sent.status_code == 302
    row = _only_import(brondby)
    preview = client.get(f"/brondby/admin/import/{row.id}")
    text = preview.get_data(as_text=True)
    assert "F00001" in text and "F00004" in text
    assert count_rows("family") == 0  # nothing before the confirmation

    first = client.post(f"/brondby/admin/import/{row.id}/confirm")
    second = client.post(f"/brondby/admin/import/{row.id}/confirm")
    assert first.status_code == second.status_code == 302
    assert count_rows("family") == 4 and count_rows("family_member") == 8
    done = client.get(f"/brondby/admin/import/{row.id}").get_data(as_text=True)
    assert "4 familier med 4 voksne og 4 børn blev importeret" in done
    db.session.expire_all()
    assert _only_import(brondby).content is None  # the file is not kept once imported


def test_a_file_with_problems_lists_them_and_offers_no_confirmation(
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
) -> None:
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    rows = sample_rows(brondby, 2, dates.today())
    rows["adults"][0]["who5_1"] = 9
    rows["children"][1]["family_ref"] = "NOBODY"
    _upload(client, "brondby", xlsx_bytes(headers(brondby), rows))
    row = _only_import(brondby)
    assert {(p["sheet"], p["row"], p["column"]) for p in row.problems} == {
        ("adults", 3, "who5_1"),
        ("children", 4, "family_ref"),
    }
    page = client.get(f"/brondby/admin/import/{row.id}").get_data(as_text=True)
    assert "2 problemer: intet blev importeret" in page
    assert "confirm" not in page
    assert client.post(f"/brondby/admin/import/{row.id}/confirm").status_code == 302
    assert count_rows("family") == 0


def test_another_municipalitys_import_is_not_found(
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
) -> None:
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    theirs = make_user(vejle, "admin")
    auth.login(theirs.email)
    _upload(client, "vejle", xlsx_bytes(headers(vejle), sample_rows(vejle, 1, dates.today())))
    row = _only_import(vejle)
    auth.logout()
    ours = make_user(brondby, "admin")
    auth.login(ours.email)
    assert client.get(f"/brondby/admin/import/{row.id}").status_code == 404
    assert client.post(f"/brondby/admin/import/{row.id}/confirm").status_code == 404
    assert count_rows("family") == 0


def test_an_unreadable_file_is_refused_with_a_message(
    client: Any, auth: Any, municipalities: Any, make_user: Any, forms_published: Any
) -> None:
    admin = make_user(municipalities["brondby"], "admin")
    auth.login(admin.email)
    answer = _upload(client, "brondby", b"not a workbook")
    assert answer.status_code == 200
    assert "Filen er ikke en Excel-projektmappe (.xlsx)." in answer.get_data(as_text=True)
    wrong = _upload(client, "brondby", b"x", name="families.txt")
    assert "Vælg en .xlsx- eller .csv-fil." in wrong.get_data(as_text=True)


def test_an_upload_sent_twice_makes_one_import(
    client: Any, auth: Any, municipalities: Any, make_user: Any, forms_published: Any
) -> None:
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    content = xlsx_bytes(headers(brondby), sample_rows(brondby, 1, dates.today()))
    page = client.get("/brondby/admin/import/").get_data(as_text=True)
    token = re.search(r'name="once_token"[^>]*value="([^"]+)"', page).group(1)
    sends = [
        client.post(
            "/brondby/admin/import/",
            data={"file": (io.BytesIO(content), "families.xlsx"), "once_token": token},
            content_type="multipart/form-data",
        )
        for _ in range(2)
    ]
    assert [s.status_code for s in sends] == [302, 302]
    assert sends[1].location == sends[0].location
    with tenant_scope(brondby):
        assert len(db.session.scalars(select(FamilyImport)).all()) == 1


def test_a_running_import_shows_its_rows_and_refreshes_itself(
    client: Any, auth: Any, municipalities: Any, make_user: Any, forms_published: Any
) -> None:
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    with tenant_scope(brondby):
        row = FamilyImport(
            municipality_id=brondby.id,
            user_id=admin.id,
            file_format="xlsx",
            status="running",
            rows_total=10_000,
            rows_done=2_400,
            summary={"counts": {}, "families": [], "present": []},
        )
        db.session.add(row)
        db.session.commit()
        import_id = row.id
    auth.login(admin.email)
    page = client.get(f"/brondby/admin/import/{import_id}").get_data(as_text=True)
    # Without JavaScript: the browser asks again, and the page says how far it is.
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "2.400 af 10.000 rækker" in page
    assert 'value="2400"' in page


def test_a_confirmed_import_is_written_by_a_job_worker(
    app: Flask,
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not in the request: the confirmation queues a job, and a worker of the queue (the
    local one on SQLite, Procrastinate on PostgreSQL) imports the file."""
    for key, value in {"EXPORTS_INLINE": False, "JOBS_POLL_SECONDS": 0.2}.items():
        monkeypatch.setitem(app.config, key, value)
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    content = xlsx_bytes(headers(brondby), sample_rows(brondby, 3, dates.today()))
    _upload(client, "brondby", content)
    row = _only_import(brondby)
    assert client.post(f"/brondby/admin/import/{row.id}/confirm").status_code == 302
    queued = client.get(f"/brondby/admin/import/{row.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in queued
    assert count_rows("family") == 0
    stop = threading.Event()
    worker = threading.Thread(target=jobs.run_worker, args=(app, stop), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while count_rows("family_import WHERE status = 'done'") == 0:
            assert time.monotonic() < deadline, "the worker did not import the file"
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(timeout=60)
    assert count_rows("family") == 3
    done = client.get(f"/brondby/admin/import/{row.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' not in done
