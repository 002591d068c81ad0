"""Reports: the PDF and page of a municipality and of a study, under disclosure control.

The study's data puts 3 families in Jammerbugt (the only family-team municipality), 6 in
Vejle and 7 in Brøndby. The 3 must never be shown or recoverable: not on the page, not in
the PDF's text, not in the CSV, not through the API.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.config import PROJECT_ROOT
from app.core.db import db
from app.families.services import add_member, enrol_family
from app.reports.definitions import markdown
from app.reports.figures import municipality_report, study_report
from app.reports.models import ReportJob
from app.reports.pdf_worker import fetcher_for
from app.reports.render import STATIC_DIR, RenderError, render_document, render_pdf
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import missing_service
from tests.support.reports import html_row
from tests.support.research import fill_wave, grant_and_approve, make_study

SIZES = {"jammerbugt": 3, "vejle": 6, "brondby": 7}


@pytest.fixture
def study_data(municipalities, forms_published, make_user):
    for slug, count in SIZES.items():
        municipality = municipalities[slug]
        with tenant_scope(municipality):
            for n in range(count):
                family = enrol_family(municipality, f"Familien R{slug}{n}", date(2026, 1, 10))
                add_member(family, "adult", f"Voksen R{slug}{n}", family.enrolment_date)
                add_member(family, "child", f"Barn R{slug}{n}", family.enrolment_date)
                db.session.flush()
                fill_wave(municipality, family, family.waves[0])
            db.session.commit()
    researcher = make_user(platform_role="researcher", email="rapport@example.org")
    study = make_study(researcher, "Sammenligning")
    grant_and_approve(municipalities, study, waves=("intake",))
    return study, researcher


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def structure(node, tag: str) -> list:
    """The elements of a PDF's structure tree with the tag *tag*, in document order."""
    node = node.get_object()
    found = [node] if node.get("/S") == tag else []
    children = node.get("/K")
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "get_object") and hasattr(child.get_object(), "get"):
            found += structure(child, tag)
    return found


def enrolled_row(text: str, name: str, next_name: str) -> str:
    """The stretch of *text* from the families-enrolled row's name to the next row's."""
    text = " ".join(text.split())  # table cells wrap their words onto lines
    start = text.index(name)
    return text[start + len(name) : text.index(next_name, start)]


# -- the figures: what a 3 may never become -----------------------------------------------


def test_the_family_count_of_three_is_hidden_and_not_recoverable(study_data):
    study, _ = study_data
    with unscoped("test"):
        report = study_report(study)
    families = report.figure("families_enrolled")
    by_slug = {p.slug: families.municipalities[p.id] for p in report.municipalities}
    assert by_slug["jammerbugt"].value is None and by_slug["jammerbugt"].status == "suppressed"
    # Jammerbugt is the only family-team municipality: that column is the same 3.
    assert families.team_models["family_team"].value is None
    shown = [s.value for s in by_slug.values() if s.value is not None]
    pooled = families.pooled.value
    if pooled is not None:
        # Subtracting what is shown from the pooled total must not give 3 back.
        assert len(shown) < len(by_slug) - 1 or pooled - sum(shown) != 3
    team_shown = [s.value for s in families.team_models.values() if s.value is not None]
    if pooled is not None:
        assert len(team_shown) < len(families.team_models) - 1


# -- the PDF ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_municipality_pdf_has_text_page_numbers_charts_and_tags(cohort, app):
    with tenant_scope(cohort):
        report = municipality_report(cohort)
    data = render_pdf(render_document(report, "da"))
    reader = PdfReader(io.BytesIO(data), strict=True)  # a well-formed file, not just readable
    assert len(reader.pages) >= 2
    text = pdf_text(data)
    assert "Evalueringsrapport: Brøndby Kommune" in text
    assert "Indskrevne familier" in text and "Bilag: definitioner" in text
    assert f"Side 1 af {len(reader.pages)}" in text
    # Structure for assistive technology: tagged, with a language and a title.
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert str(catalog["/Lang"]).startswith("da")
    assert reader.metadata.title.startswith("Evalueringsrapport")
    # Charts are drawn as vectors with their labels as text.
    assert "Bar chart." not in text  # the text alternative is a tag attribute, not body text
    assert "Voksne på offentlig forsørgelse ved start" in text
    # One column of figures: a chart of each section's shares, captioned on the page.
    assert "Familierne ved start: andele" in text and "Under forløbet: andele" in text
    # Each chart is a tagged figure whose alternative text reads out every bar.
    alternatives = [str(f["/Alt"]) for f in structure(catalog["/StructTreeRoot"], "/Figure")]
    assert alternatives[0].startswith("Familierne ved start: andele. Søjlediagram. ")
    assert "Voksne på offentlig forsørgelse ved start: skjult" in alternatives[0]


