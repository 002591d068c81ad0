"""An administrator imports families in Chromium: the upload, a preview listing every
problem, a corrected file's preview, the confirmation and the job's page, each
accessible; the job is run by the live server's worker."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.browser import assert_accessible, live_app, log_in

pytestmark = pytest.mark.browser

SLUG = "rodovre"


def _file(tmp_path, *, broken: bool) -> str:
    """A workbook of two families from the municipality's own intake forms."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from app.core import dates
    from app.core.db import db
    from app.tenancy.models import Municipality
    from app.tenancy.scoping import tenant_scope
    from tests.support.imports import headers, sample_rows, xlsx_bytes

    app = live_app["app"]
    with app.app_context(), force_locale("da"):
        municipality = db.session.scalar(select(Municipality).filter_by(slug=SLUG))
        with tenant_scope(municipality):
            rows = sample_rows(municipality, 2, dates.today())
            prefix = uuid.uuid4().hex[:8]
            for sheet in rows.values():
                for row in sheet:
                    row["family_ref"] = f"{prefix}-{row['family_ref']}"
            if broken:
                rows["adults"][0]["who5_1"] = 9
                rows["children"][1]["family_ref"] = "NOBODY"
            content = xlsx_bytes(headers(municipality), rows)
    path = tmp_path / ("broken.xlsx" if broken else "families.xlsx")
    path.write_bytes(content)
    return str(path)


def test_an_admin_imports_families_after_a_preview(page, tmp_path) -> None:
    from playwright.sync_api import expect

    log_in(page, f"admin@{SLUG}.example")
    page.goto(f"/{SLUG}/admin/settings")
    page.get_by_role("link", name="Importér familier").click()
    assert_accessible(page, "the import page")

    page.get_by_label("Fil (.xlsx eller .csv)").set_input_files(_file(tmp_path, broken=True))
    page.get_by_role("button", name="Kontrollér filen").click()
    expect(page.get_by_role("heading", name="2 problemer: intet blev importeret")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Importér"))).to_have_count(0)
    assert_accessible(page, "a preview with problems")

    page.get_by_role("link", name="Importér familier").first.click()
    page.get_by_label("Fil (.xlsx eller .csv)").set_input_files(_file(tmp_path, broken=False))
    page.get_by_role("button", name="Kontrollér filen").click()
    expect(page.get_by_role("heading", name="Det, importen vil oprette")).to_be_visible()
    assert_accessible(page, "a preview to confirm")
    page.get_by_role("button", name="Importér 2 familier").click()
    # The page follows the job by refreshing itself, until the worker is done.
    expect(page.get_by_text("2 familier med 2 voksne og 2 børn blev importeret.")).to_be_visible(
        timeout=30_000
    )
    assert_accessible(page, "an import done")
