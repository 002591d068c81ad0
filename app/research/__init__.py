"""Research: studies, municipal grants and sign-off, and pseudonymised data packages."""
