"""Collecting answers: published form versions, submissions, drafts and conflicts."""
