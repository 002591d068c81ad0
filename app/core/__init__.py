"""Pieces every feature shares: the database handle, the start page, error pages."""
