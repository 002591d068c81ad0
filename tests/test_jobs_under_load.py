"""Background jobs finish while the rest of the application keeps writing.

Every kind of background job (a municipality's PDF report, a study's comparison report, a
study's research package) is started through its page and run by job workers (two, in
threads of the test process, as ``flask jobs worker`` runs them), while writers in other
threads keep enrolling families, saving forms and recording audit events. On SQLite one
writer at a time holds the database: a job must wait its turn, never fail with "database
is locked". The tests count what became of every job and every write; they assert no
timing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from app.audit.services import record
from app.core.db import db
from app.core.jobs import run_worker
from app.families.services import add_member, enrol_family
from app.reports.models import ReportJob
from app.research.models import ExportJob
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.apps import IsolatedClient, owner_engine
from tests.support.auth import log_in
from tests.support.forms import save_family_draft
from tests.support.research import fill_wave, grant_and_approve, make_study

#: Tens of seconds or more: left out of `make test-quick`; `make test` runs it.
pytestmark = pytest.mark.slow

#: How many jobs of each kind run at once, and how many threads write beside them.
JOBS = 3
WRITERS = 2
#: A writer's pause between two writes: light load, as people saving forms make it. (On
#: SQLite, writers with no pause at all would starve any other writer of the lock.)
PAUSE_SECONDS = 0.02
#: A job still unfinished after this long has hung; the test fails rather than wait.
GIVE_UP_SECONDS = 180


@dataclass
class Writes:
    done: int = 0
    errors: list[str] = field(default_factory=list)


@contextmanager
def concurrent_writers(app: Flask, municipality_id: int) -> Iterator[Writes]:
    """Threads that enrol a family, save its intake draft and audit it, over and over,
    each in its own app context and transaction, as requests do, until the block ends."""
    stop = threading.Event()
    writes = Writes()
    lock = threading.Lock()

    def write(number: int) -> None:
        with app.app_context():
            municipality = db.session.get(Municipality, municipality_id)
            with tenant_scope(municipality):
                round_ = 0
                while not stop.is_set():
                    round_ += 1
                    try:
                        family = enrol_family(
                            municipality, f"Familien Skriver {number}-{round_}", date(2026, 2, 1)
                        )
                        add_member(family, "adult", f"Skriver {number}-{round_}", date(2026, 2, 1))
                        db.session.flush()
                        save_family_draft(municipality, family.id, date.today())
                        record("family.viewed", municipality_id=municipality.id)
                        db.session.commit()
                        with lock:
                            writes.done += 1
                        stop.wait(PAUSE_SECONDS)
                    except Exception as exc:  # counted, and the test says which
                        db.session.rollback()
                        with lock:
                            writes.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            db.session.remove()

    threads = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        yield writes
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=GIVE_UP_SECONDS)


def outcomes(app: Flask, model: type, ids: list[int]) -> Counter[str]:
    """Wait until every job has stopped running, then count how each ended."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while True:
        with owner_engine(app).connect() as connection:
            statuses = connection.scalars(select(model.status).where(model.id.in_(ids))).all()
        if all(status in ("done", "failed") for status in statuses) or (
            time.monotonic() > deadline
        ):
            return Counter(statuses)
        time.sleep(0.2)


