"""Reading the report pages: the figures of one indicator's row in the report table."""

from __future__ import annotations

import re


def html_row(page: str, indicator: str) -> list[str]:
    """The texts of an indicator's figures in the report table (without their n)."""
    row = re.search(rf'<tr>\s*<th scope="row"><a href="#def-{indicator}">.*?</tr>', page, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[0], re.S)
    return [re.sub(r"<span.*", "", cell, flags=re.S).strip() for cell in cells]
