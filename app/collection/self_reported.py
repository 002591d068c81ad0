"""Answers a person gave themselves (app/selfreport) are theirs: a save keeps them.

Here, not in the self-report package, because every save of a submission passes through
it (app.collection.services), and the collection does not import the packages above it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.collection.models import Submission
from app.definitions.fields.parsing import InvalidAnswer
from app.definitions.model import FormDef


class SelfReported(Exception):
    """A save would change answers the person gave themselves; nothing was written."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(", ".join(names))


def keep_self_reported(
    form: FormDef, submission: Submission | None, raw: dict[str, Any], today: date, own: set[str]
) -> dict[str, Any]:
    """*raw* with the answers the person gave themselves kept as they gave them.

    Staff may send them again unchanged (the API's whole document) or leave them out (the
    page shows them as text); a different value raises :class:`SelfReported`, so they are
    never changed silently. *own* are the fields this save is the person's own answer to.
    """
    locked = set(submission.self_reported or []) - own if submission else set()
    if not locked:
        return raw
    kept = dict(raw)
    changed = []
    for fdef in form.fields:
        if fdef.name not in locked:
            continue
        stored = submission.answers.get(fdef.name) if submission else None
        given = raw.get(fdef.name)
        if given not in (None, "", []):
            try:
                same = fdef.kind.parse(fdef, given, form, today, []) == stored
            except InvalidAnswer:
                same = False
            if not same:
                changed.append(fdef.name)
        kept[fdef.name] = stored
    if changed:
        raise SelfReported(changed)
    return kept
