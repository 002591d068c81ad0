"""A large import (10,000 rows) through the admin page and the job queue; again: nothing."""

from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core import dates
from app.core.db import db
from app.imports.models import FamilyImport
from app.tenancy.scoping import tenant_scope
from tests.support.imports import headers, sample_rows, xlsx_bytes

#: Families of two adults and two children: 10,000 rows in all.
FAMILIES = int(os.environ.get("IMPORT_TEST_FAMILIES", "2000"))


@pytest.mark.slow
def test_ten_thousand_rows_import_once_through_the_job_queue(
    app: Flask,
    client: Any,
    auth: Any,
    municipalities: Any,
    make_user: Any,
    forms_published: Any,
    count_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "EXPORTS_INLINE", True)
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    rows = sample_rows(brondby, FAMILIES, dates.today(), adults=2, children=2)
    assert sum(len(r) for r in rows.values()) == FAMILIES * 5
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

    start = time.monotonic()
    first = upload()
    assert first.problems == [] and first.rows_total == FAMILIES * 5
    print(f"checked in {time.monotonic() - start:.1f} s")
    start = time.monotonic()
    assert client.post(f"/brondby/admin/import/{first.id}/confirm").status_code == 302
    print(f"imported in {time.monotonic() - start:.1f} s")
    assert count_rows("family") == FAMILIES
    assert count_rows("family_member") == FAMILIES * 4
    assert count_rows("submission") == FAMILIES * 5
    page = client.get(f"/brondby/admin/import/{first.id}").get_data(as_text=True)
    assert f"{FAMILIES} familier med {FAMILIES * 2} voksne" in page

    second = upload()
    assert second.summary["counts"]["families"] == 0
    assert second.summary["counts"]["already_present"] == FAMILIES
    again = client.get(f"/brondby/admin/import/{second.id}").get_data(as_text=True)
    assert "Intet nyt at importere" in again
    assert count_rows("family") == FAMILIES
    assert count_rows("submission") == FAMILIES * 5
