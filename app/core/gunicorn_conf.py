"""Gunicorn settings for Helhed: ``gunicorn -c python:app.core.gunicorn_conf wsgi:app``.

The access log carries no personal data: no query string (the family search sends names
there), no client address, no referrer or user agent; the path holds only ids. Every line,
the master's own from its first on, is one JSON object (``app.core.logs``).
"""

from __future__ import annotations

import os

bind = os.environ.get("HELHED_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HELHED_WORKERS", str(2 * (os.cpu_count() or 1))))
accesslog = "-"
#: Time, method, path without the query, status, bytes, duration in microseconds, and the
#: request id the answer carried (X-Request-ID), which the application's lines carry too.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(D)s %({x-request-id}o)s'
# Several gunicorns on one host must not share the control socket's fixed path (25.1+).
control_socket_disable = True

# gunicorn's own loggers write through Helhed's JSON formatter from the master's start, not
# only once a worker has loaded the application: an operator's collector reads one format.
_JSON_HANDLER = {
    "class": "logging.StreamHandler",
    "formatter": "json",
    "filters": ["context"],
    "stream": "ext://sys.stderr",
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.core.logs.JsonFormatter"}},
    "filters": {"context": {"()": "app.core.logs.ContextFilter"}},
    "handlers": {"json": _JSON_HANDLER},
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        # The migrations' plug-ins announce themselves on every start: not an event.
        "alembic.runtime.plugins": {"level": "WARNING"},
    },
}
