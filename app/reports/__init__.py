"""Evaluation indicators and reports, with disclosure control."""
