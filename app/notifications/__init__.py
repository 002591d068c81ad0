"""Reminders by e-mail: the daily digest of due and overdue forms for each caseworker."""