@pytest.mark.slow
def test_the_comparison_pdf_in_danish_and_english_hides_the_three(study_data, app):
    study, _ = study_data
    with unscoped("test"):
        report = study_report(study)
    for language, title, name, next_name, hidden in (
        (
            "da",
            "Sammenligningsrapport: Sammenligning",
            "Indskrevne familier",
            "Indskrevne voksne",
            "skjult",
        ),
        (
            "en",
            "Comparison report: Sammenligning",
            "Families enrolled",
            "Adults enrolled",
            "hidden",
        ),
    ):
        data = render_pdf(render_document(report, language))
        text = pdf_text(data)
        assert title in text
        row = enrolled_row(text, name, next_name)
        assert hidden in row
        assert not re.search(r"(?<![\d.,])3(?![\d.,])", row), row
        assert "Jammerbugt" in text


@pytest.fixture
def five_study(municipalities, forms_published, make_user):
    """A study of all five municipalities (five consenting families each): the widest table."""
    for slug, municipality in municipalities.items():
        with tenant_scope(municipality):
            for n in range(5):
                family = enrol_family(municipality, f"Familien F{slug}{n}", date(2026, 1, 10))
                db.session.flush()
                fill_wave(municipality, family, family.waves[0])
            db.session.commit()
    researcher = make_user(platform_role="researcher", email="fem@example.org")
    study = make_study(researcher, "Fem kommuner")
    grant_and_approve(municipalities, study, slugs=tuple(municipalities), waves=("intake",))
    return study


def text_outside_the_page(data: bytes) -> list[str]:
    """Text drawn beyond a page's edges: cut off in every viewer."""
    outside: list[str] = []
    for page in PdfReader(io.BytesIO(data)).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)

        def visit(text, cm, tm, _font, _size, width=width, height=height):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and not (0 <= x < width - 20 and 0 <= y <= height):
                outside.append(text)

        page.extract_text(visitor_text=visit)
    return outside


@pytest.mark.slow
def test_the_comparison_of_five_municipalities_fits_its_pages(five_study, app):
    with unscoped("test"):
        report = study_report(five_study)
    assert len(report.municipalities) == 5 and len(report.team_models) == 3
    for language, pooled in (("da", "Alle"), ("en", "All")):
        data = render_pdf(render_document(report, language))
        # Five municipalities, three team models and the pooled column, all on the page.
        assert text_outside_the_page(data) == []
        assert pooled in pdf_text(data).split()


