"""Append-only audit trail of logins, reads and changes of personal data, and settings."""
