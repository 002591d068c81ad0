"""Outgoing mail: one function sends, over SMTP with Flask-Mail, or into the log.

With ``MAIL_SERVER`` set, a mail goes to that server and the log says only that a mail
was sent (never the address or the text). Without it (the demo, ``make run``) the mail is
written to the log instead: subject, recipient and body, so a developer can follow a link.
Mails are written to hold no personal data: counts, a municipality's name and a link.

The settings are read when a mail is sent, so a changed configuration needs no restart.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask, current_app
from flask_mail import Connection, Mail, Message

log = logging.getLogger("helhed.mail")


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


def configured(app: Flask | None = None) -> bool:
    """Whether mails go to a server (or only into the log)."""
    return bool((app or current_app).config.get("MAIL_SERVER"))


def send(to: str, subject: str, body: str) -> None:
    """Send one mail now; an SMTP failure is raised to the caller."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _deliver(app, Letter(to, subject, body))


def send_soon(to: str | None, subject: str, body: str) -> None:
    """Send one mail from a thread of its own, so the request answers at once and in the
    same time whether or not a mail goes (a reset asked for an unknown address sends none:
    *to* is None). A failure is logged without the address."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if to is None:
        return
    message = Letter(to, subject, body)
    threading.Thread(target=_deliver_logged, args=(app, message), daemon=True).start()


def _deliver_logged(app: Flask, message: Letter) -> None:
    try:
        _deliver(app, message)
    except Exception as exc:  # the thread has no caller to tell
        log.error("a mail could not be sent: %s", type(exc).__name__)


def _deliver(app: Flask, message: Letter) -> None:
    if not configured(app):
        log.warning(
            "No MAIL_SERVER is set, so this mail is written here instead of sent.\n"
            "To: %s\nSubject: %s\n\n%s",
            message.to,
            message.subject,
            message.body,
        )
        return
    with app.app_context():
        # Flask-Mail's state from the settings as they are now; its messages read it.
        state = Mail().init_mail(app.config, debug=False, testing=False)
        app.extensions["mail"] = state
        with Connection(state) as connection:
            connection.send(
                Message(
                    subject=message.subject,
                    recipients=[message.to],
                    body=message.body,
                    sender=app.config["MAIL_DEFAULT_SENDER"],
                )
            )
    log.info("a mail was sent")
