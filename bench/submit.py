"""Benchmark: form submission through gunicorn against a minimal endpoint storing the same row.

For each database (SQLite, and PostgreSQL when reachable) a scratch database gets the
municipalities, the forms and one staff member with an API token per client
(``bench/load_faults.py``'s ``prepare``). Two gunicorn servers then run side by side with
the same command line, the deployment's (``-c python:app.core.gunicorn_conf``, sync
workers, the access log on), the same worker count and the same database, on PostgreSQL
as the same non-owner role:

- **Helhed**: ``POST /api/v1/<slug>/families/<id>/waves/<intake>/submissions`` with a
  complete family intake form (``{"form_id": "family_intake", "status": "submitted",
  "answers": {…}}``): token check, access rules, validation against the form, the row, its
  audit event, its wave marked complete, one commit.
- **the baseline**, ``bench/minimal_app.py``: ``POST /submit`` with the same answers plus a
  family id and the form id; it parses the JSON and inserts one row in one transaction
  with SQLAlchemy Core.

Before the clock starts, families are enrolled (through the service layer, untimed) and
assigned to the clients' staff members, so that every timed request submits the intake
of a family that has none yet: one intake per family, a repeat would be answered 409.
Each client has its own families (a staff member sees only those assigned to them), as
many as the rate measured so far says it will need, half again to spare; a level in which
a client runs out anyway ends its window there and is measured again with more.

At 1, 8 and 32 concurrent clients, each server in turn: one thread per client, each with
its own HTTP/1.1 connection (``http.client``), no think time; a warm-up, then a fixed
window (``--seconds``). Only requests that end inside the window count: throughput is
those requests over the window's length, and every one's latency is kept for p50 and p99.
Answers other than 2xx and failed connections are counted and shown. gunicorn's sync
workers close the connection after each answer, so the clients reconnect for every
request, against both servers alike. The clients run on the same machine and take CPU
from the servers, the same load against both servers; it lowers the baseline's figure
more than Helhed's, which flatters the ratio a little.

Workers: ``app/core/gunicorn_conf.py``'s default, two per core (``HELHED_WORKERS`` or
``--workers`` overrides it), for both servers: what a deployment runs, and with sync
workers a worker waiting on the database leaves its core to another.

Targets, printed as PASS or FAIL per database (asserted nowhere): form submission at
≥ 50 % of the minimal endpoint's throughput (at every level), p99 < 100 ms at 32
clients on two cores (and no errors), and ≤ 8 SQL statements per submission. The
statements are counted in the profile below, by a ``before_cursor_execute`` listener on
the engine of the application as the server runs it (production settings, the server's
role, warm caches after a round of warm-up), without the commit and the pool's liveness
check; ``tests/api/test_submit_statements.py`` holds the same count as behaviour.

What explains the figures is printed after them:

- the CPU each window used per request (from /proc): the server's workers, the
  PostgreSQL backends serving them, the clients; and how busy the machine was, with the
  part that none of these used (other programs on the same cores lower both servers'
  figures, so a run on a busy machine says so);
- a profile of one worker: each endpoint in this process through the Flask test client
  (production settings, the server's role), one request at a time: its time split into
  SQL statements, the commit and the rest; how long each transaction holds its writes
  locked (on SQLite the write lock of the whole file, which serialises submissions);
  the statements of one submission; and where the rest goes (cProfile's own wall time by
  package).

Linux only (the CPU is read from /proc, as ``bench/load_faults.py`` finds its workers).

Usage: ``python bench/submit.py [--seconds 10] [--warmup 2] [--clients 1,8,32]
[--workers N] [--databases sqlite,postgresql]`` (``make bench-submit``).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import http.client
import json
import math
import os
import pstats
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import APP_ROLE, DatabaseUnavailable, Server, scratch_database  # noqa: E402
from bench.load_faults import INTAKE_FORM, ClientSpec, World, prepare  # noqa: E402
from bench.minimal_app import create_table, grant_statements  # noqa: E402

RATIO_TARGET = 0.5
#: The most SQL statements one submission may send (the commit and the pool's liveness
#: check not counted).
STATEMENTS_TARGET = 8
PING = "(the pool's liveness check)"
P99_TARGET_MS = 100.0
#: The level the p99 target is set for.
P99_TARGET_CLIENTS = 32
GUNICORN_CONFIG = "python:app.core.gunicorn_conf"
#: A line of that configuration's access log: it starts with the time in brackets.
ACCESS_LINE = re.compile(r"^\[\d{2}/\w{3}/\d{4}:")
REQUEST_TIMEOUT = 30.0
#: Families enrolled per commit while setting up.
ENROL_BATCH = 200
#: Each client's pool of families is its expected share times this, against uneven shares.
POOL_SLACK = 1.5
#: Requests per endpoint in the in-process profile, after as many to warm up.
PROFILE_REQUESTS = 200


# -- the clients ----------------------------------------------------------------------------------


@dataclass
class Level:
    """One server at one level of concurrency."""

    clients: int
    #: Length of the window the requests below ended in.
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    #: Non-2xx answers by status, failed requests by exception, inside the window.
    errors: Counter[str] = field(default_factory=Counter)
    #: Seconds into the window at which a client ran out of families (the window ends there).
    exhausted_at: float | None = None
    #: CPU milliseconds per request in the window: the server's workers, the database's
    #: backends (PostgreSQL; SQLite runs inside the worker), the clients.
    cpu_ms: dict[str, float] = field(default_factory=dict)
    #: Shares of all cores' time in the window: busy, and busy outside the three above.
    busy: float = 0.0
    others: float = 0.0

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000


#: One request: path and body; None when the client has nothing left to send.
Source = Callable[[], tuple[str, bytes] | None]


class _Run:
    """What the clients of one level share: the clock, and the stop when one runs dry."""

    def __init__(self, warmup: float, seconds: float) -> None:
        self.start = time.perf_counter() + 0.05
        self.window_start = self.start + warmup
        self.window_end = self.window_start + seconds
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.dry_at: float | None = None

    def ran_dry(self) -> None:
        with self.lock:
            now = time.perf_counter()
            if self.dry_at is None or now < self.dry_at:
                self.dry_at = now
        self.stop.set()


def _client(
    port: int, token: str, source: Source, run: _Run, results: list[tuple[float, float, str]]
) -> None:
    """Send requests back to back until the window closes; record (end, seconds, outcome)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Accept-Language": "en",
        "Content-Type": "application/json",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    time.sleep(max(0.0, run.start - time.perf_counter()))
    try:
        while not run.stop.is_set() and time.perf_counter() < run.window_end:
            request = source()
            if request is None:
                run.ran_dry()
                break
            path, body = request
            started = time.perf_counter()
            try:
                # The connection is kept while the server keeps it; http.client opens a new
                # one when the server closed the last (gunicorn's sync workers always do).
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                outcome = type(exc).__name__
            ended = time.perf_counter()
            results.append((ended, ended - started, outcome))
    finally:
        connection.close()