@pytest.mark.slow
def test_the_pdf_opens_in_a_standard_viewer(five_study, app, tmp_path):
    """Poppler (the engine of Evince, Okular and most Linux viewers) reads and draws it."""
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        missing_service("poppler-utils (pdftoppm, pdftotext) not installed")
    with unscoped("test"):
        report = study_report(five_study)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(render_document(report, "en")))
    done = subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        capture_output=True,
        check=True,
    )
    assert done.stderr == b""  # poppler reports every damaged object it meets
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) >= 2
    assert all(page.read_bytes().startswith(b"\x89PNG") for page in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Comparison report: Fem kommuner" in text and "Page 1 of" in text
    # The chart's caption and its bars' labels are text, drawn with the chart.
    assert "Adults on income support at intake" in text


def test_the_renderer_has_a_memory_and_a_time_limit(cohort, app):
    with tenant_scope(cohort):
        document = render_document(municipality_report(cohort), "en")
    with pytest.raises(RenderError, match=r"MB|could not"):
        render_pdf(document, memory_mb=60)
    with pytest.raises(RenderError, match="more than"):
        render_pdf(document, timeout=0.05)


@pytest.mark.slow
def test_the_renderer_fetches_only_the_projects_own_assets(tmp_path):
    fetch = fetcher_for(STATIC_DIR)
    css = (STATIC_DIR / "css" / "report.css").resolve()
    assert fetch.fetch(css.as_uri()).read().startswith(b"/*")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for url in (secret.as_uri(), "http://127.0.0.1:9/x.png", (STATIC_DIR / "..").as_uri()):
        with pytest.raises(ValueError, match="not one of the report's own assets"):
            fetch.fetch(url)
    # In a document: a foreign image is simply not loaded, and the PDF is still made.
    from app.reports.pdf_worker import html_to_pdf

    data = html_to_pdf(
        f'<html lang="en"><title>t</title><p>Hello</p><img alt="x" src="{secret.as_uri()}">',
        STATIC_DIR,
    )
    assert b"secret" not in data and pdf_text(data).strip().startswith("Hello")


# -- the pages, the CSV, the API and the package ---------------------------------------------


def test_leads_and_admins_see_their_own_report_and_staff_do_not(
    client,
    auth,
    make_user,
    cohort,
):
    for role, status in (("lead", 200), ("admin", 200), ("staff", 403), ("external", 403)):
        user = make_user(cohort, role)
        auth.login(user.email)
        response = client.get("/brondby/reports/")
        assert response.status_code == status, role
        if status == 200:
            page = response.get_data(as_text=True)
            assert "Indskrevne familier" in page and "<svg" in page and 'role="img"' in page
        auth.logout()


@pytest.mark.slow
def test_a_report_job_renders_in_the_background_and_downloads(
    client,
    auth,
    make_user,
    cohort,
    app,
):
    app.config["EXPORTS_INLINE"] = True
    lead = make_user(cohort, "lead")
    auth.login(lead.email)
    page = client.get("/brondby/reports/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = client.post("/brondby/reports/pdf", data={"csrf_token": token, "language": "en"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert f'href="{job_url}/download"' in client.get(job_url).get_data(as_text=True)
    pdf = client.get(job_url + "/download")
    data = pdf.data
    pdf.close()
    assert pdf.status_code == 200 and data.startswith(b"%PDF")
    assert "Evaluation report: Brøndby Municipality" in pdf_text(data)
    # Another lead of the same municipality cannot fetch it; nor can Vejle's lead.
    auth.logout()
    other = make_user(cohort, "lead")
    auth.login(other.email)
    assert client.get(job_url).status_code == 404
    auth.logout()


def test_a_report_job_over_its_time_limit_says_so_in_the_readers_language(
    client, auth, make_user, cohort, app
):
    app.config.update(EXPORTS_INLINE=True, REPORT_TIMEOUT_SECONDS=0.01)
    try:
        lead = make_user(cohort, "lead")
        auth.login(lead.email)
        page = client.get("/brondby/reports/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        job_url = client.post(
            "/brondby/reports/pdf", data={"csrf_token": token, "language": "da"}
        ).headers["Location"]
    finally:
        app.config["REPORT_TIMEOUT_SECONDS"] = 120
    page = client.get(job_url).get_data(as_text=True)
    assert "PDF&#39;en tog mere end 0 sekunder og blev stoppet." in page
    assert client.get(job_url + "/download").status_code == 404
    client.post("/language", data={"language": "en", "next": job_url})
    page = client.get(job_url).get_data(as_text=True)
    assert "The PDF took more than 0 seconds and was stopped." in page


def test_a_report_job_whose_worker_died_is_not_awaited_for_ever(client, auth, make_user, cohort):
    from datetime import UTC, datetime, timedelta

    lead = make_user(cohort, "lead")
    with tenant_scope(cohort):
        job = ReportJob(user_id=lead.id, municipality_id=cohort.id, language="da")
        job.status, job.progress = "running", "pdf"
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    auth.login(lead.email)
    url = f"/brondby/reports/jobs/{job_id}"
    page = client.get(url).get_data(as_text=True)
    assert "data-job-follow" in page and "<progress" in page  # just asked for: wait
    with tenant_scope(cohort):
        stored = db.session.get(ReportJob, job_id)
        stored.created_at = datetime.now(UTC) - timedelta(minutes=31)
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "data-job-follow" not in page and "<progress" not in page
    assert "stoppet, før den blev færdig" in page
    assert "stoppet, før den blev færdig" in client.get("/brondby/reports/").get_data(as_text=True)


def test_csv_and_api_show_the_same_protected_figures(
    client, auth, make_user, study_data, municipalities
):
    jammerbugt = municipalities["jammerbugt"]
    lead = make_user(jammerbugt, "lead")
    auth.login(lead.email)
    page = client.get("/jammerbugt/reports/").get_data(as_text=True)
    assert html_row(page, "families_enrolled") == ["skjult"]
    response = client.get("/jammerbugt/reports/indicators.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    (families,) = [r for r in rows if r["indicator"] == "families_enrolled"]
    assert families["status"] == "suppressed" and families["value"] == "" and families["n"] == ""
    assert all(r["value"] != "3" and r["n"] != "3" for r in rows)
    # The file states its rule on every row, wherever it is copied to.
    assert all(r["k"] == "5" and r["rule"].startswith("Counts from 1 to 4") for r in rows)
    auth.logout()

    from app.api.tokens import create_token

    with tenant_scope(jammerbugt):
        _, secret = create_token(lead, jammerbugt, "rapport")
        db.session.commit()
    response = client.get(
        "/api/v1/jammerbugt/indicators", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["k"] == 5 and "1 to 4" in body["rule"]
    figures = {i["id"]: i for i in body["indicators"]}
    assert figures["families_enrolled"]["value"] is None
    assert figures["families_enrolled"]["status"] == "suppressed"
    assert 3 not in [i["value"] for i in body["indicators"]] + [i["n"] for i in body["indicators"]]


def test_researchers_see_granted_municipalities_only(client, auth, study_data, municipalities):
    study, researcher = study_data
    auth.login(researcher.email)
    page = client.get(f"/research/studies/{study.id}/report").get_data(as_text=True)
    assert "Jammerbugt" in page and "Vejle" in page and "Assens" not in page
    # Columns: Brøndby, Jammerbugt, Vejle, three team models, pooled.
    cells = html_row(page, "families_enrolled")
    assert cells[1] == "skjult" and cells[4] == "skjult" and "3" not in cells
    shown = [int(c) for c in cells[:3] if c.isdigit()]
    assert cells[6] == "skjult" or len(shown) < 2 or int(cells[6]) - sum(shown) != 3
    assert client.get(f"/research/studies/{study.id}/report?municipality=vejle").status_code == 200
    assert client.get(f"/research/studies/{study.id}/report?municipality=assens").status_code == 404
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/research/studies/{study.id}/report/indicators.csv").get_data(
                    as_text=True
                )
            )
        )
    )
    jammerbugt = [r for r in rows if r["group"] == municipalities["jammerbugt"].code]
    assert all(r["value"] != "3" and r["n"] != "3" for r in jammerbugt)
    auth.logout()


