"""The job queue on both databases: a job exists only if its request committed, a worker
runs it, retries it after a failure, takes over a dead worker's job, and leaves a
cancelled one alone; the daily digest goes once a day however many workers run.

On PostgreSQL the queue is Procrastinate's; on SQLite the local ``job_queue`` table. The
workers run in threads of the test process, each as ``flask jobs worker`` runs it
(:func:`app.core.jobs.run_worker`); the test stops them when what it waits for happened.
The tests wait for outcomes, never for a time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask, g
from sqlalchemy import func, select, text

from app.core import dates, jobs
from app.core.db import db, utcnow
from app.core.logs import ContextFilter, JsonFormatter
from app.demo.generate import generate
from app.families.models import Assignment, Family
from app.families.services import add_member, enrol_family
from app.notifications.models import DigestRun
from app.research.models import ExportJob
from app.tenancy.scoping import tenant_scope
from tests.support.apps import owner_engine
from tests.support.auth import log_in
from tests.support.research import fill_wave, grant_and_approve, make_study

#: Anything still unfinished after this long has hung: the test fails rather than wait.
GIVE_UP_SECONDS = 120


# -- tasks of the tests' own: they write what happened to a file named in their arguments --


@jobs.task("tests.note")
def note(app: Flask, scope: object, path: str, fail_times: int = 0, say: str = "") -> None:
    """Append a line to *path*; fail the first *fail_times* attempts; log *say*."""
    if say:
        logging.getLogger("helhed.tests").warning(say)
    target = Path(path)
    attempts = len(target.read_text().splitlines()) if target.exists() else 0
    with target.open("a") as out:
        out.write("attempt\n")
    if attempts < fail_times:
        raise RuntimeError("a failure the queue must retry")


@jobs.task("tests.slow_note")
def slow_note(app: Flask, scope: object, path: str) -> None:
    """Note that it started, wait JOB_TEST_DELAY, note that it finished."""
    target = Path(path)
    with target.open("a") as out:
        out.write("started\n")
    jobs.test_delay(app)
    with target.open("a") as out:
        out.write("finished\n")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def queued_jobs(app: Flask) -> int:
    """Jobs the queue holds, whatever their state (as the table owner)."""
    table = "procrastinate_jobs" if jobs.uses_procrastinate(app) else "job_queue"
    with owner_engine(app).connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@contextmanager
def workers(app: Flask, count: int = 1) -> Iterator[None]:
    """*count* workers, each in a thread, for the block."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=jobs.run_worker, args=(app, stop), daemon=True)
        for _n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=GIVE_UP_SECONDS)
        assert not any(thread.is_alive() for thread in threads), "a worker did not stop"


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


@pytest.fixture
def quick_queue(app_ctx, monkeypatch) -> Flask:
    """A queue that retries at once and notices a silent worker within seconds."""
    for key, value in {
        "EXPORTS_INLINE": False,
        "JOBS_BACKOFF_SECONDS": 0,
        "JOBS_HEARTBEAT_SECONDS": 0.5,
        "JOBS_STALLED_SECONDS": 2.0,
        "JOBS_POLL_SECONDS": 0.2,
    }.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    return app_ctx


# -- the tests -------------------------------------------------------------------------------


def test_a_rolled_back_request_leaves_no_job_and_a_committed_one_leaves_one(
    quick_queue, municipalities, forms_published, tmp_path
):
    app = quick_queue
    # As a request does: its writes and its job in one transaction, rolled back whole.
    with tenant_scope(municipalities["vejle"]):
        enrol_family(municipalities["vejle"], "Familien Fortrudt", date(2026, 1, 10))
        jobs.enqueue("tests.note", path=str(tmp_path / "rolled-back"))
        db.session.rollback()
    assert queued_jobs(app) == 0
    jobs.enqueue("tests.note", path=str(tmp_path / "committed"))
    db.session.commit()
    assert queued_jobs(app) == 1
    with workers(app):
        wait_until(lambda: lines(tmp_path / "committed") == ["attempt"], "the committed job")
    assert lines(tmp_path / "rolled-back") == []


def test_a_failed_job_is_retried_until_it_succeeds(quick_queue, tmp_path):
    app = quick_queue
    path = tmp_path / "flaky"
    jobs.enqueue("tests.note", path=str(path), fail_times=2)
    db.session.commit()
    with workers(app):
        wait_until(lambda: len(lines(path)) == 3, "three attempts")
        if not jobs.uses_procrastinate(app):
            wait_until(
                lambda: db.session.scalar(select(jobs.QueuedJob.status)) == "done",
                "the job to be done",
            )
            db.session.rollback()
    assert len(lines(path)) == 3  # two failures, one success, nothing after


def test_a_jobs_log_lines_carry_the_request_that_asked_for_it(quick_queue, tmp_path):
    """An operator follows a click to the worker: the job's lines, its failure's included,
    carry the id the request sent back as X-Request-ID."""
    app = quick_queue
    records: list[dict] = []
    handler = logging.Handler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.emit = lambda record: records.append(json.loads(handler.format(record)))  # type: ignore[method-assign]
    path = tmp_path / "flaky"
    with app.test_request_context("/"):
        app.preprocess_request()
        asked_by = g.request_id
        jobs.enqueue("tests.note", path=str(path), fail_times=1, say="written by the job")
        db.session.commit()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with workers(app):
            wait_until(lambda: len(lines(path)) == 2, "a failure and a success")
            wait_until(
                lambda: sum(r["message"] == "written by the job" for r in records) == 2,
                "the job's own lines",
            )
    finally:
        root.removeHandler(handler)
    mine = [r for r in records if r.get("job") == "tests.note"]
    assert {r["message"] for r in mine} >= {"written by the job"}
    assert any(r.get("exception", "").endswith("RuntimeError") for r in mine), records
    assert all(r["request_id"] == asked_by for r in mine)


