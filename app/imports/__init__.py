"""Bulk import of running programmes: families, adults, children and their intake answers
from one workbook (XLSX) or one CSV file, checked in full before anything is written.

The layout of the file is docs/import.md (and :mod:`app.imports.layout`); every cell is
checked by the forms' own rules (:func:`app.definitions.validation.validate_answers`);
families are written through the same services as a family enrolled on the page.
"""
