"""Signing in over plain HTTP to a production-like server says HTTPS is needed."""

from __future__ import annotations

import pytest

from tests.support.apps import build_app

HINT_DA = "Log ind kræver en sikker forbindelse (HTTPS)"
HINT_EN = "Signing in needs a secure connection (HTTPS)"


@pytest.fixture
def secure_app(tmp_path):
    return build_app(
        f"sqlite:///{tmp_path / 'h.sqlite3'}", SESSION_COOKIE_SECURE=True, WTF_CSRF_ENABLED=True
    )


def test_a_form_posted_over_plain_http_names_https(secure_app):
    """In Danish, the interface's language for a visitor not signed in."""
    client = secure_app.test_client()
    client.get("/login")
    answer = client.post("/login", data={"email": "a@example.test"})
    assert answer.status_code == 400 and HINT_DA in answer.get_data(as_text=True)


def test_over_https_an_expired_form_says_only_that(secure_app):
    client = secure_app.test_client()
    answer = client.post("/login", data={"email": "a@example.test"}, base_url="https://localhost")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and HINT_DA not in page and HINT_EN not in page
