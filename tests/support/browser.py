"""Driving Chromium in the browser journeys: the system's browser, signing in as a demo
user, axe-core's accessibility check and the README's screenshots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from app.core.db import db

DEMO_PASSWORD = "browser demo password"
#: WCAG 2.0 and 2.1, levels A and AA: what Danish public-sector sites must meet.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe-core's impacts that fail a page.
FAILING_IMPACTS = {"serious", "critical"}
#: Where the journeys put their screenshots when asked to (``make screenshots``).
SCREENSHOTS = os.environ.get("HELHED_SCREENSHOTS")
#: The live server's application, once the session has started it (``live_server``).
live_app: dict[str, Any] = {}
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


def read_files_whole(app: Any) -> Any:
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


def log_in(page, email: str) -> None:
    """Sign in as a demo user, with the authenticator code where the role requires one."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(lambda url: "/login" not in url or "/login/code" in url)
    if "/login/code" in page.url:
        page.get_by_label("Kode fra din godkendelsesapp").fill(_fresh_code(email))
        page.get_by_role("button", name="Fortsæt").click()
        page.wait_for_url(lambda url: "/login" not in url)


def _fresh_code(email: str) -> str:
    """The demo key's current code, usable again: a code counts once per account."""
    import pyotp
    from sqlalchemy import update

    from app.auth.models import User
    from app.demo.services import DEMO_TOTP_SECRET

    app = live_app["app"]
    with app.app_context():
        db.session.execute(
            update(User.__table__).where(User.email == email).values(totp_last_step=None)
        )
        db.session.commit()
    return pyotp.TOTP(DEMO_TOTP_SECRET).now()


def assert_accessible(page, what: str = "") -> None:
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    # A click on a link returns once the new page is committed, not loaded: axe must see the
    # page the click led to, so it waits for that page's load event first. A navigation that
    # starts while axe runs (a script's redirect) replaces the document under it; axe then
    # runs again on the page it ended on.
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            results = Axe().run(page, options=options)
            break
        except PlaywrightError as error:
            navigating = "documentElement" in str(error) or "context was destroyed" in str(error)
            if not navigating or attempt == 2:
                raise
    failing = [v for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in failing
    )
    assert not failing, f"{what or page.url}: accessibility violations\n{report}"


def screenshot(page, name: str) -> None:
    """Save the page as docs/screenshots/NAME.png when screenshots are asked for."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
