"""Limits on what a request may carry, checked once for every route before any view runs.

- JSON nested more than :data:`MAX_JSON_DEPTH` levels is refused: Python's parser raises
  RecursionError a few hundred levels down, and no body Helhed takes goes beyond four.
- A file part is refused on every route not marked with :func:`takes_files` (none is:
  backups are restored from the command line). Flask-WTF would hand the file to a text
  field, whose validators expect a string.
- ``MAX_CONTENT_LENGTH`` (config) caps a request's body; Werkzeug answers 413 beyond it.

Pages answer with the error page, the API with a problem document; each says what was
wrong in the reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

#: Deeper than any body the API documents, and far from the parser's recursion limit.
MAX_JSON_DEPTH = 32

F = TypeVar("F", bound=Callable[..., Any])


class Refused(BadRequest):
    """A 400 with a message for people: :attr:`text` on the error page, the English
    description in the API's problem document."""

    def __init__(self, description: str, text: Any) -> None:
        super().__init__(description)
        self.text = text


class NestedTooDeep(ValueError):
    """A JSON document deeper than :data:`MAX_JSON_DEPTH`."""


def too_deep() -> Refused:
    return Refused(
        f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
        _l("What you sent is nested too deeply to be read."),
    )


def files_refused() -> Refused:
    return Refused(
        "Files cannot be uploaded here; send the fields as text.",
        _l("Files cannot be uploaded here. Fill in the fields as text and try again."),
    )


def unstorable_text() -> Refused:
    return Refused(
        "The request contains characters no text can hold (NUL or a lone surrogate).",
        _l("What you sent contains characters that cannot be saved. Remove them and try again."),
    )


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in item)
    return deepest


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested deeper than the limit instead of raising
    RecursionError from the parser (which is no ValueError, so no view would catch it)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise NestedTooDeep from exc
        if depth(value) > MAX_JSON_DEPTH:
            raise NestedTooDeep
        return value


class LimitedRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, NestedTooDeep):
            raise too_deep() from e
        return super().on_json_loading_failed(e)


def takes_files(max_bytes: int | None = None) -> Callable[[F], F]:
    """Mark a view that accepts uploaded files; every other route refuses them. With
    *max_bytes*, its body may be that large instead of ``MAX_CONTENT_LENGTH``."""

    def mark(view: F) -> F:
        view.takes_files = True  # type: ignore[attr-defined]
        view.max_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    app.json_provider_class = LimitedJSONProvider
    app.json = LimitedJSONProvider(app)
    app.request_class = LimitedRequest

    # Registered before the blueprints, so it runs before every other check that reads
    # the body (the refusal of unstorable text reads the JSON too).
    @app.before_request
    def _check_body() -> None:
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "max_bytes", None):
            # Before anything reads the body: the limit applies as it is read.
            request.max_content_length = view.max_bytes  # type: ignore[union-attr]
        if request.is_json:
            try:
                request.get_json()
            except Refused:
                raise
            except BadRequest:
                pass  # malformed JSON: each view answers it in its own words
        elif request.files and not getattr(view, "takes_files", False):
            raise files_refused()
