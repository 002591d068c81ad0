"""Values and bodies no browser sends, for the write fuzzing: strategies of nasty text,
numbers, dates and broken bodies, and the requests built from a page's own forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from tests.support.fuzz_pages import FieldSpec, HtmlForm, Target, text_arguments

# -- values no browser sends -----------------------------------------------------------------

#: Strings that have broken web applications before: markup, SQL, paths, scheme-relative and
#: bracketed URLs, format strings, direction and zero-width marks, digits of other scripts.
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\x1b[31m",
    "\u202eevil",
    "\u200b",
    "\ufeff",
    "\U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467",  # emoji joined by ZWJ
    "Z\u0324\u0354a\u0308\u0356l\u036eg\u030c\u0317o\u0319",  # stacked combining marks
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%s%n%x",
    "{{7*7}}",
    "../../etc/passwd",
    "//example.org/",
    "javascript:alert(1)",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "0x1F",
    "١٢٣",
    "²",
    "null",
    "[]",
    "İ",
)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats().map(str),  # also nan, inf, 1e+300
    st.sampled_from(
        [
            "0",
            "-1",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775808",
            "1" + "0" * 400,
            "1,5",
            "+3",
            " 7 ",
            "1_000",
        ]
    ),
)
BAD_DATES = (
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "2026-13-01",
    "31-12-1899",
    "01-01-2101",
    "29-02-2025",
    "2026-1-1",
    "2026/01/01",
    "2026-01-01T00:00",
    "20260101",
    "2026-W01-1",
    "٢٠٢٦-٠١-٠١",
    "1900-01-01",
    "2100-12-31",
)
DATES = st.one_of(
    st.sampled_from(BAD_DATES),
    st.dates().map(date.isoformat),
    st.dates().map(lambda day: f"{day.day:02d}-{day.month:02d}-{day.year:04d}"),
)
#: Characters databases and parsers treat specially; PostgreSQL stores no NUL at all.
POISON = ("\x00", "\x00\x00", "\u202e", "\x1b[0m", "\U0010ffff")
#: A text that fits most text fields: a name, a department code, a label.
PLAIN_TEXT = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
PLAIN_EMAIL = st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@example\.dk", fullmatch=True)
#: A plausible text with a poisoned character somewhere in it.
TAINTED = st.builds(
    lambda good, bad, at: good[:at] + bad + good[at:],
    PLAIN_TEXT,
    st.sampled_from(POISON),
    st.integers(0, 12),
)
LONG = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(100, 12_000))
ANY_VALUE = st.one_of(
    st.sampled_from(NASTY),
    TAINTED,
    NUMBERS,
    DATES,
    st.text(max_size=40),  # every code point but surrogates: controls, combining marks
    LONG,
)
#: Bodies refused whole before any view: JSON nested past the limit (and past the parser's
#: recursion limit), one byte over MAX_CONTENT_LENGTH, a file part where text belongs.
DEEP_JSON = tuple(b"[" * depth + b"]" * depth for depth in (33, 5_000, 100_000))
OVERSIZE = b"a=" + b"x" * (1024 * 1024)
FILE_IN_TEXT = (
    b'--x\r\nContent-Disposition: form-data; name="label"; filename="a.txt"\r\n\r\n'
    b"not text\r\n--x--\r\n"
)
LIMIT_BODIES = st.sampled_from(
    [
        *((body, "application/json") for body in DEEP_JSON),
        (OVERSIZE, "application/x-www-form-urlencoded"),
        (b'{"a": "' + OVERSIZE + b'"}', "application/json"),
        (FILE_IN_TEXT, "multipart/form-data; boundary=x"),
    ]
)
#: Bodies a form parser must survive: undecodable bytes, bad escapes, broken multipart.
_BROKEN_BODIES = st.tuples(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [b"\xff\xfe\xfd", b"a=%zz&b=%", b"--x\r\nbroken", b'{"a": [1, {}]}', b"a=\x00\x00"]
        ),
    ),
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/json",
            "text/plain; charset=utf-16",
            "application/octet-stream",
        ]
    ),
)
RAW_BODIES = st.one_of(_BROKEN_BODIES, LIMIT_BODIES)


# -- requests ------------------------------------------------------------------------------------


class _Live:
    """The value a hidden field has on the page now: a lock version moves on with each save,
    while the strategies are built once (Hypothesis replays them and needs them fixed)."""

    def __repr__(self) -> str:
        return "<as the page shows it now>"


LIVE = _Live()


class _FilePart:
    """A file part in place of a text field, as a crafted multipart request sends it; made
    into a fresh upload for each request (a stream is read once)."""

    def __repr__(self) -> str:
        return "<a file part>"


FILE_PART = _FilePart()
#: Controls people type into; the tainted mode poisons all of them at once.
TYPED = frozenset({"text", "textarea", "email", "search", "tel", "url", "password"})

Body = MultiDict[str, Any] | tuple[bytes, str]


def _plausible(name: str, spec: FieldSpec, hints: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Values a browser could send for the control: what the page offers, or fits its type."""
    if name in hints:
        return st.sampled_from(hints[name])
    if spec.kind == "hidden":
        return st.just(LIVE)
    by_kind: dict[str, st.SearchStrategy[str]] = {
        "date": st.just(date.today().isoformat()),
        "email": PLAIN_EMAIL,
        "numeric": st.sampled_from(["1", "2", "30"]),
        "decimal": st.sampled_from(["1,5", "2"]),
        **{kind: PLAIN_TEXT for kind in TYPED - {"email"}},
    }
    choices = [st.sampled_from(spec.values)] if spec.values else []
    if spec.kind in by_kind:
        choices.append(by_kind[spec.kind])
    return st.one_of(choices) if choices else st.just("")


