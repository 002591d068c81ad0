"""Local questions from an XLSForm or a REDCap data dictionary: converted into a local form
definition, checked by the loader's own checks, previewed and published (docs/forms.md)."""
