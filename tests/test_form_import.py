"""Local questions from an XLSForm or a REDCap dictionary (docs/forms.md): converted,
checked by the loader's own checks, refused with the sheet, row and column of every
problem, and published as a new immutable version of ``<slug>.<name>``."""

from __future__ import annotations

import copy
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.collection.models import FormVersion
from app.core.db import db
from app.definitions.fields import FIELD_TYPES
from app.definitions.loader import load_catalogue
from app.formimport.build import codelist_name
from app.formimport.problems import IMPORT_CODES
from app.formimport.reading import UnreadableFile
from app.formimport.services import check_upload, publish, yaml_bundle
from app.formimport.xlsform import PLAIN_TYPES, SELECT_TYPES, UNCARRIED_COLUMNS
from app.tenancy.scoping import tenant_scope
from tests.support.xlsforms import BROKEN, SUPPORTED_TYPES, VALID, broken, with_column, xlsx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REDCAP = PROJECT_ROOT / "tests" / "fixtures" / "redcap"
#: Each broken dictionary, with the problem it must be refused with.
REDCAP_BROKEN = {
    "no_label_column.csv": ("I003", 1, "Field Label"),
    "unknown_type.csv": ("I005", 4, "Field Type"),
    "bad_branching.csv": ("I008", 5, "Branching Logic (Show field only if...)"),
    "bad_validation.csv": ("I009", 2, "Text Validation Type OR Show Slider Number"),
    "bad_choices.csv": ("I013", 6, "Choices, Calculations, OR Slider Labels"),
    "core_variable.csv": ("F016", 9, "Variable / Field Name"),
    "action_tag.csv": ("I015", 3, "Field Annotation"),
}


@pytest.fixture
def jammerbugt(municipalities: dict[str, Any], forms_published: Any) -> Any:
    return municipalities["jammerbugt"]


def _check(
    municipality: Any, content: bytes, source: str = "xlsform", name: str = "trivsel"
) -> Any:
    with force_locale("da"):
        return check_upload(municipality, content, source, name, "adult", ["intake", "follow_up"])


def _publish(municipality: Any, checked: Any) -> Any:
    with tenant_scope(municipality):
        published = publish(municipality, checked, actor_id=None)
        db.session.commit()
    return published


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["forms", *args])


def test_the_valid_xlsform_becomes_a_local_form_asking_every_supported_type(
    app_ctx: Flask, jammerbugt: Any
) -> None:
    checked = _check(jammerbugt, xlsx(VALID))
    assert checked.problems == []
    form = checked.form
    assert (form.form_id, form.version) == ("jammerbugt.trivsel", 1)
    # Every supported XLSForm type asks a question of the Helhed type it maps to.
    mapped = {**PLAIN_TYPES, **SELECT_TYPES}
    asked = {f.type for f in form.fields}
    for xls_type in SUPPORTED_TYPES:
        assert mapped[xls_type] in asked, xls_type
        assert mapped[xls_type] in FIELD_TYPES
    rooms = form.field("trivsel_rooms")
    assert (rooms.required, rooms.min, rooms.max) == (True, 0, 20)
    assert rooms.help == {"da": "Tæl alle", "en": "Count all"}
    assert form.field("trivsel_rent").show_if == "trivsel_rooms > 0"
    assert form.field("trivsel_garden_note").show_if == "trivsel_garden == 'yes'"
    assert form.field("trivsel_moved").show_if == "trivsel_pets == 'dog' or trivsel_rooms >= 3"
    # The group is a section of its own; the questions after it are another.
    assert [s.id for s in form.sections] == ["home", "questions"]
    assert form.title == {"da": "Trivsel i hjemmet", "en": "Wellbeing at home"}
    # The choice lists are code lists under the municipality's and the form's namespace.
    pets = codelist_name("jammerbugt", "trivsel", "pets")
    assert form.field("trivsel_pets").codelist == pets
    assert [c.code for c in form.codelists[pets].codes] == ["dog", "cat"]
    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    assert not set(form.codelists) & set(catalogue.codelists)
    # The metadata row (start) asks nothing.
    assert form.field("started") is None


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_each_broken_xlsform_is_refused_at_its_sheet_row_and_column(
    app_ctx: Flask, jammerbugt: Any, code: str
) -> None:
    _change, sheet, row, column = BROKEN[code]
    checked = _check(jammerbugt, broken(code))
    assert not checked.ok
    assert checked.form is None
    places = [(p.code, p.sheet, p.row, p.column) for p in checked.problems]
    assert (code, sheet, row, column) in places, places
    # In Danish, for the person with the file.
    with force_locale("da"):
        messages = [str(p.message) for p in checked.problems]
    assert all(messages) and not any("The " in m for m in messages), messages


