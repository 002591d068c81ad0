"""``show_if``: a small, safe condition language over the fields of one form.

Grammar (parsed here, never ``eval``-ed)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                         | "in" list)?
    operand    := NAME | NUMBER | STRING | "true" | "false" | "(" expr ")"
    list       := "[" (literal ("," literal)*)? "]"

A bare field name is true when the field has an answer that is not empty, false or zero.
A comparison with an unanswered field is false (so a hidden follow-up question stays hidden
until its trigger is answered). The parsed tree is plain JSON, so the browser evaluates the
very same tree (``static/js/forms.js``) and the server stays the judge.

A name with a leading ``$`` (``$today``) is a context name: a fact from outside the form
that only the data-quality checks of :mod:`app.definitions.checks` may use, evaluated on the
server. To ``show_if`` it is an unknown field, so it never reaches the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>-?\d+(?:\.\d+)?)|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)|(?P<name>\$?[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_COMPARATORS = {"==", "!=", "<", "<=", ">", ">="}


class ConditionError(ValueError):
    """The condition cannot be parsed; the message points at the place."""


@dataclass
class _Token:
    kind: str
    value: Any
    position: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    source = source.rstrip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match or match.end() == position:
            raise ConditionError(f"unexpected character at position {position + 1}: {source!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        start = match.start(kind)
        if kind == "number":
            value: Any = float(text) if "." in text else int(text)
        elif kind == "string":
            value = text[1:-1]
        else:
            value = text
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, start))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ConditionError(f"condition ends too early: {self.source!r}")
        self.index += 1
        return token

    def accept(self, kind: str, value: Any = None) -> bool:
        token = self.peek()
        if token and token.kind == kind and (value is None or token.value == value):
            self.index += 1
            return True
        return False

    def expect(self, kind: str, value: Any) -> None:
        if not self.accept(kind, value):
            token = self.peek()
            where = f"position {token.position + 1}" if token else "the end"
            raise ConditionError(f"expected {value!r} at {where}: {self.source!r}")

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionError("empty condition")
        node = self.parse_or()
        if self.peek() is not None:
            raise ConditionError(
                f"unexpected {self.peek().value!r} at position {self.peek().position + 1}: "  # type: ignore[union-attr]
                f"{self.source!r}"
            )
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.accept("keyword", "or"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else {"op": "or", "args": items}

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while self.accept("keyword", "and"):
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else {"op": "and", "args": items}

    def parse_not(self) -> Node:
        if self.accept("keyword", "not"):
            return {"op": "not", "args": [self.parse_not()]}
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_operand()
        token = self.peek()
        if token and token.kind == "op" and token.value in _COMPARATORS:
            self.take()
            right = self.parse_operand()
            return {"op": token.value, "args": [left, right]}
        if self.accept("keyword", "in"):
            self.expect("op", "[")
            values: list[Any] = []
            if not self.accept("op", "]"):
                values.append(self.parse_literal())
                while self.accept("op", ","):
                    values.append(self.parse_literal())
                self.expect("op", "]")
            return {"op": "in", "args": [left, {"list": values}]}
        return left

    def parse_literal(self) -> Any:
        token = self.take()
        if token.kind in ("number", "string"):
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            return token.value == "true"
        raise ConditionError(f"expected a value at position {token.position + 1}: {self.source!r}")

    def parse_operand(self) -> Node:
        token = self.peek()
        if token is None:
            raise ConditionError(f"condition ends too early: {self.source!r}")
        if token.kind == "op" and token.value == "(":
            self.take()
            node = self.parse_or()
            self.expect("op", ")")
            return node
        if token.kind == "name":
            self.take()
            return {"field": token.value}
        return {"value": self.parse_literal()}


def parse(source: str) -> Node:
    """Parse a ``show_if`` expression into a JSON-able tree."""
    if not isinstance(source, str):
        raise ConditionError("a condition must be a string")
    return _Parser(source).parse()


def fields_used(node: Node) -> set[str]:
    if "field" in node:
        return {node["field"]}
    names: set[str] = set()
    for arg in node.get("args", []):
        names |= fields_used(arg)
    return names


def _present(value: Any) -> bool:
    return value not in (None, "", [], False, 0)


def _value(node: Node, answers: dict[str, Any]) -> Any:
    if "field" in node:
        return answers.get(node["field"])
    if "value" in node:
        return node["value"]
    if "list" in node:
        return node["list"]
    return evaluate(node, answers)


def evaluate(node: Node, answers: dict[str, Any]) -> bool:
    """True if the condition holds for *answers* (a mapping of field name to stored value)."""
    if "field" in node:
        return _present(answers.get(node["field"]))
    if "value" in node:
        return _present(node["value"])
    op = node["op"]
    args = node["args"]
    if op == "and":
        return all(evaluate(a, answers) for a in args)
    if op == "or":
        return any(evaluate(a, answers) for a in args)
    if op == "not":
        return not evaluate(args[0], answers)
    left, right = _value(args[0], answers), _value(args[1], answers)
    if left is None or right is None:
        return False
    if op == "in":
        return left in right or (isinstance(left, list) and any(v in right for v in left))
    if op == "==":
        return left == right or (isinstance(left, list) and right in left)
    if op == "!=":
        return left != right and not (isinstance(left, list) and right in left)
    try:
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
    except TypeError:
        return False
    raise ConditionError(f"unknown operator {op!r}")