@st.composite
def form_bodies(draw: Any, form: HtmlForm, hints: dict[str, list[str]]) -> Body:
    """The form's fields as a browser sends them; or one of them wrong; or every typed field
    with a poisoned character; or every hidden field tampered with; or all of them wrong.
    Now and then an undecodable body instead."""
    if draw(st.sampled_from(["form"] * 9 + ["raw"])) == "raw":
        return draw(RAW_BODIES)
    names = sorted(form.fields)
    mode = draw(
        st.sampled_from(["browser", "one wrong", "tainted", "tampered", "all wrong", "files"])
    )
    wrong = set(names) if mode == "all wrong" else set()
    if mode == "one wrong" and names:
        wrong = {draw(st.sampled_from(names))}
    if mode == "tampered":
        wrong = {name for name in names if form.fields[name].kind == "hidden"}
    pairs: list[tuple[str, Any]] = []
    for name in names:
        spec = form.fields[name]
        if name in wrong:
            shape = draw(st.sampled_from(["one", "missing", "repeated", "empty"]))
            if shape == "one":
                pairs.append((name, draw(ANY_VALUE)))
            elif shape == "repeated":
                values = st.one_of(ANY_VALUE, _plausible(name, spec, hints))
                pairs += [(name, value) for value in draw(st.lists(values, min_size=2, max_size=3))]
            elif shape == "empty":
                pairs.append((name, ""))
        elif mode == "tainted" and spec.kind in TYPED:
            pairs.append((name, draw(TAINTED)))
        elif mode == "files" and spec.kind in TYPED:
            pairs.append((name, FILE_PART))
        elif spec.kind == "checkbox":
            offered = hints.get(name) or spec.values
            chosen = draw(st.lists(st.sampled_from(offered), unique=True)) if offered else []
            pairs += [(name, value) for value in chosen]
        elif spec.kind in ("radio", "button") and name not in hints and draw(st.booleans()):
            continue  # an unchecked radio group or an unpressed button sends nothing
        else:
            pairs.append((name, draw(_plausible(name, spec, hints))))
    extras = draw(st.lists(st.tuples(st.text(min_size=1, max_size=12), ANY_VALUE), max_size=2))
    return MultiDict(pairs + extras)


@dataclass(frozen=True)
class FormRequest:
    action: str
    #: A text URL argument sent otherwise: (name, text, whether it replaces or extends it).
    path: tuple[str, str, bool] | None
    body: Body


@st.composite
def form_requests(
    draw: Any, target: Target, rule: Rule, hints: dict[str, list[str]]
) -> FormRequest:
    action = draw(st.sampled_from(sorted(target.forms)))
    path = None
    names = text_arguments(rule)
    if names and draw(st.sampled_from(["page"] * 3 + ["path"])) == "path":
        path = (draw(st.sampled_from(names)), draw(ANY_VALUE), draw(st.booleans()))
    return FormRequest(action, path, draw(form_bodies(target.first, hints)))


def resolve(request: FormRequest, target: Target, app: Flask) -> tuple[str, Body]:
    """The URL and body to send: live values as the page shows them now."""
    url = request.action
    if request.path is not None:
        name, text, replace = request.path
        adapter = app.url_map.bind("localhost")
        endpoint, args = adapter.match(url, method="POST")
        args[name] = text if replace else f"{args[name]}{text}"
        with app.test_request_context():
            url = adapter.build(endpoint, args, method="POST")
    body = request.body
    if isinstance(body, tuple):
        return url, body
    form = target.forms.get(request.action, target.first)

    def live(name: str) -> str:
        spec = form.fields.get(name)
        return spec.values[0] if spec and spec.values else ""

    return url, MultiDict(
        [(name, live(name) if value is LIVE else value) for name, value in body.items(multi=True)]
    )
