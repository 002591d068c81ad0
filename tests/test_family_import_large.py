"""A large import (10,000 rows) through the admin page and the job queue; again: nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core import dates
from app.core.db import db
from app.imports.models import FamilyImport
from app.tenancy.scoping import tenant_scope
from tests.support.imports import headers, sample_rows, xlsx_bytes

#: Families of two adults and two children: 10,000 rows in all on PostgreSQL, the
#: database of a municipality's installation. SQLite (one writer, ``make run``) takes the
#: same path with a tenth of them, so the suite does not spend minutes on it twice.
FAMILIES = {"postgresql": 2000, "sqlite": 200}


@pytest.mark.slow
def test_ten_thousand_rows_import_once_through_the_job_queue(
    app: Flask,
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "EXPORTS_INLINE", True)
    families = FAMILIES[backend]
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    rows = sample_rows(brondby, families, dates.today(), adults=2, children=2)
    assert sum(len(r) for r in rows.values()) == families * 5
    content = xlsx_bytes(headers(brondby), rows)

    def upload() -> FamilyImport:
        client.get("/brondby/admin/import/")
        sent = client.post(
            "/brondby/admin/import/",
            data={"file": (io.BytesIO(content), "families.xlsx")},
            content_type="multipart/form-data",
        )
        assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
        with tenant_scope(brondby):
            return db.session.scalars(select(FamilyImport).order_by(FamilyImport.id.desc())).first()

    first = upload()
    assert first.problems == [] and first.rows_total == families * 5
    assert client.post(f"/brondby/admin/import/{first.id}/confirm").status_code == 302
    assert count_rows("family") == families
    assert count_rows("family_member") == families * 4
    assert count_rows("submission") == families * 5
    page = client.get(f"/brondby/admin/import/{first.id}").get_data(as_text=True)
    assert f"{families} familier med {families * 2} voksne" in page

    second = upload()
    assert second.summary["counts"]["families"] == 0
    assert second.summary["counts"]["already_present"] == families
    again = client.get(f"/brondby/admin/import/{second.id}").get_data(as_text=True)
    assert "Intet nyt at importere" in again
    assert count_rows("family") == families
    assert count_rows("submission") == families * 5
