"""Gunicorn settings for Helhed: ``gunicorn -c python:app.core.gunicorn_conf wsgi:app``.

The access log carries no personal data: no query string (the family search sends names
there), no client address, no referrer or user agent; the path holds only ids.
"""

from __future__ import annotations

import os

bind = os.environ.get("HELHED_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HELHED_WORKERS", str(2 * (os.cpu_count() or 1))))
accesslog = "-"
#: Time, method, path without the query, status, bytes, duration in microseconds.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(D)s'
# Several gunicorns on one host must not share the control socket's fixed path (25.1+).
control_socket_disable = True
