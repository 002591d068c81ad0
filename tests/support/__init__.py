"""Shared test support: builders and registries that several test modules use.

Test modules never import each other, nor a conftest; what two of them need lives here,
one module per concept (``tests/test_suite_layout.py`` holds the suite to it):

- :mod:`~tests.support.apps`: the test configuration, ``build_app``, the application role
  and the owner's engine on PostgreSQL, ``IsolatedClient``, ``missing_service``;
- :mod:`~tests.support.auth`: ``PASSWORD``, ``TOTP_SECRET``, ``log_in``, ``fresh_code``,
  ``csrf_token`` and the user factory;
- :mod:`~tests.support.forms`: ``valid_formdata`` and ``save_family_draft``;
- :mod:`~tests.support.routes` and :mod:`~tests.support.access`: the route loops' id
  providers and tenant routes, and the access matrix's ``expected()``;
- :mod:`~tests.support.worlds` and :mod:`~tests.support.cohort`: fixtures several modules
  share (registered in tests/conftest.py), so no module imports them;
- :mod:`~tests.support.fuzz_pages`, :mod:`~tests.support.fuzz_values` and
  :mod:`~tests.support.write_checks`: the write fuzzing's routes, inputs and checks;
- :mod:`~tests.support.browser`: Chromium, the demo sign-in and the accessibility check.

The server and scratch-database harness is ``bench/harness.py``, shared with the
benchmarks. The names that used to be imported from ``tests.conftest`` can be imported
from here as well (``from tests.support import valid_formdata``); each is loaded from its
module when first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "tests.support.apps": (
        "APP_ROLE",
        "DEFAULT_PG_URL",
        "IN_CI",
        "TEST_CONFIG",
        "IsolatedClient",
        "app_role_url",
        "build_app",
        "missing_service",
        "owner_engine",
        "prepare_app_role",
    ),
    "tests.support.auth": (
        "PASSWORD",
        "TOTP_SECRET",
        "AuthActions",
        "UserFactory",
        "csrf_token",
        "fresh_code",
        "log_in",
    ),
    "tests.support.forms": ("save_family_draft", "valid_formdata"),
    "tests.support.routes": ("ID_PROVIDERS", "invite_someone", "report_job_for", "tenant_rules"),
    "tests.support.access": ("FAMILY_ARGS", "expected"),
    "tests.support.reports": ("html_row",),
    "app.config": ("PROJECT_ROOT",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    # Loaded on first use: importing the package stays cheap, and a support module may
    # import another without going through this one.
    if name not in _HOME_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME_OF[name]), name)