class CpuMeter:
    """CPU seconds used so far: by a server's workers, by the database's backends, by the
    clients (this process), and by the whole machine (Linux: /proc)."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, server: Server, url: str) -> None:
        self.server = server
        self.admin: Any = None
        if not url.startswith("sqlite"):
            import psycopg
            from sqlalchemy.engine import make_url

            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            self.admin = psycopg.connect(dsn, autocommit=True)

    @classmethod
    def _process(cls, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / cls.TICK  # utime + stime

    def snapshot(self) -> dict[str, float]:
        backends: list[int] = []
        if self.admin is not None:
            backends = [
                pid
                for (pid,) in self.admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            ]
        columns = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = columns[3] + columns[4]  # idle, iowait
        busy = sum(columns[:8]) - idle  # up to steal; guest time is counted in user
        return {
            "worker": sum(self._process(pid) for pid in self.server.worker_pids()),
            "database": sum(self._process(pid) for pid in backends),
            "clients": time.process_time(),
            "busy": busy / self.TICK,
            "all": (busy + idle) / self.TICK,
        }

    def close(self) -> None:
        if self.admin is not None:
            self.admin.close()


def drive(
    port: int,
    tokens: list[str],
    sources: list[Source],
    warmup: float,
    seconds: float,
    meter: CpuMeter | None = None,
) -> Level:
    """Run one client per source for warm-up plus window; measure what ended in the window."""
    run = _Run(warmup, seconds)
    per_client: list[list[tuple[float, float, str]]] = [[] for _ in sources]
    threads = [
        threading.Thread(
            target=_client, args=(port, token, source, run, own), name=f"submit-client-{n}"
        )
        for n, (token, source, own) in enumerate(zip(tokens, sources, per_client, strict=True))
    ]
    for thread in threads:
        thread.start()
    cpu: dict[str, float] = {}
    if meter is not None:
        run.stop.wait(max(0.0, run.window_start - time.perf_counter()))
        before = meter.snapshot()
        run.stop.wait(max(0.0, run.window_end - time.perf_counter()))
        after = meter.snapshot()
        cpu = {key: after[key] - before[key] for key in before}
    for thread in threads:
        thread.join()
    level = Level(len(sources))
    end = run.window_end
    if run.dry_at is not None and run.dry_at < end:
        end = run.dry_at
        level.exhausted_at = run.dry_at - run.window_start
    level.seconds = max(0.0, end - run.window_start)
    for own in per_client:
        for ended, took, outcome in own:
            if run.window_start <= ended <= end:
                level.latencies.append(took)
                if not outcome.startswith("2"):
                    level.errors[outcome] += 1
    if cpu and level.completed:
        level.cpu_ms = {
            key: cpu[key] / level.completed * 1000 for key in ("worker", "database", "clients")
        }
        level.busy = cpu["busy"] / cpu["all"] if cpu["all"] else 0.0
        ours = cpu["worker"] + cpu["database"] + cpu["clients"]
        level.others = max(0.0, cpu["busy"] - ours) / cpu["all"] if cpu["all"] else 0.0
    return level


# -- the families the timed requests submit for ---------------------------------------------------


class Families:
    """Enrols families for each client's staff member, untimed, through the service layer."""

    def __init__(self, url: str, exports: str, field_key: str) -> None:
        from app import create_app

        self.app = create_app(
            {
                "HELHED_ENV": "testing",
                "DATABASE_URL": url,
                "EXPORTS_DIR": exports,
                "FIELD_ENCRYPTION_KEY": field_key,
            }
        )
        #: Per client index: (family id, intake wave id) not submitted yet.
        self.pools: dict[int, deque[tuple[int, int]]] = {}
        self.enrolled = 0
        self.seconds = 0.0

    def top_up(self, client: ClientSpec, want: int) -> None:
        pool = self.pools.setdefault(client.index, deque())
        missing = want - len(pool)
        if missing > 0:
            pool.extend(self._enrol(client, missing))

    def _enrol(self, client: ClientSpec, count: int) -> list[tuple[int, int]]:
        from sqlalchemy import select

        from app.api.models import ApiToken
        from app.api.tokens import digest
        from app.auth.models import Membership
        from app.core.db import db
        from app.families.models import Wave
        from app.families.services import enrol_family
        from app.teams.services import assign
        from app.tenancy.models import Municipality
        from app.tenancy.scoping import tenant_scope

        started = time.perf_counter()
        made: list[tuple[int, int]] = []
        today = date.today()
        with self.app.app_context():
            municipality = db.session.scalar(select(Municipality).filter_by(slug=client.slug))
            with tenant_scope(municipality):
                # The staff member the client's token belongs to.
                membership = db.session.scalar(
                    select(Membership)
                    .join(ApiToken, ApiToken.user_id == Membership.user_id)
                    .where(ApiToken.token_hash == digest(client.token))
                )
                while len(made) < count:
                    batch = min(ENROL_BATCH, count - len(made))
                    ids = []
                    for _ in range(batch):
                        self.enrolled += 1
                        family = enrol_family(municipality, f"Familie {self.enrolled}", today)
                        assign(municipality, family, membership)
                        ids.append(family.id)
                    db.session.commit()
                    intake = dict(
                        db.session.execute(
                            select(Wave.family_id, Wave.id).where(
                                Wave.family_id.in_(ids), Wave.kind == "intake"
                            )
                        ).all()
                    )
                    made += [(family_id, intake[family_id]) for family_id in ids]
            db.session.remove()
        self.seconds += time.perf_counter() - started
        return made

    def close(self) -> None:
        from app.core.db import db

        with self.app.app_context():
            db.engine.dispose()


