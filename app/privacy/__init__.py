"""Retention, erasure on request and subject access (GDPR articles 5(1)(e), 15 and 17)."""