def start_through_pages(app: Flask, email: str, action: str, data: dict[str, str]) -> list[int]:
    """Ask for JOBS jobs through the page, as a user does; the ids of the jobs started."""
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    signed_in = log_in(browser, email)
    assert signed_in.status_code == 302 and "login" not in signed_in.location, signed_in.location
    ids = []
    for _n in range(JOBS):
        response = browser.post(action, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        ids.append(int(response.location.rstrip("/").rsplit("/", 1)[1]))
    return ids


#: On SQLite a writer waits at most this long for the lock. Two test processes share two
#: cores with these threads, and SQLite's waiter polls with growing sleeps while the
#: writers take the lock back every few milliseconds: under that load a wait went past the
#: production default of 5 s once. The test asks whether every write and job waits its turn
#: rather than fails at once, not how long the turn takes.
BUSY_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def patient_sqlite_writers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every connection of the test opened with the longer wait (pooled ones are closed)."""
    monkeypatch.setitem(app.config, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    with app.app_context():
        db.engine.dispose()
    yield
    monkeypatch.undo()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def threaded_jobs(app: Flask) -> Iterator[None]:
    """Jobs queued and run by two workers, as in production (other tests run them inline)."""
    inline = app.config.get("EXPORTS_INLINE")
    app.config["EXPORTS_INLINE"] = False
    stop = threading.Event()
    workers = [
        threading.Thread(target=run_worker, args=(app, stop), daemon=True) for _n in range(2)
    ]
    for worker in workers:
        worker.start()
    yield
    stop.set()
    for worker in workers:
        worker.join(timeout=GIVE_UP_SECONDS)
    app.config["EXPORTS_INLINE"] = inline


@pytest.fixture
def study_data(municipalities, forms_published, make_user):
    for slug in ("vejle", "brondby"):
        municipality = municipalities[slug]
        with tenant_scope(municipality):
            for n in range(6):
                family = enrol_family(municipality, f"Familien L{slug}{n}", date(2026, 1, 10))
                add_member(family, "adult", f"Voksen L{slug}{n}", family.enrolment_date)
                add_member(family, "child", f"Barn L{slug}{n}", family.enrolment_date)
                db.session.flush()
                fill_wave(municipality, family, family.waves[0])
            db.session.commit()
    researcher = make_user(platform_role="researcher", email="belastning@example.org")
    study = make_study(researcher, "Under belastning")
    grant_and_approve(municipalities, study, slugs=("vejle", "brondby"), waves=("intake",))
    return study, researcher


def assert_all_finished(app: Flask, model: type, ids: list[int], writes: Writes) -> None:
    counted = outcomes(app, model, ids)
    assert counted == Counter({"done": len(ids)}), counted
    assert writes.errors == [], writes.errors[:5]
    assert writes.done > 0


def test_report_jobs_finish_while_others_write(
    app, municipalities, study_data, make_user, threaded_jobs
):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    _study, researcher = study_data
    with concurrent_writers(app, brondby.id) as writes:
        own = start_through_pages(
            app,
            lead.email,
            "/brondby/reports/pdf",
            {"language": "da"},
        )
        assert_all_finished(app, ReportJob, own, writes)
        comparison = start_through_pages(
            app,
            researcher.email,
            f"/research/studies/{_study.id}/report/pdf",
            {"language": "en"},
        )
        assert_all_finished(app, ReportJob, comparison, writes)


def test_research_export_jobs_finish_while_others_write(
    app, municipalities, study_data, threaded_jobs, monkeypatch
):
    # A package reports its progress every EXPORT_BATCH_ROWS rows; with a small batch this
    # one does so while it reads, as a large study's does.
    monkeypatch.setitem(app.config, "EXPORT_BATCH_ROWS", 2)
    study, researcher = study_data
    with concurrent_writers(app, municipalities["brondby"].id) as writes:
        ids = start_through_pages(
            app,
            researcher.email,
            f"/research/studies/{study.id}",
            {},
        )
        assert_all_finished(app, ExportJob, ids, writes)


def test_report_pages_answer_while_others_write(app, municipalities, study_data, make_user):
    # The page computes the same figures as a job (a read that fills a temporary table),
    # then records that it was read: on SQLite that write after the read was refused at
    # once ("database is locked") whenever another writer had committed in between.
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    study, researcher = study_data
    app.test_client_class = IsolatedClient
    pages = [
        (lead.email, ["/brondby/reports/", "/brondby/reports/indicators.csv"]),
        (researcher.email, [f"/research/studies/{study.id}/report"]),
    ]
    answers: Counter[int] = Counter()
    with concurrent_writers(app, brondby.id) as writes:
        for email, urls in pages:
            browser = app.test_client()
            log_in(browser, email)
            for _round in range(JOBS):
                for url in urls:
                    answers[browser.get(url).status_code] += 1
    assert answers == Counter({200: JOBS * 3}), answers
    assert writes.errors == [], writes.errors[:5]
    assert writes.done > 0
