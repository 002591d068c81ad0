"""The entry for gunicorn and ``flask --app wsgi``.

A configuration that cannot work ends the start with one line naming the setting and the
fix, not a traceback: the operator reading it needs the setting, not the call stack.
"""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
