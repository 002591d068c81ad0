"""Form versions are immutable once answered; old answers keep their own labels."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.collection.models import FormVersion, Submission
from app.collection.services import (
    PublishError,
    forms_for_wave,
    publish_catalogue,
    save_submission,
)
from app.core.db import db
from app.definitions.loader import DefinitionError, load_catalogue
from app.families.models import Family
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.forms import valid_formdata

OLD_LABEL = "Har familien en fælles plan?"
NEW_LABEL = "Har familien én samlet, fælles plan?"


@pytest.fixture
def forms_dir(tmp_path: Path, project_root: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(project_root / "forms", target)
    return target


def answer_follow_up(municipality, family_id: int) -> Submission:
    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        wave = next(w for w in family.waves if w.kind == "follow_up")
        version = next(
            v for v in forms_for_wave(municipality, wave) if v.form_id == "family_follow_up"
        )
        raw = valid_formdata(version.form, date.today())
        submission = save_submission(
            municipality,
            wave,
            version,
            None,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=None,
            today=date.today(),
        )
        db.session.commit()
        return submission


def bump(forms_dir: Path) -> None:
    folder = forms_dir / "core" / "family_follow_up"
    text = (folder / "v1.yaml").read_text()
    assert OLD_LABEL in text
    new = text.replace("version: 1", "version: 2").replace(OLD_LABEL, NEW_LABEL)
    (folder / "v2.yaml").write_text(new)


def test_a_bumped_version_serves_new_answers_and_old_ones_keep_their_labels(
    client, auth, municipalities, make_user, make_family, forms_dir
):
    brondby = municipalities["brondby"]
    old_family = make_family("brondby", label="Familien Før")
    old = answer_follow_up(brondby, old_family.id)

    bump(forms_dir)
    runner = client.application.test_cli_runner()
    result = runner.invoke(args=["forms", "publish", "--dir", str(forms_dir)])
    assert result.exit_code == 0, result.output
    assert "published: family_follow_up v2" in result.output

    new_family = make_family("brondby", label="Familien Efter")
    new = answer_follow_up(brondby, new_family.id)
    with unscoped("test"):
        versions = {s.id: s.form_version.version for s in db.session.scalars(select(Submission))}
    assert versions == {old.id: 1, new.id: 2}

    user = make_user(brondby, "lead")
    auth.login(user.email)
    old_page = client.get(f"/brondby/submissions/{old.id}").get_data(as_text=True)
    new_page = client.get(f"/brondby/submissions/{new.id}").get_data(as_text=True)
    assert OLD_LABEL in old_page and NEW_LABEL not in old_page
    assert NEW_LABEL in new_page and "skemaversion 2" in new_page
    # Editing the old submission keeps its own version's form.
    wave_id = old.wave_id
    edit = client.get(f"/brondby/waves/{wave_id}/forms/family_follow_up").get_data(as_text=True)
    assert OLD_LABEL in edit and "skemaversion 1" in edit


def test_changing_an_answered_version_in_place_is_refused(
    app_ctx, municipalities, make_family, forms_dir
):
    brondby = municipalities["brondby"]
    family = make_family("brondby")
    answer_follow_up(brondby, family.id)
    path = forms_dir / "core" / "family_follow_up" / "v1.yaml"
    path.write_text(path.read_text().replace(OLD_LABEL, NEW_LABEL))
    before = db.session.scalar(
        select(FormVersion.content_hash).where(FormVersion.form_id == "family_follow_up")
    )

    runner = app_ctx.test_cli_runner()
    check = runner.invoke(args=["forms", "check", "--dir", str(forms_dir)])
    assert check.exit_code == 1
    assert "F017 forms/core/family_follow_up/v1.yaml [family_follow_up v1]" in check.output
    assert "put the change in v2.yaml" in check.output
    publish = runner.invoke(args=["forms", "publish", "--dir", str(forms_dir)])
    assert publish.exit_code == 1

    # The service refuses too, even without the checker in front of it.
    with pytest.raises(PublishError, match="has answers and cannot change in place"):
        publish_catalogue(load_catalogue(forms_dir))
    db.session.rollback()
    after = db.session.scalar(
        select(FormVersion.content_hash).where(FormVersion.form_id == "family_follow_up")
    )
    assert after == before


def test_an_unanswered_version_may_still_be_corrected(app_ctx, forms_published, forms_dir):
    path = forms_dir / "core" / "family_exit" / "v1.yaml"
    path.write_text(path.read_text().replace("Afslutningsdato", "Dato for afslutning"))
    result = app_ctx.test_cli_runner().invoke(args=["forms", "publish", "--dir", str(forms_dir)])
    assert result.exit_code == 0, result.output
    assert "replaced (no answers yet): family_exit v1" in result.output
    again = app_ctx.test_cli_runner().invoke(args=["forms", "publish", "--dir", str(forms_dir)])
    assert "no changes" in again.output


def test_the_content_hash_ignores_spelled_out_defaults(forms_dir):
    before = load_catalogue(forms_dir).latest("family_exit").content_hash
    path = forms_dir / "core" / "family_exit" / "v1.yaml"
    path.write_text(
        path.read_text().replace(
            "        required: true\n", "        required: true\n        identifying: false\n"
        )
    )
    assert load_catalogue(forms_dir).latest("family_exit").content_hash == before


def test_a_version_file_must_match_its_number(forms_dir):
    folder = forms_dir / "core" / "family_exit"
    (folder / "v2.yaml").write_text((folder / "v1.yaml").read_text())
    with pytest.raises(DefinitionError, match="F005"):
        load_catalogue(forms_dir)
