"""Danish is the default language: every user-facing string needs a Danish translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT

METHOD_MAP = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extracted_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def danish_catalogue() -> dict[str, object]:
    path: Path = PROJECT_ROOT / "app/translations/da/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}


def _strings(message: object) -> tuple[str, ...]:
    string = message.string  # type: ignore[attr-defined]
    return string if isinstance(string, tuple) else (string,)


def test_every_user_facing_string_has_a_danish_translation():
    messages = extracted_messages()
    assert len(messages) > 40, "extraction found suspiciously few strings"
    catalogue = danish_catalogue()
    untranslated = sorted(
        f"{where}: {msgid!r}"
        for msgid, where in messages.items()
        if msgid not in catalogue or not all(_strings(catalogue[msgid])) or catalogue[msgid].fuzzy  # type: ignore[attr-defined]
    )
    assert not untranslated, "run `make extract-messages` and translate:\n" + "\n".join(
        untranslated
    )


def test_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    for msgid, message in danish_catalogue().items():
        strings = message.string  # type: ignore[attr-defined]
        for string in strings if isinstance(strings, tuple) else (strings,):
            if string:
                assert set(placeholder.findall(msgid)) == set(placeholder.findall(string)), msgid


# -- what the message extractor cannot see --------------------------------------------------

GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}


def _python_trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(PROJECT_ROOT)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((PROJECT_ROOT / "app").rglob("*.py"))
    }


def _is_gettext(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT
    )


def _translated(node: ast.AST | None) -> bool:
    """A translation call, or a choice between translation calls."""
    if isinstance(node, ast.IfExp):
        return _translated(node.body) and _translated(node.orelse)
    return _is_gettext(node)


def _is_flash(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "flash"
    )


@pytest.mark.slow
def test_translation_calls_have_literal_messages_outside_f_strings():
    """The extractor reads only literal messages, and none inside an f-string: such a text
    would be shown in English with no test noticing (it was the case for 'and' and 'or')."""
    problems = []
    for where, tree in _python_trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                inside = [n for v in node.values for n in ast.walk(v) if _is_gettext(n)]
                problems += [
                    f"{where}:{n.lineno}: a translation inside an f-string" for n in inside
                ]
            elif _is_gettext(node):
                literals = node.args[: 2 if node.func.id.endswith("ngettext") else 1]  # type: ignore[union-attr]
                if not literals or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in literals
                ):
                    problems.append(f"{where}:{node.lineno}: a translation of a non-literal text")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_flash_messages_are_translated():
    """Every flash() shows a translated text: its own, or that of the exception it reports,
    which must then be raised with translated texts everywhere."""
    trees = _python_trees()
    raised: dict[str, list[tuple[str, ast.AST | None]]] = {}
    for where, tree in trees.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
            ):
                first = node.exc.args[0] if node.exc.args else None
                raised.setdefault(node.exc.func.id, []).append((f"{where}:{node.lineno}", first))

    problems = []
    for where, tree in trees.items():
        reported: dict[int, list[str]] = {}  # flash(str(exc)) -> the classes exc may be
        for handler in ast.walk(tree):
            if not isinstance(handler, ast.ExceptHandler) or not handler.name:
                continue
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            classes = [t.id for t in types if isinstance(t, ast.Name)]
            for node in ast.walk(handler):
                if _is_flash(node) and node.args:  # type: ignore[attr-defined]
                    message = node.args[0]  # type: ignore[attr-defined]
                    if (
                        isinstance(message, ast.Call)
                        and isinstance(message.func, ast.Name)
                        and message.func.id == "str"
                        and [getattr(a, "id", None) for a in message.args] == [handler.name]
                    ):
                        reported[id(node)] = classes
        for node in ast.walk(tree):
            if not _is_flash(node):
                continue
            spot = f"{where}:{node.lineno}"  # type: ignore[attr-defined]
            message = node.args[0] if node.args else None  # type: ignore[attr-defined]
            if _translated(message):
                continue
            if id(node) not in reported:
                problems.append(f"{spot}: flash() of a text that is not translated")
                continue
            for name in reported[id(node)]:
                problems += [
                    f"{raise_spot}: {name} raised with an untranslated text, flashed at {spot}"
                    for raise_spot, text in raised.get(name, [])
                    if not _translated(text)
                ]
    assert not problems, "\n".join(problems)


def test_javascript_carries_no_words_of_its_own():
    """Texts reach the browser in the server's translated HTML; a script that put its own
    on the page would show them untranslated."""
    letters = r"""(["'`])[^"'`]*[A-Za-zÆØÅæøå]"""
    shown = re.compile(
        r"\.(?:textContent|innerText|innerHTML|outerHTML|title|placeholder|ariaLabel)\s*\+?=\s*"
        + letters
        + r"|\b(?:alert|confirm|prompt|createTextNode|insertAdjacentText|insertAdjacentHTML"
        r"|append|prepend|before|after|replaceWith)\((?:[^()]*,\s*)?"
        + letters
        + r"""|setAttribute\(\s*["'](?:aria-[a-z]+|title|placeholder|alt)["']\s*,\s*"""
        + letters
    )
    scripts = sorted((PROJECT_ROOT / "app/static/js").rglob("*.js"))
    assert scripts
    problems = [
        f"{path.name}:{lineno}: {line.strip()}"
        for path in scripts
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if shown.search(line)
    ]
    assert not problems, "\n".join(problems)


def test_a_refused_research_grant_is_explained_in_danish(
    client, auth, municipalities, make_user, forms_published
):
    from tests.support.auth import csrf_token
    from tests.support.research import make_study

    study = make_study(make_user(platform_role="researcher"))
    admin = make_user(municipalities["vejle"], "admin")
    auth.login(admin.email)
    token = csrf_token(client.get("/vejle/research/").get_data(as_text=True))
    response = client.post(
        f"/vejle/research/studies/{study.id}/grant",
        data={"csrf_token": token, "forms": ["family_intake"]},  # no wave chosen
        follow_redirects=True,
    )
    assert "Vælg mindst ét skema og mindst én runde." in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["abc", "1,5", "1e3", "٣", "1" + "0" * 12, " + "])
def test_a_whole_number_field_refuses_in_danish_what_is_not_a_whole_number(app, typed):
    """WTForms' own "Not a valid integer value." reached Danish pages (the settings, the
    API token's days): every refusal of a whole-number field is the same Danish sentence."""
    from flask_wtf import FlaskForm

    from app.core.forms import WholeNumberField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        number = WholeNumberField("Tal")

    with app.test_request_context("/", method="POST", data={"number": typed}):
        form = Form()
        assert not form.validate()
        assert form.number.errors == ["Skriv et helt tal."]
        assert form.number.data is None