def test_a_job_of_a_dead_worker_is_run_again_by_another(quick_queue, tmp_path):
    app = quick_queue
    path = tmp_path / "orphan"
    jobs.enqueue("tests.note", path=str(path))
    db.session.commit()
    # What a worker killed mid-job leaves: the job taken, its worker silent since.
    silent = utcnow() - timedelta(minutes=5)
    with owner_engine(app).begin() as connection:
        if jobs.uses_procrastinate(app):
            worker_id = connection.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (:at) RETURNING id"
                ),
                {"at": silent},
            ).scalar_one()
            connection.execute(
                text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"),
                {"w": worker_id},
            )
        else:
            connection.execute(
                text(
                    "UPDATE job_queue SET status = 'running', worker = 'gone', "
                    "attempts = 1, heartbeat_at = :at"
                ),
                {"at": silent},
            )
    with workers(app):
        wait_until(lambda: lines(path) == ["attempt"], "the orphaned job to run")


def test_a_cancelled_job_does_not_run(quick_queue, tmp_path):
    app = quick_queue
    path = tmp_path / "cancelled"
    jobs.enqueue("tests.note", key="tests:1", path=str(path))
    jobs.enqueue("tests.note", key="tests:2", path=str(tmp_path / "kept"))
    db.session.commit()
    jobs.cancel("tests:1")
    db.session.commit()
    with workers(app):
        wait_until(lambda: lines(tmp_path / "kept") == ["attempt"], "the job not cancelled")
    assert lines(path) == []


@pytest.fixture
def study_data(municipalities, forms_published, make_user):
    vejle = municipalities["vejle"]
    with tenant_scope(vejle):
        for n in range(4):
            family = enrol_family(vejle, f"Familien Kø{n}", date(2026, 1, 10))
            add_member(family, "adult", f"Voksen Kø{n}", family.enrolment_date)
            db.session.flush()
            fill_wave(vejle, family, family.waves[0])
        db.session.commit()
    researcher = make_user(platform_role="researcher", email="koe@example.org")
    study = make_study(researcher, "Køen")
    grant_and_approve(municipalities, study, slugs=("vejle",), waves=("intake",))
    return study, researcher


def test_a_researcher_cancels_a_running_package_and_it_stops(
    quick_queue, study_data, client, monkeypatch
):
    app = quick_queue
    study, researcher = study_data
    # Every batch of one row waits a moment: the package is still running when cancelled.
    monkeypatch.setitem(app.config, "EXPORT_BATCH_ROWS", 1)
    monkeypatch.setitem(app.config, "JOB_TEST_DELAY", 0.3)
    log_in(client, researcher.email)
    started = client.post(f"/research/studies/{study.id}")
    assert started.status_code == 302
    job_url = started.location
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])

    def status() -> str:
        db.session.rollback()
        return db.session.get(ExportJob, job_id).status

    assert status() == "queued" and "Annullér jobbet" in client.get(job_url).get_data(True)
    with workers(app):
        wait_until(lambda: status() == "running", "the package to start")
        cancelled = client.post(job_url + "/cancel")
        assert cancelled.status_code == 302 and cancelled.location.endswith(job_url)
        page = client.get(job_url).get_data(as_text=True)
        assert "annulleret" in page and "Annullér jobbet" not in page
        # The worker stops at the package's next step; nothing else is queued.
        wait_until(lambda: queued_or_running(app) == 0, "the worker to let the job go")
    assert status() == "cancelled"
    assert client.get(job_url + "/download").status_code == 404


def queued_or_running(app: Flask) -> int:
    if jobs.uses_procrastinate(app):
        query = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    else:
        query = "SELECT count(*) FROM job_queue WHERE status IN ('queued', 'running')"
    with owner_engine(app).connect() as connection:
        return connection.execute(text(query)).scalar_one()


def test_two_workers_send_one_digest_a_day(
    quick_queue, municipalities, forms_published, make_user, smtp, monkeypatch
):
    app = quick_queue
    rodovre = municipalities["rodovre"]
    generate(rodovre, 20, seed=5, today=date.today() - timedelta(days=200))
    db.session.commit()
    staff = [make_user(rodovre, "staff"), make_user(rodovre, "lead")]
    with tenant_scope(rodovre):
        for index, family_id in enumerate(db.session.scalars(select(Family.id))):
            user = staff[index % 2]
            db.session.add(
                Assignment(
                    municipality_id=rodovre.id,
                    family_id=family_id,
                    user_id=user.id,
                    kind="team_member",
                )
            )
        db.session.commit()
    # The digest's hour has come whenever the test runs; each worker looks every second.
    monkeypatch.setitem(app.config, "DIGEST_SCHEDULE", True)
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 0)
    monkeypatch.setitem(app.config, "DIGEST_EVERY_SECONDS", 1)

    def finished() -> list[DigestRun]:
        db.session.rollback()
        return db.session.scalars(select(DigestRun)).all()

    with workers(app, count=2):
        wait_until(lambda: [r for r in finished() if r.finished_at], "the day's digest")
        sent = finished()[0].mails
        assert sent > 0
        smtp.wait_for(sent)
        # Both workers look again several times; nobody sends the day again.
        looked = time.monotonic()
        wait_until(lambda: time.monotonic() - looked > 3, "more looks at the clock")
    runs = finished()
    assert [run.day for run in runs] == [dates.today()]
    assert len(smtp.messages) == sent
    assert db.session.scalar(select(func.count()).select_from(DigestRun)) == 1
