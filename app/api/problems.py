"""Errors as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app
from werkzeug.exceptions import HTTPException

from app.core.views import answer_errors_under

PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    500: "Internal server error",
}


class ApiProblem(HTTPException):
    """An error the API reports as a problem document; raise it from any API code."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.errors = errors
        self.extra_headers = headers or {}

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:  # type: ignore[override]
        return problem(
            self.code or 500, self.description or "", errors=self.errors, headers=self.extra_headers
        )


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    if isinstance(error, ApiProblem):
        return error.get_response()
    status = error.code or 500
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="helhed"'
    if status == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return problem(413, f"The request body is larger than the limit of {limit} bytes.")
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem(status, error.description or TITLES.get(status, ""), headers=headers)


def init_app(app: Flask) -> None:
    # URLs under /api/ that no API route matched still answer as the API does.
    answer_errors_under(app, "/api/", from_http_exception)
