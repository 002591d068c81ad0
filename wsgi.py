"""The entry for gunicorn and ``flask --app wsgi``.

A configuration that cannot work ends the start with one line naming the setting and the
fix, not a traceback: the operator reading it needs the setting, not the call stack. So
does an encryption key that cannot read the data already stored: served, it would answer
every sign-in with a second factor by an error.
"""

import sys

from app import create_app
from app.config import ConfigError
from app.core.health import refused_key

try:
    app = create_app()
except ConfigError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(2)

if (refusal := refused_key(app)) is not None:
    print(f"Configuration error: {refusal}", file=sys.stderr)
    sys.exit(2)
