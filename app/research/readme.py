"""The README of a research package: provenance, filters, privacy, missing values and the
files' checksums, in words a researcher reads before the data."""

from __future__ import annotations

import json
from datetime import datetime

from app.core.version import __version__
from app.research import codebook
from app.research.rows import Selection
from app.research.variables import MISSED_CODE_TEXTS


def readme(
    selection: Selection,
    extracted: datetime,
    files: dict[str, str],
    counts: dict[int, dict[str, int]],
    k: int,
) -> str:
    study = selection.study
    lines = [
        f"# {study.title}",
        "",
        "A pseudonymised research data package from Helhed, a Frictionless Data Package: "
        "load `datapackage.json` with any Frictionless tool.",
        "",
        "## Provenance",
        "",
        f"- Software: Helhed {__version__}",
        f"- Study: {study.id} – {study.title}",
        f"- Legal basis: {study.legal_basis}",
        f"- Extracted: {extracted.isoformat()}",
        "",
        "## Municipalities and filters",
        "",
    ]
    for municipality_id, grant in sorted(selection.grants.items()):
        municipality = selection.municipalities[municipality_id]
        approved = grant.approved_waves
        lines.append(
            f"- {municipality.code} {municipality.name_en}: forms {', '.join(grant.forms)}; "
            f"waves {', '.join(grant.waves)}; approved waves {', '.join(approved) or 'none'}; "
            f"enrolled {grant.period_from or 'any time'} – {grant.period_to or 'any time'}; "
            f"free text {'included' if grant.free_text else 'withheld'}; "
            f"rows {json.dumps(counts.get(municipality_id, {}), sort_keys=True)}"
        )
    lines += [
        "",
        "## Privacy",
        "",
        "- Family, person and goal ids are keyed pseudonyms of this study: stable across "
        "its exports, unrelated to any other study's.",
        "- Names, CPR numbers and other identifying fields are never included. Dates are "
        "months since the family's enrolment; enrolment itself is year and quarter.",
        "- Families without research consent are left out; only waves the municipality has "
        "approved are included.",
        f"- Disclosure control: the tables hold records, not aggregates. Any count "
        f"published from them must suppress cells below k = {k}, and "
        "complementary cells that would reveal them. `indicators.csv` is already "
        "protected that way: a hidden figure has `status` `suppressed` and empty `n` "
        "and `value`.",
        "- Cells that a spreadsheet would read as a formula start with an apostrophe.",
        "",
        "## Missing values",
        "",
        "- empty: not answered (or not asked because of an earlier answer)",
        "- `NV`: the variable is not in the form version or wave of this row",
        "- `NS`: free text withheld under the municipality's grant",
        *(f"- `{code}`: {text}" for code, text in MISSED_CODE_TEXTS.items()),
        "",
        *codebook.readme_lines(),
        "## Files (SHA-256)",
        "",
    ]
    lines += [f"- `{name}`: {digest}" for name, digest in files.items()]
    return "\n".join(lines) + "\n"