def _helhed_sources(clients: list[ClientSpec], families: Families, body: bytes) -> list[Source]:
    def source(client: ClientSpec) -> Source:
        pool = families.pools[client.index]
        base = f"/api/v1/{client.slug}/families"

        def next_request() -> tuple[str, bytes] | None:
            if not pool:
                return None
            family_id, wave_id = pool.popleft()
            return f"{base}/{family_id}/waves/{wave_id}/submissions", body

        return next_request

    return [source(client) for client in clients]


def _minimal_sources(count: int, answers: bytes, numbers: Iterator[int]) -> list[Source]:
    def next_request() -> tuple[str, bytes]:
        body = b'{"family_id": %d, "form_id": "%s", "status": "submitted", "answers": %s}' % (
            next(numbers),
            INTAKE_FORM.encode(),
            answers,
        )
        return "/submit", body

    return [next_request for _ in range(count)]


# -- the run --------------------------------------------------------------------------------------


def _minimal_table(url: str, world: World) -> None:
    """The baseline's table, made by the owner; on PostgreSQL granted to the server's role."""
    from sqlalchemy import create_engine

    from app.config import normalise_database_url

    create_table(url)
    if world.server_url != url:
        engine = create_engine(normalise_database_url(url))
        with engine.begin() as connection:
            for statement in grant_statements(APP_ROLE):
                connection.exec_driver_sql(statement)
        engine.dispose()


