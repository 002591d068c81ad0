"""The password rule: at least 12 characters and not one of the passwords people guess first.

Length does most of the work; the list catches the long passwords that are still common
("password1234", "sommerferie2026") by checking the password and its core (lower-cased,
with the digits and symbols people add at the ends removed) against a shipped list.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12

_HERE = Path(__file__).parent
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_HERE / "common-passwords.txt.gz", "rt", encoding="utf-8") as handle:
        words = {line.strip() for line in handle}
    for line in (_HERE / "common-passwords-da.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.add(line.strip())
    words.discard("")
    return frozenset(words)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why *password* may not be used, in English for the caller to translate; or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    common = common_passwords()
    if lowered in common or core in common or len(set(lowered)) <= 2:
        return "common"
    # The same short word typed twice or more ("sommersommer").
    for size in range(1, len(core) // 2 + 1):
        if core and len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return "common"
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in lowered:
            return "personal"
    return None