@pytest.mark.parametrize("column", UNCARRIED_COLUMNS)
def test_a_value_in_every_column_helhed_cannot_carry_over_is_refused(
    app_ctx: Flask, jammerbugt: Any, column: str
) -> None:
    checked = _check(jammerbugt, xlsx(with_column("survey", column, 3, "1")(VALID)))
    assert [(p.code, p.row, p.column) for p in checked.problems] == [("I015", 3, column)]


@pytest.mark.parametrize(
    "tag",
    [
        "@DEFAULT='3'",
        "@SETVALUE='1'",
        "@READONLY",
        "@CALCTEXT(1)",
        "@CALCDATE([d], 1, 'y')",
        "@HIDDEN",
        "@hidden-survey",
    ],
)
def test_every_redcap_action_tag_that_changes_the_field_is_refused(
    app_ctx: Flask, jammerbugt: Any, tag: str
) -> None:
    text = (REDCAP / "action_tag.csv").read_text(encoding="utf-8").replace("@DEFAULT='3'", tag)
    checked = _check(jammerbugt, text.encode(), "redcap", "netvaerk")
    assert [(p.code, p.row) for p in checked.problems] == [("I015", 3)]


def test_a_redcap_annotation_for_people_is_passed_over(app_ctx: Flask, jammerbugt: Any) -> None:
    text = (REDCAP / "action_tag.csv").read_text(encoding="utf-8")
    text = text.replace("@DEFAULT='3'", "Spørg om hverdage; @DEFAULTS er ikke et mærke")
    checked = _check(jammerbugt, text.encode(), "redcap", "netvaerk")
    assert checked.problems == []


@pytest.mark.parametrize("column", ["appearance", "constraint_message", "required_message"])
def test_a_column_of_how_a_question_looks_is_passed_over(
    app_ctx: Flask, jammerbugt: Any, column: str
) -> None:
    checked = _check(jammerbugt, xlsx(with_column("survey", column, 3, "minimal")(VALID)))
    assert checked.problems == [] and checked.form is not None


def test_every_converter_code_is_explained_in_the_docs() -> None:
    listed = set(
        re.findall(r"^\| `(I\d{3})` \|", (PROJECT_ROOT / "docs" / "forms.md").read_text(), re.M)
    )
    assert listed == set(IMPORT_CODES)


def test_every_converter_code_has_its_fixture() -> None:
    assert set(IMPORT_CODES) - {"I013"} <= set(BROKEN)
    assert "I013" in {code for code, _row, _column in REDCAP_BROKEN.values()}


def test_the_valid_redcap_dictionary_becomes_a_local_form(app_ctx: Flask, jammerbugt: Any) -> None:
    checked = _check(jammerbugt, (REDCAP / "valid.csv").read_bytes(), "redcap", "netvaerk")
    assert checked.problems == []
    form = checked.form
    assert checked.converted.same_labels
    contacts = form.field("netvaerk_contacts")
    assert (contacts.required, contacts.min, contacts.max) == (True, 0, 50)
    assert contacts.label == {"da": "Antal faste kontakter", "en": "Antal faste kontakter"}
    assert form.field("netvaerk_hours").show_if == "netvaerk_contacts > 0"
    assert form.field("netvaerk_club_name").show_if == "netvaerk_club == true"
    assert form.field("netvaerk_ways").show_if == "netvaerk_support != '3'"
    assert form.field("netvaerk_last").show_if == "netvaerk_ways == '2' or netvaerk_club == true"
    kinds = {f.name: f.kind for f in form.fields}
    assert kinds["netvaerk_support"].needs_codelist and not kinds["netvaerk_support"].multiple
    assert kinds["netvaerk_ways"].multiple
    assert kinds["netvaerk_club"].compared_as == "truth"
    assert kinds["netvaerk_last"].compared_as == "day"
    assert kinds["netvaerk_hours"] is FIELD_TYPES[PLAIN_TYPES["decimal"]]
    assert [s.id for s in form.sections] == ["netv_rk", "st_tte"]


@pytest.mark.parametrize("name", sorted(REDCAP_BROKEN))
def test_each_broken_redcap_dictionary_is_refused_at_its_row_and_column(
    app_ctx: Flask, jammerbugt: Any, name: str
) -> None:
    code, row, column = REDCAP_BROKEN[name]
    checked = _check(jammerbugt, (REDCAP / name).read_bytes(), "redcap", "netvaerk")
    places = [(p.code, p.sheet, p.row, p.column) for p in checked.problems]
    assert (code, "CSV", row, column) in places, places


def test_a_file_that_is_no_workbook_is_refused(app_ctx: Flask, jammerbugt: Any) -> None:
    with pytest.raises(UnreadableFile):
        _check(jammerbugt, b"not a workbook")


