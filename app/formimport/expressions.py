"""XLSForm ``relevant``/``constraint`` and REDCap branching logic as ``show_if`` and bounds.

Only what the definitions can say is converted; anything else is refused with
:class:`Unconvertible`, never guessed. The result is checked by the definitions' own
parser (:mod:`app.definitions.conditions`) and, with the form, by the loader.

- XLSForm: ``${x} = 'a'``, ``${n} > 3``, ``selected(${m}, 'b')``, ``and``, ``or``,
  ``not(...)`` and parentheses; a constraint ``. >= 0 and . <= 120`` becomes min/max.
- REDCap: ``[x] = '1'``, ``[x] <> '1'``, ``[m(2)] = '1'`` (a checkbox's option ticked),
  ``and``, ``or`` and parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions import conditions

#: kind_of(field name): "number", "truth", "codes" or "" (what a literal is compared as).
KindOf = Callable[[str], str]

_XLS_TOKEN = re.compile(
    r"\s*(?:(?P<field>\$\{[A-Za-z_][A-Za-z0-9_]*\})|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>!=|<=|>=|=|<|>|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_-]*)|(?P<dot>\.))"
)
_REDCAP_TOKEN = re.compile(
    r"\s*(?:(?P<field>\[[A-Za-z_][A-Za-z0-9_]*(?:\([A-Za-z0-9_-]+\))?\])"
    r"|(?P<string>'[^']*'|\"[^\"]*\")|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><>|!=|<=|>=|=|<|>|\(|\))|(?P<word>[A-Za-z_]+))"
)
_COMPARATORS = {"=": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_CONSTRAINT = re.compile(r"^\s*\.\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")


class Unconvertible(ValueError):
    """The expression says something the definitions cannot; the message says what, in
    the reader's language (a lazy string)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


def _tokens(pattern: re.Pattern[str], source: str) -> list[tuple[str, str]]:
    tokens, position, source = [], 0, source.strip()
    while position < len(source):
        match = pattern.match(source, position)
        if not match or match.end() == position:
            raise Unconvertible(_l("%(text)s cannot be read", text=source[position:]))
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, text: str, field_kind: str) -> str:
    """A literal as show_if writes it: numbers unquoted for a number field, yes/no as such."""
    value = text[1:-1] if kind == "string" else text
    if field_kind == "truth" and value in ("1", "0"):
        return "true" if value == "1" else "false"
    if field_kind == "number" and re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        return value
    if "'" in value:
        raise Unconvertible(_l("the value %(text)s has a quote in it", text=value))
    return f"'{value}'"


def _finish(parts: list[str], source: str) -> str:
    result = " ".join(parts).replace("( ", "(").replace(" )", ")")
    try:
        conditions.parse(result)
    except conditions.ConditionError as exc:
        raise Unconvertible(_l("%(text)s is not a whole condition", text=source)) from exc
    return result


def xlsform_relevant(source: str, kind_of: KindOf) -> str:
    """An XLSForm ``relevant`` as a show_if expression."""
    tokens = _tokens(_XLS_TOKEN, source)
    parts: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "field":
            name = text[2:-1]
            if index + 2 >= len(tokens) or tokens[index + 1][1] not in _COMPARATORS:
                parts.append(name)
                index += 1
                continue
            op, (value_kind, value) = tokens[index + 1][1], tokens[index + 2]
            if value_kind not in ("string", "number"):
                raise Unconvertible(_l("compare %(text)s with a value", text=name))
            parts.append(f"{name} {_COMPARATORS[op]} {_literal(value_kind, value, kind_of(name))}")
            index += 3
        elif kind == "word" and text == "selected":
            # selected(${m}, 'b'): the answer's codes include b.
            window = tokens[index + 1 : index + 6]
            shape = [k if k != "op" else t for k, t in window]
            if shape[:3] != ["(", "field", ","] or shape[4:] != [")"] or window[3][0] != "string":
                raise Unconvertible(_l("selected() takes a question and a choice in quotes"))
            parts.append(f"{window[1][1][2:-1]} == {_literal('string', window[3][1], 'codes')}")
            index += 6
        elif (kind == "word" and text in ("and", "or", "not")) or (kind == "op" and text in "()"):
            parts.append(text)
            index += 1
        else:
            raise Unconvertible(_l("%(text)s has no counterpart in Helhed's conditions", text=text))
    return _finish(parts, source)


def redcap_branching(source: str, kind_of: KindOf) -> str:
    """A REDCap branching logic as a show_if expression."""
    tokens = _tokens(_REDCAP_TOKEN, source)
    parts: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "field":
            inner = text[1:-1]
            if index + 2 >= len(tokens) or tokens[index + 1][1] not in _COMPARATORS:
                raise Unconvertible(_l("compare %(text)s with a value", text=text))
            op, (value_kind, value) = tokens[index + 1][1], tokens[index + 2]
            if value_kind not in ("string", "number"):
                raise Unconvertible(_l("compare %(text)s with a value", text=text))
            if "(" in inner:
                # A checkbox's option: [m(2)] = '1' is "2 is ticked", = '0' "not ticked".
                name, code = inner[:-1].split("(")
                ticked = value.strip("'\"")
                if ticked not in ("0", "1") or _COMPARATORS[op] not in ("==", "!="):
                    raise Unconvertible(_l("%(text)s can only be compared with 1 or 0", text=text))
                same = (ticked == "1") == (_COMPARATORS[op] == "==")
                parts.append(f"{name} {'==' if same else '!='} '{code}'")
            else:
                literal = _literal(value_kind, value, kind_of(inner))
                parts.append(f"{inner} {_COMPARATORS[op]} {literal}")
            index += 3
        elif kind == "word" and text.lower() in ("and", "or"):
            parts.append(text.lower())
            index += 1
        elif kind == "op" and text in "()":
            parts.append(text)
            index += 1
        else:
            raise Unconvertible(_l("%(text)s has no counterpart in Helhed's conditions", text=text))
    return _finish(parts, source)


def constraint_bounds(source: str, whole: bool) -> tuple[float | None, float | None]:
    """An XLSForm constraint on the answer (``.``) as (min, max); *whole* for integers,
    where ``. > 0`` is ``min: 1``."""
    low: float | None = None
    high: float | None = None
    for part in re.split(r"\s+and\s+", source.strip()):
        match = _CONSTRAINT.match(part)
        if not match:
            raise Unconvertible(_l("%(text)s is not of the form . >= number", text=part))
        op, text = match.groups()
        number: float = float(text) if "." in text else int(text)
        if op in ("<", ">"):
            if not whole or isinstance(number, float):
                raise Unconvertible(
                    _l("%(text)s needs a whole number and a whole-number question", text=op)
                )
            number = number + 1 if op == ">" else number - 1
        if op.startswith(">"):
            low = number if low is None else max(low, number)
        else:
            high = number if high is None else min(high, number)
    return low, high
