"""Finished reports and packages wait in folders only the service's user can open."""

from __future__ import annotations

import os
import stat

from app.core.background import output_dir


def test_every_folder_of_a_finished_file_is_closed_to_other_users(app, tmp_path):
    root = tmp_path / "exports"
    root.mkdir(mode=0o755)  # as an operator may have made it before
    app.config["EXPORTS_DIR"] = str(root)
    old = os.umask(0o022)
    try:
        folder = output_dir(app, "reports", "brondby")
    finally:
        os.umask(old)
    for level in (root, root / "reports", folder):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    (folder / "x.pdf").write_bytes(b"%PDF")
    # Another user cannot even reach the file: no search permission on the way.
    assert not root.stat().st_mode & (stat.S_IXOTH | stat.S_IXGRP)
