"""What the work lists are called on the pages, and what an empty list tells the reader."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

LIST_TITLES = {
    "mine": _l("My families' waves"),
    "overdue": _l("Overdue"),
    "due": _l("Due now"),
    "upcoming": _l("Upcoming (30 days)"),
    "drafts": _l("Drafts"),
    "unassigned": _l("Without caseworker"),
}
LIST_DESCRIPTIONS = {
    "mine": _l("Waves of the families you work with that are overdue, due or open soon."),
    "overdue": _l(
        "The window has closed and forms are missing. A wave stays here until its forms "
        "are in or you record why they cannot be collected."
    ),
    "due": _l("The window is open: the forms can be filled in now."),
    "upcoming": _l("The window opens within the next 30 days."),
    "drafts": _l("Forms saved as drafts and not yet submitted."),
    "unassigned": _l(
        "Families in the programme with no coordinator, entry caseworker or team member."
    ),
}
EMPTY_TEXTS = {
    "mine": _l(
        "No family's wave needs you now. If you miss a family, ask a programme lead or an "
        "admin to put you on its team (the family's team page)."
    ),
    "overdue": _l(
        "Nothing is overdue. Waves land here when their window closes with forms missing."
    ),
    "due": _l("No window is open right now. See the upcoming list for what opens next."),
    "upcoming": _l("No window opens in the next 30 days."),
    "drafts": _l("No drafts. A form saved as a draft waits here until it is submitted."),
    "unassigned": _l(
        "Every family has a caseworker. A family enrolled without one appears here; a "
        "programme lead or an admin assigns it on the family's team page."
    ),
}


def labels() -> dict[str, Any]:
    return {
        "list_titles": LIST_TITLES,
        "list_descriptions": LIST_DESCRIPTIONS,
        "empty_texts": EMPTY_TEXTS,
    }
