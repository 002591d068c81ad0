"""A real SMTP server for the mail tests: aiosmtpd on a free local port.

The ``smtp`` fixture starts it, points the application's MAIL_SERVER and MAIL_PORT at it
for the test, and gives the messages it received, parsed (headers and body decoded).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


class Inbox:
    """What the server received, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, seconds: float = 15.0) -> list[EmailMessage]:
        """The messages, once there are *count* (mails sent from a thread arrive later)."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    """Every header and the decoded body, as one text to search."""
    headers = "\n".join(f"{key}: {value}" for key, value in message.items())
    body = message.get_body(preferencelist=("plain",))
    return headers + "\n" + (body.get_content() if body is not None else "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """The test's own application sends to the server."""
    yield from _serve(app, monkeypatch)


@pytest.fixture
def live_smtp(live_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """The browser journeys' live server sends to it."""
    from tests.support.browser import live_app

    yield from _serve(live_app["app"], monkeypatch)
