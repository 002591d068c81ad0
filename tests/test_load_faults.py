"""Load with faults, at small scale: acknowledged writes survive workers killed mid-request.

Four API clients enrol families and submit their intake forms through two gunicorn
workers for six seconds; at two and at three and a half seconds a worker that is serving
a request is killed with SIGKILL (and another if the first answered before it died). The
database must then hold every acknowledged write exactly once and no write half-done
(``bench/load_faults.py`` says what it checks; ``make bench-faults`` runs it at larger
scale). About 12 to 20 seconds per database on two cores.
"""

from __future__ import annotations

import sys

import pytest

from bench.harness import DatabaseUnavailable
from bench.load_faults import Report, run
from tests.support.apps import missing_service

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="gunicorn's workers are found under /proc"
    ),
    # Servers in child processes: left out of `make test-quick`, run by `make test`.
    pytest.mark.slow,
]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_acknowledged_writes_survive_killed_workers(database: str) -> None:
    report: Report | None = None
    try:
        report = run(database, clients=4, seconds=6, workers=2, kill_at=2, kills=2, kill_every=1.5)
    except DatabaseUnavailable as exc:
        missing_service(str(exc))
    assert report is not None
    # Shown with the failure (and with -rP): the figures and gunicorn's last words.
    print(report.table())
    print(report.log_tail)

    # Two scheduled kills, each repeated (a few times at most) until it cuts a request off.
    assert len(report.kills) >= 2
    # Without a request cut off, the kills hit idle workers and the run proved nothing.
    assert report.cut_off >= 1
    assert any(kill.cut for kill in report.kills)
    assert report.acknowledged > 0
    assert report.missing == 0
    assert report.found_once == report.acknowledged
    assert report.duplicates == 0
    assert report.partial == 0
    assert report.stored_despite_error == 0
    assert report.unexpected == 0
    assert report.server_errors == 0
    assert report.integrity == "ok"
    assert report.problems == []
