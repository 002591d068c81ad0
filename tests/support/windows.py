"""The answer to the window's question, for tests about something else that submit a form
on a day outside its wave's window (the families of the fixtures were enrolled in January):
a reason and its confirmation, as a caseworker entering answers late gives them. Inside
the window they are not asked for and nothing of them is stored."""

from __future__ import annotations

#: Posted with a form page's submit.
LATE_PAGE = {"window_reason": "data_entered_late", "window_confirmed": "1"}

#: Sent with an API body whose status is submitted.
LATE_API = {"window_reason": "data_entered_late", "window_confirmed": True}
