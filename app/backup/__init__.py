"""Backups of the whole database: ``flask backup create`` and ``flask backup restore``.

SQLite is copied with its online backup API, PostgreSQL with ``pg_dump``/``pg_restore``.
Every backup has a JSON metadata file next to it (revision, row counts, checksum); a
restore refuses a file without one and checks the restored database against it.

``services`` holds what both databases share (metadata, checks, the order of a restore),
``sqlite`` and ``postgres`` how each is copied, ``cli`` the commands.
"""
