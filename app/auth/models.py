"""Accounts: users, their platform role, and their membership of municipalities."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.crypto import EncryptedString
from app.core.db import UTCDateTime, db, utcnow

# The roles inside a municipality are the membership's, one layer down (a municipality's
# file names its default role for single sign-on); re-exported as auth's vocabulary.
from app.tenancy.models import MEMBERSHIP_ROLES as MEMBERSHIP_ROLES
from app.tenancy.models import Membership

#: Roles on the installation as a whole; they give no access to any municipality's data.
PLATFORM_ROLES = ("operator", "researcher")
#: Kinds of organisation an external contact person may come from.
ORGANISATION_TYPES = ("social_enterprise", "association", "other")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-case so look-ups need no case folding.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: werkzeug hash string (scrypt by default), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: "operator" or "researcher", or None for municipal users.
    platform_role: Mapped[str | None] = mapped_column(String(20), default=None)
    #: Interface language the user last chose ("da" or "en"); None means the default.
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: The shared TOTP secret of the user's authenticator app, encrypted like CPR numbers;
    #: None until two-factor sign-in is set up.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString, default=None)
    #: The last time step whose code was accepted: a code is good once, never replayed.
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    #: Wrong codes at the second step since the last password step. Kept here, not in the
    #: session cookie, so that replaying an older cookie does not give fresh tries.
    totp_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Raised to end every session of the user at once (sign-out, a new password, ...):
    #: a session carries the generation it was signed in under, and an older one is void.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The person asked not to receive the daily digest of due and overdue forms.
    digest_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", order_by="Membership.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session generation."""
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


#: What a one-time link is for, and how long it works.
LINK_PURPOSES = ("invitation", "reset")


class OneTimeLink(db.Model):
    """A link sent by mail that sets a password once: to a new person (``invitation``) or
    to someone who forgot theirs (``reset``). Only a hash of its secret is stored."""

    __tablename__ = "one_time_link"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the secret in the link, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship()
