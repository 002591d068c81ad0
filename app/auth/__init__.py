"""Sign-in, accounts and roles."""
