"""A live Helhed server and a real Chromium driven by Playwright.

Chromium is the system's (``/usr/bin/chromium`` or ``HELHED_CHROMIUM``), launched by path:
no browser is downloaded. Without it these tests skip, except in CI where they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.core.db import db
from app.definitions.loader import load_catalogue
from app.demo.services import seed_demo
from app.tenancy.config_files import load_directory
from tests.conftest import build_app, missing_service

DEMO_PASSWORD = "browser demo password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    candidate = os.environ.get("HELHED_CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else shutil.which("chromium")


def _read_files_whole(app: Any) -> Any:
    """Hand the development server whole bodies, never open files.

    When the browser drops a connection (a page closed while its favicon loads),
    werkzeug's development server abandons the response without closing it, and the open
    static file surfaces later as a ResourceWarning in an unrelated test.
    """

    def wsgi(environ: Any, start_response: Any) -> Any:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("live") / "helhed.sqlite3"
    app = build_app(f"sqlite:///{database}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        seed_demo(
            load_directory(Path(app.config["MUNICIPALITIES_DIR"])),
            DEMO_PASSWORD,
            load_catalogue(Path(app.config["FORMS_DIR"])),
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, _read_files_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        missing_service(
            "Chromium not found (install the 'chromium' package or set HELHED_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="da-DK", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(lambda url: "/login" not in url)
