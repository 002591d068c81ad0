"""Render HTML (stdin) to a tagged PDF (stdout) with WeasyPrint, inside limits.

Run as ``python -m app.reports.pdf_worker MEMORY_MB STATIC_DIR`` by
:func:`app.reports.render.render_pdf`; the parent enforces the time limit. The only
resources WeasyPrint may load are files under STATIC_DIR (the project's own stylesheet and
fonts): any other URL in the document is refused, so report content cannot make the
renderer read the disk or reach the network.
"""

from __future__ import annotations

import mimetypes
import resource
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def fetcher_for(root: Path):
    # WeasyPrint is imported after the memory limit is set (main), so that what it loads
    # (Pango, fonts) counts against the limit like the rendering does.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = root.resolve()

    class AssetFetcher(URLFetcher):
        """Serves files under *root* and nothing else."""

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve()
            if parsed.scheme != "file" or not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"not one of the report's own assets: {url}")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return AssetFetcher()


def html_to_pdf(document: str, static_dir: Path) -> bytes:
    # Imported here for the reason given in fetcher_for.
    from weasyprint import HTML

    html = HTML(
        string=document,
        base_url=static_dir.resolve().as_uri() + "/",
        url_fetcher=fetcher_for(static_dir),
    )
    # PDF/UA-1 makes WeasyPrint tag the structure (headings, tables, figures with their
    # alternative text) and embed the document language and title.
    return html.write_pdf(pdf_variant="pdf/ua-1")


def main(argv: list[str]) -> int:
    megabytes, static_dir = int(argv[1]), Path(argv[2])
    _limit_memory(megabytes)
    document = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(html_to_pdf(document, static_dir))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
