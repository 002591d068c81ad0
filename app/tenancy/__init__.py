"""Municipalities as tenants: configuration files, the tenant boundary, per-municipality pages."""