def test_publishing_makes_a_new_version_and_never_changes_an_old_one(
    app_ctx: Flask, jammerbugt: Any
) -> None:
    first = _check(jammerbugt, xlsx(VALID))
    version, created = _publish(jammerbugt, first)
    assert created and version.version == 1
    stored_hash = version.content_hash
    # The same questions again: nothing new.
    again, created = _publish(jammerbugt, _check(jammerbugt, xlsx(VALID)))
    assert not created and again.id == version.id
    # A changed label: version 2, version 1 untouched.
    changed = copy.deepcopy(VALID)
    changed["survey"][6][2] = "Om haven (ny)"
    second = _check(jammerbugt, xlsx(changed))
    assert second.ok and second.form.version == 2
    _v2, created = _publish(jammerbugt, second)
    assert created
    versions = db.session.scalars(
        select(FormVersion).filter_by(form_id="jammerbugt.trivsel").order_by(FormVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content_hash == stored_hash
    with tenant_scope(jammerbugt):
        events = db.session.scalars(select(AuditEvent).filter_by(action="forms.imported")).all()
    assert [e.details["version"] for e in events] == [1, 2]
    assert events[0].municipality_id == jammerbugt.id


def test_the_downloaded_yaml_checks_as_the_snapshot_it_came_from(
    app_ctx: Flask, jammerbugt: Any, tmp_path: Path
) -> None:
    version, _ = _publish(jammerbugt, _check(jammerbugt, xlsx(VALID)))
    tree = tmp_path / "forms"
    shutil.copytree(PROJECT_ROOT / "forms", tree)
    with zipfile.ZipFile(io.BytesIO(yaml_bundle(version))) as archive:
        for member in archive.namelist():
            target = tmp_path / member
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
            yaml.safe_load(archive.read(member))
    catalogue = load_catalogue(tree)
    assert catalogue.forms[("jammerbugt.trivsel", 1)].content_hash == version.content_hash


def test_the_commands_refuse_a_broken_file_and_publish_a_valid_one(
    app_ctx: Flask, jammerbugt: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(broken("F016"))
    refused = _run(
        app_ctx, "import-xlsform", str(bad), "--municipality", "jammerbugt", "--name", "trivsel"
    )
    assert refused.exit_code == 1
    assert "F016 survey, row 7, column name:" in refused.output
    assert "kernedata" in refused.output  # in Danish
    assert "1 problem; nothing was published." in refused.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(VALID))
    args = ("import-xlsform", str(good), "--municipality", "jammerbugt", "--name", "trivsel")
    dry = _run(app_ctx, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "jammerbugt.trivsel v1 would be published (6 questions)" in dry.output
    assert db.session.scalar(select(FormVersion).filter_by(form_id="jammerbugt.trivsel")) is None
    done = _run(app_ctx, *args)
    assert done.exit_code == 0, done.output
    assert "published: jammerbugt.trivsel v1" in done.output
    redcap = _run(
        app_ctx,
        "import-redcap",
        str(REDCAP / "bad_choices.csv"),
        "--municipality",
        "jammerbugt",
        "--name",
        "netvaerk",
    )
    assert redcap.exit_code == 1
    assert "I013 CSV, row 6, column Choices, Calculations, OR Slider Labels:" in redcap.output
    found = len(re.findall(r"^I\d{3} ", redcap.output, re.MULTILINE))
    assert f"{found} problem{'' if found == 1 else 's'}; nothing was published." in redcap.output
    ok = _run(
        app_ctx,
        "import-redcap",
        str(REDCAP / "valid.csv"),
        "--municipality",
        "jammerbugt",
        "--name",
        "netvaerk",
        "--level",
        "family",
        "--waves",
        "intake",
    )
    assert ok.exit_code == 0, ok.output
    stored = db.session.scalar(select(FormVersion).filter_by(form_id="jammerbugt.netvaerk"))
    assert stored.level == "family" and stored.form.waves == ("intake",)


def test_a_db_only_local_form_leaves_forms_check_and_municipalities_check_content(
    app_ctx: Flask, jammerbugt: Any, tmp_path: Path
) -> None:
    _publish(jammerbugt, _check(jammerbugt, xlsx(VALID)))
    assert _run(app_ctx, "check").exit_code == 0
    published = _run(app_ctx, "publish")
    assert published.exit_code == 0 and "jammerbugt.trivsel" not in published.output
    # A municipality file switching it on is content: the definition is published.
    source = (PROJECT_ROOT / "municipalities" / "jammerbugt.toml").read_text(encoding="utf-8")
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "jammerbugt.toml").write_text(
        source.replace('"jammerbugt.bip"', '"jammerbugt.bip", "jammerbugt.trivsel"'),
        encoding="utf-8",
    )
    assert "jammerbugt.trivsel" in (folder / "jammerbugt.toml").read_text(encoding="utf-8")
    runner = app_ctx.test_cli_runner()
    ok = runner.invoke(args=["municipalities", "check", "--dir", str(folder)])
    assert ok.exit_code == 0, ok.output
    (folder / "jammerbugt.toml").write_text(
        source.replace('"jammerbugt.bip"', '"jammerbugt.bip", "jammerbugt.nowhere"'),
        encoding="utf-8",
    )
    missing = runner.invoke(args=["municipalities", "check", "--dir", str(folder)])
    assert missing.exit_code == 1
    assert "jammerbugt.nowhere" in missing.output


#: What each XLSForm condition becomes; the kinds are those of the valid form's questions.
XLS_CONDITIONS = {
    "${a} = 'x'": "a == 'x'",
    "${n} > 3 and ${n} <= 10": "n > 3 and n <= 10",
    "${n} != '2'": "n != 2",
    "selected(${m}, 'b') or not(${a} = 'y')": "m == 'b' or not (a == 'y')",
    "(${a} = 'x' or ${a} = 'y') and ${n} >= 1": "(a == 'x' or a == 'y') and n >= 1",
}
REDCAP_CONDITIONS = {
    "[a] = '1'": "a == '1'",
    "[y] = '1'": "y == true",
    "[y] = '0'": "y == false",
    "[m(2)] = '1'": "m == '2'",
    "[m(2)] = '0'": "m != '2'",
    "[a] <> '3' AND [n] > 2": "a != '3' and n > 2",
}
_KINDS = {"n": "number", "y": "truth", "m": "codes", "a": "code"}


@pytest.mark.parametrize(("source", "expected"), sorted(XLS_CONDITIONS.items()))
def test_xlsform_conditions_become_show_if(source: str, expected: str) -> None:
    from app.definitions import conditions
    from app.formimport.expressions import xlsform_relevant

    converted = xlsform_relevant(source, lambda name: _KINDS.get(name, ""))
    assert converted == expected
    assert conditions.parse(converted)


@pytest.mark.parametrize(("source", "expected"), sorted(REDCAP_CONDITIONS.items()))
def test_redcap_branching_becomes_show_if(source: str, expected: str) -> None:
    from app.formimport.expressions import redcap_branching

    assert redcap_branching(source, lambda name: _KINDS.get(name, "")) == expected


@pytest.mark.parametrize(
    "source",
    ["count(${m}) > 1", "${a} = ${b}", "string-length(${a}) > 3", ". > 1", "${a} = 'it''s'"],
)
def test_what_show_if_cannot_say_is_refused(source: str) -> None:
    from app.formimport.expressions import Unconvertible, xlsform_relevant

    with pytest.raises(Unconvertible):
        xlsform_relevant(source, lambda name: "")


@pytest.mark.parametrize(
    ("source", "whole", "bounds"),
    [
        (". >= 0 and . <= 120", True, (0, 120)),
        (". > 0", True, (1, None)),
        (". < 10", True, (None, 9)),
        (". >= 0.5", False, (0.5, None)),
    ],
)
def test_constraints_become_bounds(source: str, whole: bool, bounds: tuple) -> None:
    from app.formimport.expressions import constraint_bounds

    assert constraint_bounds(source, whole) == bounds


@pytest.mark.parametrize(
    ("source", "whole"), [(". > 0", False), ("regex(., 'x')", True), (". != 3", True)]
)
def test_other_constraints_are_refused(source: str, whole: bool) -> None:
    from app.formimport.expressions import Unconvertible, constraint_bounds

    with pytest.raises(Unconvertible):
        constraint_bounds(source, whole)


def test_a_local_code_list_can_never_replace_a_core_one(app_ctx: Flask) -> None:
    from app.definitions.loader import DefinitionError, check_local_definition

    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    core = sorted(catalogue.codelists)[0]
    raw = {
        "form": "jammerbugt.liste",
        "version": 1,
        "level": "adult",
        "waves": ["intake"],
        "title": {"da": "Liste", "en": "List"},
        "sections": [
            {
                "id": "main",
                "fields": [
                    {
                        "name": "liste_valg",
                        "type": PLAIN_TYPES["text"],
                        "label": {"da": "Valg", "en": "Choice"},
                    }
                ],
            }
        ],
    }
    own = {"codelist": core, "title": {"da": "x", "en": "x"}, "codes": []}
    with pytest.raises(DefinitionError) as refused:
        check_local_definition(raw, "jammerbugt", catalogue, {core: own}, PROJECT_ROOT / "forms")
    assert [p.code for p in refused.value.problems] == ["F013"]
    assert "core code list" in refused.value.problems[0].message
    # The same definition without the clash passes.
    form = check_local_definition(raw, "jammerbugt", catalogue, {}, PROJECT_ROOT / "forms")
    assert form.form_id == "jammerbugt.liste"
