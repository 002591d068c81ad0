"""A live Helhed server and a real Chromium driven by Playwright.

Chromium is the system's (``/usr/bin/chromium`` or ``HELHED_CHROMIUM``), launched by path:
no browser is downloaded. Without it these tests skip, except in CI where they fail.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.db import db
from app.core.jobs import run_worker
from app.definitions.loader import load_catalogue
from app.demo.services import seed_demo
from app.tenancy.config_files import load_directory
from bench.harness import serve_in_thread
from tests.support.apps import build_app, missing_service
from tests.support.browser import (
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    chromium_path,
    live_app,
    read_files_whole,
)


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
    live_app["app"] = app
    # The reports and packages the journeys ask for are built by a job worker, as
    # `make run` runs one beside the server (here a thread of the test process).
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app, stop), daemon=True)
    worker.start()
    try:
        with serve_in_thread(read_files_whole(app)) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        worker.join(timeout=30)
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