def _estimate(measured: dict[int, float], clients: int, workers: int) -> float:
    """Requests per second expected at *clients*: the best level so far, scaled up to as
    many clients as there are workers (more clients only queue)."""
    return max(
        rate * min(clients, workers) / min(known, workers) for known, rate in measured.items()
    )


@dataclass
class Result:
    database: str
    workers: int
    levels: list[tuple[Level, Level]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    set_up: str = ""


def run(database: str, levels: list[int], seconds: float, warmup: float, workers: int) -> Result:
    field_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with tempfile.TemporaryDirectory(prefix="helhed-bench-submit-") as tmp:
        folder = Path(tmp)
        with scratch_database(database, folder) as url:
            name = "sqlite" if url.startswith("sqlite") else "postgresql"
            result = Result(name, workers)
            started = time.perf_counter()
            world = prepare(url, max(levels), field_key, str(folder / "exports"))
            _minimal_table(url, world)
            answers = json.dumps(world.answers).encode()
            body = b'{"form_id": "%s", "status": "submitted", "answers": %s}' % (
                INTAKE_FORM.encode(),
                answers,
            )
            families = Families(url, str(folder / "exports"), field_key)
            servers = {}
            for kind, target, ready in (
                ("helhed", "wsgi:app", "/api/v1/openapi.json"),
                ("minimal", "bench.minimal_app:create_app()", "/healthz"),
            ):
                (folder / kind).mkdir()
                servers[kind] = Server(
                    world.server_url,
                    workers,
                    folder / kind,
                    field_key,
                    target=target,
                    config=GUNICORN_CONFIG,
                    ready_path=ready,
                )
            numbers = iter(range(1, 10**9))
            meters: list[CpuMeter] = []
            try:
                for server in servers.values():
                    server.start()
                helhed, minimal = servers["helhed"], servers["minimal"]
                meters = [CpuMeter(helhed, url), CpuMeter(minimal, url)]
                # Warm both: every worker opens its connection and fills its caches. The
                # single client's rate sizes the first pools of families.
                first = world.clients[0]
                families.top_up(first, 20 * workers)
                calibration = drive(
                    helhed.port,
                    [first.token],
                    _helhed_sources([first], families, body),
                    0.0,
                    3600.0,
                )
                drive(minimal.port, [first.token], _minimal_sources(1, answers, numbers), 0, 1.0)
                # The median, as the first requests of each worker are slow.
                measured = {1: 1000 / calibration.percentile(0.5)}
                print(
                    f"  set up in {time.perf_counter() - started:.0f} s; one client, warming"
                    f" up: {measured[1]:.0f} submissions/s",
                    flush=True,
                )
                for clients in levels:
                    specs = world.clients[:clients]
                    tokens = [spec.token for spec in specs]
                    for _attempt in range(3):
                        rate = _estimate(measured, clients, workers)
                        want = math.ceil(rate / clients * POOL_SLACK * (warmup + seconds)) + 5
                        for spec in specs:
                            families.top_up(spec, want)
                        ours = drive(
                            helhed.port,
                            tokens,
                            _helhed_sources(specs, families, body),
                            warmup,
                            seconds,
                            meters[0],
                        )
                        measured[clients] = ours.throughput
                        if ours.exhausted_at is None:
                            break
                        # The estimate was short: again with what this level did.
                        result.notes.append(
                            f"{clients} clients: a client ran out of families after"
                            f" {ours.exhausted_at:.1f} s of the window; measured again"
                        )
                    theirs = drive(
                        minimal.port,
                        tokens,
                        _minimal_sources(clients, answers, numbers),
                        warmup,
                        seconds,
                        meters[1],
                    )
                    result.levels.append((ours, theirs))
                    print(
                        f"  {clients} clients: Helhed {ours.throughput:.0f}/s,"
                        f" minimal {theirs.throughput:.0f}/s",
                        flush=True,
                    )
                    if ours.exhausted_at is not None:
                        result.notes.append(
                            f"{clients} clients: measured over {ours.seconds:.1f} s only"
                        )
            finally:
                for meter in meters:
                    meter.close()
                for server in servers.values():
                    server.stop()
            for index, (kind, server) in enumerate(servers.items()):
                if any(pair[index].error_count for pair in result.levels):
                    result.notes.append(f"{kind}: gunicorn's log, last lines:\n{_log(server)}")
            result.set_up = (
                f"{families.enrolled} families enrolled for the timed requests"
                f" in {families.seconds:.0f} s"
            )
            result.profile = profile(world, families, folder, field_key, body, answers)
            families.close()
    return result


def _log(server: Server, lines: int = 15) -> str:
    """The end of gunicorn's log without the access log's lines."""
    try:
        text = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    other = [line for line in text if not ACCESS_LINE.match(line)]
    return "\n".join(other[-lines:])


# -- the profile ----------------------------------------------------------------------------------


def _package(filename: str) -> str:
    """Who owns the code a profiled function is in."""
    if filename.startswith(str(ROOT / "app")):
        return "Helhed (app/)"
    if filename.startswith(str(ROOT / "bench")):
        return "benchmark"
    if filename == "~":
        return "C built-ins (incl. the driver's)"
    for marker, name in (
        ("/sqlalchemy/", "SQLAlchemy"),
        ("/flask_sqlalchemy/", "SQLAlchemy"),
        ("/werkzeug/", "Flask and Werkzeug"),
        ("/flask/", "Flask and Werkzeug"),
        ("/flask_", "Flask extensions"),
        ("/psycopg", "database driver"),
        ("/sqlite3/", "database driver"),
        ("/jinja2/", "Jinja"),
        ("/babel/", "Babel"),
        ("/json/", "json"),
    ):
        if marker in filename:
            return name
    return "other Python (standard library etc.)"


def _measure(
    app: Any, engine: Any, requests: list[tuple[str, bytes]], headers: dict[str, str]
) -> dict[str, Any]:
    """Time each request through the test client, with its statements and its commits."""
    from sqlalchemy import event

    dialect = engine.dialect
    #: "writing": from each transaction's first write to its commit, as long as SQLite
    #: holds its one write lock and PostgreSQL the written rows' locks.
    spent = {"sql": 0.0, "commit": 0.0, "writing": 0.0}
    first_write: list[float] = []
    #: Per statement (its first words), in the order first run: how often, how long.
    statements: dict[str, list[float]] = {}

    def count(label: str, seconds: float) -> None:
        row = statements.setdefault(label, [0, 0.0])
        row[0] += 1
        row[1] += seconds

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info.pop("bench_started")
        took = time.perf_counter() - started
        spent["sql"] += took
        text = " ".join(statement.split())
        count(text[:64], took)
        if not first_write and text.split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            first_write.append(started)

    def timed(method: Callable[[Any], Any], bucket: str, label: str) -> Callable[[Any], Any]:
        # The commit and the pool's liveness check reach the driver without the events.
        def wrapper(dbapi_connection: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(dbapi_connection)
            finally:
                ended = time.perf_counter()
                spent[bucket] += ended - started
                count(label, ended - started)
                if label == "COMMIT" and first_write:
                    spent["writing"] += ended - first_write.pop()

        return wrapper

    def cleared(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapper(dbapi_connection: Any) -> Any:
            first_write.clear()
            return method(dbapi_connection)

        return wrapper

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    dialect.do_commit = timed(dialect.do_commit, "commit", "COMMIT")
    dialect.do_ping = timed(dialect.do_ping, "sql", PING)
    dialect.do_rollback = cleared(dialect.do_rollback)
    client = app.test_client()
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    try:
        for path, body in requests:
            response = client.post(path, data=body, headers=headers)
            statuses[response.status_code] += 1
    finally:
        total = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        del dialect.do_commit, dialect.do_ping, dialect.do_rollback
    many = len(requests)
    return {
        "total_ms": total / many * 1000,
        "sql_ms": spent["sql"] / many * 1000,
        "commit_ms": spent["commit"] / many * 1000,
        "writing_ms": spent["writing"] / many * 1000,
        "statements": {text: (n / many, t / many * 1000) for text, (n, t) in statements.items()},
        "statuses": dict(statuses),
    }


def _by_package(app: Any, requests: list[tuple[str, bytes]], headers: dict[str, str]) -> Any:
    """cProfile's own time per package over *requests*, as shares of the whole."""
    client = app.test_client()
    profiler = cProfile.Profile()
    profiler.enable()
    for path, body in requests:
        client.post(path, data=body, headers=headers)
    profiler.disable()
    own: Counter[str] = Counter()
    rows = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, _name), row in rows.items():
        own[_package(filename)] += row[2]  # the function's own time
    total = sum(own.values()) or 1.0
    return [(name, seconds / total) for name, seconds in own.most_common()]


def profile(
    world: World,
    families: Families,
    folder: Path,
    field_key: str,
    body: bytes,
    answers: bytes,
) -> dict[str, Any]:
    """One worker's work per request, in this process: the statements, the commit, the rest.

    Each endpoint as the server runs it (production settings, the server's role), through
    the Flask test client: no HTTP and no gunicorn, one request at a time. A warm-up round,
    a timed round, then a round under cProfile.
    """
    from app import create_app
    from app.core.db import db
    from bench.minimal_app import create_app as create_minimal

    n = PROFILE_REQUESTS
    client = world.clients[0]
    families.top_up(client, 3 * n)
    ours = _helhed_sources([client], families, body)[0]
    requests = [ours() for _ in range(3 * n)]
    theirs = _minimal_sources(1, answers, iter(range(10**9, 2 * 10**9)))[0]
    baseline_requests = [theirs() for _ in range(3 * n)]
    headers = {
        "Authorization": f"Bearer {client.token}",
        "Accept": "application/json",
        "Accept-Language": "en",
        "Content-Type": "application/json",
    }
    app = create_app(
        {
            "HELHED_ENV": "production",
            "DATABASE_URL": world.server_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEY": field_key,
            "EXPORTS_DIR": str(folder / "exports"),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        # Taken out of the context: a request inside an outer app context would share its
        # ``g`` (and the signed-in user) with the request before, which a server never does.
        engine = db.engine
    minimal = create_minimal(world.server_url)
    figures: dict[str, Any] = {}
    for name, wsgi, engine_used, sent in (
        ("Helhed", app, engine, requests),
        ("minimal", minimal, minimal.extensions["engine"], baseline_requests),
    ):
        # Helhed's listeners are on its own engine only, so the baseline runs without them,
        # as its gunicorn workers do.
        _measure(wsgi, engine_used, sent[:n], headers)
        figures[name] = _measure(wsgi, engine_used, sent[n : 2 * n], headers)
        figures[name]["packages"] = _by_package(wsgi, sent[2 * n :], headers)
        engine_used.dispose()
    return figures


# -- the report -----------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: Result, seconds: float, warmup: float) -> None:
    print()
    print(
        f"Form submission through gunicorn, {result.database}: {result.workers} sync workers"
        f" each, {os.cpu_count()} cores, {seconds:g} s per level after {warmup:g} s of warm-up"
    )
    print(
        f"{'clients':>7}  {'Helhed/s':>9}{'p50 ms':>8}{'p99 ms':>8}  {'minimal/s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}  errors (Helhed / minimal)"
    )
    for ours, theirs in result.levels:
        ratio = ours.throughput / theirs.throughput if theirs.throughput else float("nan")

        def errors(level: Level) -> str:
            if not level.errors:
                return "0"
            return (
                f"{level.error_count} ({', '.join(f'{n}× {k}' for k, n in level.errors.items())})"
            )

        print(
            f"{ours.clients:>7}  {ours.throughput:>9.1f}{ours.percentile(0.5):>8.1f}"
            f"{ours.percentile(0.99):>8.1f}  {theirs.throughput:>9.1f}"
            f"{theirs.percentile(0.5):>8.1f}{theirs.percentile(0.99):>8.1f}{ratio:>7.2f}"
            f"  {errors(ours)} / {errors(theirs)}"
        )
    for note in result.notes:
        print(f"note: {note}")
    if any(level.cpu_ms for pair in result.levels for level in pair):
        cores = os.cpu_count() or 1
        print(
            f"CPU in each window, ms per request (client: the client threads; machine: share"
            f" of all {cores} cores busy; others: of that, not the workers, the database's"
            " backends or the clients)"
        )
        print(
            f"{'clients':>7}  {'server':<8}{'worker':>8}{'database':>9}{'client':>8}"
            f"{'machine':>9}{'others':>8}"
        )
        for pair in result.levels:
            for name, level in zip(("Helhed", "minimal"), pair, strict=True):
                if not level.cpu_ms:
                    continue
                cpu = level.cpu_ms
                database = f"{cpu['database']:.1f}" if result.database != "sqlite" else "-"
                print(
                    f"{level.clients:>7}  {name:<8}{cpu['worker']:>8.1f}{database:>9}"
                    f"{cpu['clients']:>8.1f}{level.busy:>9.0%}{level.others:>8.0%}"
                )
    if not result.levels:
        return
    ratios = {
        ours.clients: ours.throughput / theirs.throughput if theirs.throughput else 0.0
        for ours, theirs in result.levels
    }
    worst = min(ratios, key=ratios.__getitem__)
    print(
        f"{_verdict(all(r >= RATIO_TARGET for r in ratios.values()))}  {result.database}:"
        f" form submission ≥ {RATIO_TARGET:.0%} of the minimal endpoint's throughput"
        f" (lowest: {ratios[worst]:.0%} at {worst} clients)"
    )
    at = [ours for ours, _ in result.levels if ours.clients == P99_TARGET_CLIENTS]
    if at:
        p99 = at[0].percentile(0.99)
        errors_too = f", with {at[0].error_count} errors" if at[0].error_count else ""
        print(
            f"{_verdict(p99 < P99_TARGET_MS and not at[0].error_count)}  {result.database}:"
            f" p99 < {P99_TARGET_MS:.0f} ms at {P99_TARGET_CLIENTS} clients"
            f" on {os.cpu_count()} cores (p99 {p99:.0f} ms{errors_too})"
        )
    else:
        print(
            f"-     {result.database}: p99 target not judged ({P99_TARGET_CLIENTS} clients not run)"
        )
    print(result.set_up + ".")
    _print_profile(result.profile)
    if "Helhed" in result.profile:
        per_request = _statement_count(result.profile["Helhed"])
        print(
            f"{_verdict(per_request <= STATEMENTS_TARGET)}  {result.database}: ≤ "
            f"{STATEMENTS_TARGET} SQL statements per submission ({per_request:.1f}; counted"
            " by a before_cursor_execute listener on the engine of the application as the"
            " server runs it, in the profile above: the commit and the pool's liveness"
            " check not counted)"
        )


def _statement_count(row: dict[str, Any]) -> float:
    """Statements per request in a profile's row, without the commit and the pool's ping."""
    return sum(n for text, (n, _ms) in row["statements"].items() if text not in ("COMMIT", PING))


def _print_profile(figures: dict[str, Any]) -> None:
    print(
        f"Profile: one request at a time in this process through the Flask test client"
        f" ({PROFILE_REQUESTS} each; no HTTP, no gunicorn), per request:"
    )
    print(
        f"  {'':<9}{'total ms':>9}{'SQL ms':>8}{'commit ms':>10}{'rest ms':>9}"
        f"{'write→commit ms':>16}{'statements':>11}{'ceiling/s':>10}  answers"
    )
    cores = os.cpu_count() or 1
    for name, row in figures.items():
        count = _statement_count(row)
        rest = row["total_ms"] - row["sql_ms"] - row["commit_ms"]
        statuses = ", ".join(f"{n}× {status}" for status, n in sorted(row["statuses"].items()))
        print(
            f"  {name:<9}{row['total_ms']:>9.2f}{row['sql_ms']:>8.2f}{row['commit_ms']:>10.2f}"
            f"{rest:>9.2f}{row['writing_ms']:>16.2f}{count:>11.1f}"
            f"{cores * 1000 / row['total_ms']:>10.0f}  {statuses}"
        )
    print(
        "  SQL: the statements (and the pool's liveness check) from the driver's call to its"
        " return; rest: Python\n  in the worker (routing, token, access rules, validation,"
        " ORM, JSON); write→commit: how long\n  each transaction holds what it wrote locked"
        " (on SQLite the one write lock of the whole file);\n  statements: without the commit"
        " and the liveness check;"
        f" ceiling: {cores} cores / total, the most the worker's own time allows."
    )
    for name, row in figures.items():
        print(f"  {name}'s statements per request, in the order first run (times, ms, statement):")
        for text, (n, ms) in row["statements"].items():
            print(f"    {n:4.1f} {ms:6.2f}  {text}")
    print(
        "  Where the time goes under cProfile (own wall time by package, so waiting on the"
        " database counts;\n  cProfile inflates Python code):"
    )
    for name, row in figures.items():
        shares = ", ".join(f"{package} {share:.0%}" for package, share in row["packages"][:6])
        print(f"    {name}: {shares}")


def main(argv: list[str] | None = None) -> int:
    from app.core import gunicorn_conf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--clients", default="1,8,32", help="levels of concurrency")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed window per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed, before each window")
    parser.add_argument(
        "--workers",
        type=int,
        default=gunicorn_conf.workers,
        help=f"gunicorn workers per server (default: the deployment's, {gunicorn_conf.workers})",
    )
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.clients.split(",")]
    for database in args.databases.split(","):
        print(f"{database}:", flush=True)
        try:
            result = run(database, levels, args.seconds, args.warmup, args.workers)
        except DatabaseUnavailable as exc:
            print(f"{database}: skipped ({exc})")
            continue
        report(result, args.seconds, args.warmup)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
