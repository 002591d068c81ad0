"""A real OpenID provider for the single sign-on tests, and a person signing in at it.

The provider is the npm package ``oidc-provider`` run by the machine's Node.js from
tests/oidc/provider.mjs (``npm ci`` there installs it; the Makefile does that when npm is
present). Its own development login page is filled in over plain HTTP here, and by
Chromium in the browser journey. Without Node.js or the package the tests skip, and fail
under CI=true (``missing_service``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from tests.support.apps import missing_service

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc"
#: The address Helhed's callbacks are built on in the tests (PUBLIC_BASE_URL's default).
HELHED = "http://127.0.0.1:5000"

#: The people the provider knows: their login name is their ``sub``. Anne's directory
#: asked for a second factor, Bo's only for a password.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "anne": {"email": "anne@kommune.example", "name": "Anne Andersen", "amr": ["pwd", "mfa"]},
    "bo": {"email": "bo@kommune.example", "name": "Bo Berg", "amr": ["pwd"]},
    "noemail": {"email": None, "name": "Ingen Adresse", "amr": ["pwd"]},
}


@dataclass
class OpenIdProvider:
    """One running provider; :meth:`stop` ends its process."""

    process: subprocess.Popen[str]
    port: int
    issuer: str
    clients: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """Where it is reached, whatever issuer it signs as."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def client_for(slug: str, base: str = HELHED) -> dict[str, Any]:
    """The provider's registration of Helhed as *slug*'s client."""
    return {
        "client_id": f"helhed-{slug}",
        "client_secret": f"secret-of-{slug}-for-the-tests",
        "redirect_uris": [f"{base}/login/sso/{slug}/callback"],
        "post_logout_redirect_uris": [f"{base}/login"],
        "token_endpoint_auth_method": "client_secret_basic",
    }


def start_provider(
    clients: list[dict[str, Any]], *, issuer_host: str = "127.0.0.1"
) -> OpenIdProvider:
    node = shutil.which("node")
    if node is None:
        missing_service("Node.js is not installed: the single sign-on tests need it")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        missing_service("oidc-provider is not installed: run `npm ci` in tests/oidc")
    config = Path(tempfile.mkdtemp(prefix="helhed-oidc-")) / "provider.json"
    config.write_text(
        json.dumps({"issuer_host": issuer_host, "clients": clients, "accounts": ACCOUNTS}),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.match(r"listening (\d+) (\S+)", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"the OpenID provider did not start: {line!r}")
    return OpenIdProvider(
        process,
        int(match.group(1)),
        match.group(2),
        {c["client_id"]: c["client_secret"] for c in clients},
    )


def sign_in_at_provider(authorize_url: str, login: str, *, stop_at: str = HELHED) -> str:
    """Follow *authorize_url* to the provider's login page, sign in as *login*, and return
    the address the provider sends the browser back to (Helhed's callback, not followed)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        if url.startswith(stop_at):
            return url
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        assert form, f"no login form at the provider: {response.text[:300]}"
        submitted = browser.post(
            urljoin(url, unescape(form.group(1))),
            data={"prompt": "login", "login": login, "password": "any"},
            allow_redirects=False,
            timeout=10,
        )
        assert submitted.is_redirect, submitted.text[:300]
        url = urljoin(url, submitted.headers["Location"])
    raise AssertionError("the provider never sent the browser back")
