"""One-time form tokens: a form that creates a row creates it once, however often it is sent.

A double click, a reload of the answer or a second tab sends the same form again, and two
such sends can arrive at the same moment. Each rendering of a :class:`~app.core.forms.
OneTimeForm` carries a random token; the view claims it with :func:`repeat_of` just before
it creates the row. The claim is an INSERT on a unique key in the request's own
transaction, so the database decides, also between two sends running at once: the second
INSERT waits for the first transaction and then fails on the key. That send creates
nothing and is sent where the first one went (:func:`lands_on`), with a message saying so.
A send of the same page with other answers (back to the form, another family's name) is
not a repeat: the key includes a digest of the answers.

A claim is undone with the rest of the transaction when the view ends without committing
(a form error), so the corrected form can be sent again with the same token.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app, flash, g, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from app.core.db import UTCDateTime, db, utcnow
from app.core.forms import OneTimeForm, new_once_token
from app.tenancy.models import TenantOwned

#: How long a used token is remembered; nobody sends the same page again a day later.
KEEP_FOR = timedelta(hours=24)


class FormToken(TenantOwned, db.Model):
    """A one-time form token that was sent: the row its form created is made."""

    __tablename__ = "form_token"
    __table_args__ = (UniqueConstraint("municipality_id", "token", "answers_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The random token the form carried.
    token: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 of the page and the answers sent (keyed: they may hold a CPR number).
    answers_digest: Mapped[str] = mapped_column(String(64))
    #: Who sent the form first.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), default=None
    )
    #: Where the first send led (a path of this site); a repeat is sent there too.
    landing: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def repeat_of(form: OneTimeForm, fallback: str) -> Response | None:
    """Claim *form*'s token for this send; for a repeated send, the redirect to give instead.

    Call it after the form validated and before anything is created. *fallback* is where a
    repeat goes when the first send's landing is unknown (the form's own list page).
    A send without a token (not from a page of ours) is not deduplicated.
    """
    token = form.sent_once_token
    if token is None:
        return None
    municipality_id = g.municipality.id
    user_id = current_user.id if current_user.is_authenticated else None
    db.session.execute(delete(FormToken).where(FormToken.created_at < utcnow() - KEEP_FOR))
    digest = _answers_digest()
    claim = FormToken(
        municipality_id=municipality_id, token=token, answers_digest=digest, user_id=user_id
    )
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        # The first send committed this token (a concurrent one was waited for here):
        # nothing of this send is kept.
        db.session.rollback()
        first = db.session.scalar(
            select(FormToken.landing).where(
                FormToken.token == token, FormToken.answers_digest == digest
            )
        )
        flash(_("This form was already sent, so nothing was added twice."), "info")
        return redirect(first or fallback)
    g.once_claim = claim
    return None


def _answers_digest() -> str:
    answers = sorted(
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "once_token")
    )
    message = "\n".join([request.path, *(f"{name}={value}" for name, value in answers)])
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def lands_on(target: str) -> str:
    """Record where this send leads (before the commit), so a repeat lands there too."""
    claim: FormToken | None = g.get("once_claim")
    if claim is not None:
        claim.landing = target[:500]
        db.session.flush()
    return target


def fresh_token(form: OneTimeForm) -> None:
    """A new token for a form shown again on the page of a successful send, so the next
    row made from it is not taken for a repeat of this one."""
    form.once_token.data = new_once_token()
    form.once_token.raw_data = None