def test_the_research_package_carries_the_protected_indicators(study_data, tmp_path):
    from app.research.services import export_package

    study, researcher = study_data
    result = export_package(study, tmp_path / "p.zip", researcher)
    db.session.commit()
    with zipfile.ZipFile(result.path) as archive:
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open("indicators.csv"), "utf-8")))
        package = archive.read("datapackage.json").decode()
    assert "indicators" in package and "Counts from 1 to 4 are not shown" in package
    families = {
        (r["group_type"], r["group"]): r for r in rows if r["indicator"] == "families_enrolled"
    }
    assert families[("municipality", "0849")]["status"] == "suppressed"
    assert families[("municipality", "0849")]["value"] == ""
    assert families[("team_model", "family_team")]["value"] == ""


@pytest.mark.slow
def test_the_command_writes_a_pdf(study_data, app, tmp_path):
    study, _ = study_data
    runner = app.test_cli_runner()
    out = tmp_path / "study.pdf"
    result = runner.invoke(
        args=["report", "pdf", "--study", str(study.id), "--lang", "en", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    with unscoped("test"):
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.rendered")
        ).all()
    assert event.object_id == str(study.id) and event.details["out"] == "study.pdf"
    bad = runner.invoke(args=["report", "pdf", "--lang", "en", "--out", str(out)])
    assert bad.exit_code == 1 and "either --municipality" in bad.output


def test_the_definitions_document_is_generated_from_the_code():
    assert (PROJECT_ROOT / "docs" / "indicators.md").read_text(encoding="utf-8") == markdown()


@pytest.mark.slow
def test_the_pdf_worker_runs_as_its_own_program():
    done = subprocess.run(
        [sys.executable, "-m", "app.reports.pdf_worker", "800", str(STATIC_DIR)],
        input=b'<html lang="en"><title>x</title><p>Worker</p></html>',
        capture_output=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert done.stdout.startswith(b"%PDF")


__all__ = ["Path", "ReportJob"]
