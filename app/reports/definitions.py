"""``docs/indicators.md``, generated from :data:`app.reports.indicators.INDICATORS`.

The definitions live once, registered on the SQL that computes them; a test fails when the
document and the code disagree (``flask report definitions --out docs/indicators.md``).
"""

from __future__ import annotations

from app.reports.disclosure import DEFAULT_K, rule_text
from app.reports.indicators import INDICATORS, SECTIONS

KINDS = {"count": "count", "rate": "share (%)", "mean": "mean"}


def markdown() -> str:
    lines = [
        "# Evaluation indicators",
        "",
        "Generated from the indicators of `app/reports/indicators/` by `flask report "
        "definitions --out docs/indicators.md`; do not edit by hand. Each indicator is one "
        "SQL statement run by the database (SQLite or PostgreSQL), per municipality and "
        "team model; pooled and team-model figures are sums of those groups.",
        "",
        "Common rules:",
        "",
        "- Only **submitted** forms count; drafts never do.",
        '- "Self-supporting" is every `income_support` code whose code list marks it '
        "`self_supporting: true` (ordinary employment, education, otherwise "
        'self-supporting); "on income support" is every code marked `false`. `unknown` is '
        "neither.",
        "- \"Latest\" is the person's (or family's) follow-up or exit wave with the latest due "
        "date that has the answer.",
        "- A study's figures count only families that agreed to research use, enrolled "
        "within each grant's period, and only granted forms and wave kinds of waves a lead "
        "has approved.",
        f"- Disclosure control (k = {DEFAULT_K} unless the installation or the study sets "
        f"more): {rule_text(DEFAULT_K, 'en')}",
        "",
    ]
    for key, title in SECTIONS.items():
        members = [i for i in INDICATORS if i.section == key]
        if not members:
            continue
        lines += [f"## {title['en']} / {title['da']}", ""]
        for indicator in members:
            lines += [
                f"### `{indicator.id}` — {indicator.name['en']}",
                "",
                f"*{indicator.name['da']}*",
                "",
                f"{indicator.definition['en']}",
                "",
                f"- Kind: {KINDS[indicator.kind]}, of {indicator.unit}",
            ]
            if indicator.numerator["en"]:
                label = "Numerator" if indicator.kind == "rate" else "Sum of"
                lines.append(f"- {label}: {indicator.numerator['en']}")
            if indicator.denominator["en"]:
                lines.append(f"- Denominator (n): {indicator.denominator['en']}")
            lines += [
                f"- Waves: {indicator.basis['en']}",
                "",
                f"> {indicator.definition['da']}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
