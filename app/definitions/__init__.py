"""Form definitions and code lists as data: format, checker, versions, compilation."""
