"""The first installation of docs/deployment.md works when it is followed as printed.

The section's shell blocks run one after the other in one bash session, as an operator
would type them: from a folder holding the wheel this checkout builds, into a fresh
virtual environment, against a scratch database on the suite's PostgreSQL, in production
mode. The test changes only what the procedure itself leaves to the operator:

- the values of step 1's choices (a scratch database, roles and folder of this run, the
  suite's PostgreSQL and Redis, a free port in place of 8000);
- the paths of the systemd units (``/srv/helhed`` is this run's folder);
- what a person does by hand: typing a password at ``users create``'s prompt (the
  answers come from a file), ``systemctl`` (the test starts and stops the units'
  ``ExecStart`` with their ``EnvironmentFile``), the reverse proxy (the test sends the
  headers it sets), and signing in with an authenticator app.

Every command must succeed (a bash ``ERR`` trap reports the first that does not). Then a
production server serves a Danish sign-in page; the operator and the admin sign in and set
up their second factor; a backup is made and checked with exit 0; a restore is refused
while the services run and succeeds with exit 0 once they are stopped.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyotp
import pytest
from sqlalchemy.engine import make_url

from tests.support.http_browser import Browser
from tests.support.wheel import release_wheel

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deployment.md"
PASSWORD = "en lang og god adgangssætning"
#: The reverse proxy of step 8: TLS ends there, and it says so in these headers.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}
FENCE = re.compile(r"^ *```(\w+)\n(.*?)^ *```$", re.DOTALL | re.MULTILINE)


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks, with their language, unindented as the list items print them."""
    found = []
    for language, body in FENCE.findall(text):
        lines = body.splitlines()
        indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
        found.append((language, "\n".join(x[indent:] for x in lines) + "\n"))
    return found


