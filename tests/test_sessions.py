"""Sessions that end when they should, and the password and code checks around them.

A copied session cookie must stop working the moment its user signs out, changes or is
given a new password, loses their second factor, is deactivated or loses their last
municipality. The checks that guard an account (the current password on the account page,
the code step, turning the second factor off) are throttled and audited server-side,
whatever the request replays or however its body is encoded.
"""

from __future__ import annotations

import statistics
import time

from app.core.db import db
from tests.conftest import PASSWORD, build_app

NEW_PASSWORD = "tre gode ord her"
#: About 80 ms a check here, like production's scrypt, but cheaper to set up.
HEAVY_HASH = "pbkdf2:sha256:200000"


# -- sign-in takes as long whether or not the account exists -------------------------------


def test_sign_in_takes_as_long_for_an_unknown_email_as_for_an_existing_one(tmp_path):
    """Medians of interleaved attempts, with a hash as costly as production's so that the
    hash, not the noise of the test client, is what is measured."""
    from app.auth.services import create_user

    app = build_app(f"sqlite:///{tmp_path / 'timing.sqlite3'}", PASSWORD_HASH_METHOD=HEAVY_HASH)
    with app.app_context():
        create_user("kim@example.test", "Kim", PASSWORD)
        create_user("gone@example.test", "Gone", PASSWORD).active = False
        db.session.commit()
    client = app.test_client()
    emails = {"existing": "kim@example.test", "unknown": "nobody@example.test"}
    emails["inactive"] = "gone@example.test"
    timings: dict[str, list[float]] = {kind: [] for kind in emails}
    for attempt in range(14):
        for kind, email in emails.items():
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "password": "wrong guess"})
            elapsed = time.perf_counter() - started
            assert response.status_code == 401
            if attempt >= 2:  # the first attempts warm caches up
                timings[kind].append(elapsed)
    with app.app_context():
        db.engine.dispose()
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    reference = medians["existing"]
    for median in medians.values():
        assert abs(median - reference) <= 0.2 * reference, medians