def unit(text: str, name: str) -> dict[str, str]:
    """A systemd unit printed in the docs: its settings, by name."""
    for language, body in blocks(text):
        if language == "ini" and body.startswith(f"# /etc/systemd/system/{name}"):
            return dict(
                line.split("=", 1) for line in body.splitlines() if re.match(r"^\w+=", line)
            )
    raise AssertionError(f"docs/deployment.md prints no unit {name}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Shell:
    """One bash session fed the docs' commands; the first failing command is reported."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # No controlling terminal: a password prompt reads what it is given.
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.run("trap 'echo \"FAILED($?): $BASH_COMMAND\"' ERR")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, commands: str, timeout: float = 300) -> str:
        marker = f"--done-{uuid.uuid4().hex}--"
        assert self.process.stdin is not None
        self.process.stdin.write(f"{commands}\necho {marker}\n")
        self.process.stdin.flush()
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no end after {timeout} s of:\n{commands}\n{''.join(output)}")
            if line.strip() == marker:
                break
            output.append(line)
        text = "".join(output)
        assert "FAILED(" not in text, f"a command of the docs failed:\n{commands}\n{text}"
        return text

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class Units:
    """``systemctl`` for the units the docs print: start and stop their ``ExecStart``."""

    def __init__(self, doc: str, home: Path, port: int, base_env: dict[str, str]) -> None:
        self.doc, self.home, self.port, self.base_env = doc, home, port, base_env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def _settings(self, name: str) -> dict[str, str]:
        template = re.sub(r"@[^.]*", "@", name)
        found = unit(self.doc, f"{template}.service")
        return {k: self._local(v) for k, v in found.items()}

    def _local(self, value: str) -> str:
        return value.replace("/srv/helhed", str(self.home)).replace(
            "127.0.0.1:8000", f"127.0.0.1:{self.port}"
        )

    def start(self, name: str) -> None:
        settings = self._settings(name)
        env = dict(self.base_env)
        for line in Path(settings["EnvironmentFile"]).read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
        log = open(self.home / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        self.running[name] = subprocess.Popen(
            shlex.split(settings["ExecStart"]),
            cwd=settings.get("WorkingDirectory", str(self.home)),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self, pattern: str) -> None:
        for name in [n for n in self.running if re.fullmatch(pattern.replace("*", ".*"), n)]:
            process = self.running.pop(name)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def systemctl(self, line: str) -> None:
        words = shlex.split(line)[1:]
        action, names = words[0], [w for w in words[1:] if not w.startswith("-")]
        for name in names:
            if action in ("stop",):
                self.stop(name)
            elif action in ("start", "enable", "restart"):
                if action == "restart":
                    self.stop(name)
                if action != "enable" or "--now" in words:
                    self.start(name)
            else:
                raise AssertionError(f"the test does not know `systemctl {action}`")

    def logs(self) -> str:
        return "\n".join(
            f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.home.glob("*.log"))
        )

    def stop_all(self) -> None:
        self.stop("*")


def run_block(shell: Shell, units: Units, body: str, password_file: Path) -> str:
    """Run one block: shell lines in the session, ``systemctl`` lines by :class:`Units`."""
    output, pending = [], []

    def flush() -> None:
        if pending:
            output.append(shell.run("\n".join(pending)))
            pending.clear()

    for line in body.splitlines():
        if line.startswith("systemctl "):
            flush()
            units.systemctl(line)
        elif " users create " in line:
            # The person types the password twice at the prompt.
            pending.append(f'{line} < "{password_file}"')
        else:
            pending.append(line)
    flush()
    return "".join(output)


def choose(body: str, choices: dict[str, str]) -> str:
    """Step 1 with this run's values in place of the docs' examples."""
    for name, value in choices.items():
        body, count = re.subn(rf"\b{name}=\S+", f"{name}={shlex.quote(value)}", body)
        assert count == 1, f"step 1 no longer chooses {name}"
    return body


def sign_in_and_set_up(port: int, email: str) -> str:
    """Sign in through the proxy, set up the authenticator app; the page signed in to."""
    browser = Browser(port)
    browser.headers = dict(PROXY_HEADERS)
    browser.origin = f"https://127.0.0.1:{port}"
    status, headers = browser.log_in(email, PASSWORD)
    assert status == 302 and headers["Location"].endswith("/login/setup"), (status, headers)
    _, _, page, _ = browser.request("GET", "/login/setup")
    secret = re.search(r'<code class="secret">([^<]+)</code>', page)
    assert secret, page[:2000]
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
    status, headers, _, _ = browser.request(
        "POST", "/login/setup", {"csrf_token": token.group(1), "code": code}
    )
    assert status == 302, (status, headers)
    target = headers["Location"]
    status, _, page, _ = browser.request("GET", target)
    while status == 302:
        status, headers, page, _ = browser.request("GET", headers["Location"])
    assert status == 200, (target, status)
    return page


@pytest.fixture
def scratch(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """This run's choices; the database and roles it makes are dropped afterwards."""
    import redis

    url = make_url(postgres_url)
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        from tests.support.apps import missing_service

        missing_service(f"Redis not reachable at {redis_url}: {exc}")
    run = uuid.uuid4().hex[:8]
    choices = {
        "HELHED_HOME": str(tmp_path / "srv"),
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "HELHED_DB": f"helhed_install_{run}",
        "HELHED_OWNER": f"helhed_install_{run}_owner",
        "HELHED_APP": f"helhed_install_{run}_app",
        "HELHED_REDIS": redis_url,
        "HELHED_MUNICIPALITY": "jammerbugt",
    }
    (tmp_path / "srv").mkdir()
    yield choices
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{choices["HELHED_DB"]}" WITH (FORCE)')
        for role in (choices["HELHED_OWNER"], choices["HELHED_APP"]):
            connection.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_first_installation_works_as_the_docs_print_it(
    scratch: dict[str, str], tmp_path: Path
) -> None:
    doc = DOC.read_text(encoding="utf-8")
    steps = blocks(section(doc, "First installation"))
    home = Path(scratch["HELHED_HOME"])
    port = free_port()
    release = tmp_path / "release"
    release.mkdir()
    (release / release_wheel().name).write_bytes(release_wheel().read_bytes())
    password_file = tmp_path / "typed"
    password_file.write_text(f"{PASSWORD}\n{PASSWORD}\n")

    # A fresh host's environment: nothing of this suite's settings.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
    }
    (tmp_path / "home").mkdir()
    shell = Shell(release, env)
    units = Units(doc, home, port, env)
    try:
        shell_steps = [(lang, body) for lang, body in steps if lang == "sh"]
        assert len(shell_steps) >= 8, "the procedure lost its steps"
        first, *rest = shell_steps
        shell.run(choose(first[1], scratch))
        for _, body in rest:
            body = body.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            if "--yes" in body:
                # Step 9's rehearsal: first, with the services still running, a restore
                # must refuse and change nothing.
                refused = shell.run(
                    'DATABASE_URL="$HELHED_OWNER_URL" flask --app wsgi backup restore '
                    '"$HELHED_HOME/backups/first.dump" --yes || echo "exit $?"'
                )
                assert "exit 1" in refused, refused
                assert "Helhed processes are connected to the database" in refused
                assert "app server" in refused and "job worker" in refused
            output = run_block(shell, units, body, password_file)
            if "readyz" in body:
                assert '"status":"ok"' in output.replace(" ", ""), output + units.logs()
                check_signing_in(port)
            if "check-role" in body:
                assert "row-level security" in output.lower(), output
            if "backup restore" in body and "--yes" not in body:
                assert "The backup is good" in output, output
            if "--yes" in body:
                assert "verified" in output, output
        # After the rehearsal the services serve the restored database.
        ready = shell.run(
            f"curl --silent --retry 20 --retry-delay 1 --retry-all-errors "
            f"http://127.0.0.1:{port}/readyz"
        )
        assert '"status":"ok"' in ready.replace(" ", ""), ready + units.logs()
    finally:
        units.stop_all()
        shell.close()


def check_signing_in(port: int) -> None:
    """A Danish sign-in page; the operator and the admin sign in with their second factor."""
    browser = Browser(port)
    browser.headers = dict(PROXY_HEADERS)
    status, headers, page, _ = browser.request("GET", "/login")
    assert status == 200
    assert '<html lang="da"' in page and "Log ind" in page
    assert "Strict-Transport-Security" in headers
    operator = sign_in_and_set_up(port, "drift@example.dk")
    assert "Drift" in operator
    admin = sign_in_and_set_up(port, "admin@example.dk")
    assert "Jammerbugt" in admin
