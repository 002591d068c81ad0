"""API v1 through the test client: tokens, problems, all-or-nothing, locking, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.api.models import ApiToken
from app.api.tokens import create_token, revoke
from app.collection.models import Submission
from app.core.db import db, utcnow
from app.families.models import Family
from app.tenancy.scoping import tenant_scope, unscoped


@pytest.fixture
def token_for(app_ctx, municipalities):
    def make(user, slug: str, days: int = 30) -> str:
        municipality = municipalities[slug]
        with tenant_scope(municipality, user.id):
            _, plain = create_token(user, municipality, "test", days)
            db.session.commit()
        return plain

    return make


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def count(model) -> int:
    db.session.rollback()
    with unscoped("test: count"):
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_cli_prints_a_token_once_and_stores_only_its_hash(app_ctx, municipalities, make_user):
    user = make_user(municipalities["vejle"], "staff", email="api@vejle.example")
    result = app_ctx.test_cli_runner().invoke(
        args=[
            "tokens",
            "create",
            "--user",
            "api@vejle.example",
            "--municipality",
            "vejle",
            "--expires-days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    plain = result.output.strip()
    assert plain.startswith("hlh_") and len(plain) > 40
    with db.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash, prefix FROM api_token")).one()
    assert plain not in stored.token_hash and plain.startswith(stored.prefix)
    response = app_ctx.test_client().get("/api/v1/vejle/settings", headers=bearer(plain))
    assert response.status_code == 200 and response.json["code"] == "0630"
    assert user.email == "api@vejle.example"


def test_missing_expired_revoked_and_foreign_tokens_answer_401(
    app_ctx, client, municipalities, make_user, token_for
):
    user = make_user(municipalities["vejle"], "staff")
    good = token_for(user, "vejle")
    assert client.get("/api/v1/vejle/settings").status_code == 401
    assert client.get("/api/v1/vejle/settings", headers=bearer("hlh_nonsense")).status_code == 401
    expired = token_for(user, "vejle")
    with tenant_scope(municipalities["vejle"]):
        row = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/vejle/settings", headers=bearer(expired))
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with tenant_scope(municipalities["vejle"]):
        revoke(db.session.scalars(select(ApiToken).order_by(ApiToken.id)).first())
        db.session.commit()
    assert client.get("/api/v1/vejle/settings", headers=bearer(good)).status_code == 401
    # A token is valid only in its own municipality.
    other = token_for(make_user(municipalities["brondby"], "staff"), "brondby")
    assert client.get("/api/v1/vejle/settings", headers=bearer(other)).status_code == 401


def test_another_municipalitys_family_answers_404(
    client, municipalities, make_user, make_family, token_for
):
    brondby_lead = make_user(municipalities["brondby"], "lead")
    vejle_family = make_family("vejle")
    token = token_for(brondby_lead, "brondby")
    for path in (
        f"/families/{vejle_family.id}",
        f"/families/{vejle_family.id}/members",
        f"/families/{vejle_family.id}/waves",
        f"/families/{vejle_family.id}/plan",
    ):
        response = client.get(f"/api/v1/brondby{path}", headers=bearer(token))
        assert response.status_code == 404, path
        assert "Familien" not in response.get_data(as_text=True)


def test_invalid_payloads_name_each_field_and_store_nothing(
    client, municipalities, make_user, make_family, forms_published, token_for
):
    lead = make_user(municipalities["vejle"], "lead")
    token = token_for(lead, "vejle")
    families_before = count(Family)
    response = client.post(
        "/api/v1/vejle/families", headers=bearer(token), json={"label": "", "colour": "red"}
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert {e["field"] for e in response.json["errors"]} == {"enrolment_date", "colour"}
    bad_date = client.post(
        "/api/v1/vejle/families",
        headers=bearer(token),
        json={"label": "X", "enrolment_date": "2026-13-45"},
    )
    assert [e["field"] for e in bad_date.json["errors"]] == ["enrolment_date"]
    assert (
        client.post(
            "/api/v1/vejle/families",
            headers=bearer(token),
            data="not json",
            content_type="application/json",
        ).status_code
        == 400
    )
    assert count(Family) == families_before

    family = make_family("vejle", adults=1, children=0)
    waves = client.get(f"/api/v1/vejle/families/{family.id}/waves", headers=bearer(token)).json
    members = client.get(f"/api/v1/vejle/families/{family.id}/members", headers=bearer(token)).json
    submissions_before = count(Submission)
    response = client.post(
        f"/api/v1/vejle/families/{family.id}/waves/{waves[0]['id']}/submissions",
        headers=bearer(token),
        json={
            "form_id": "adult_intake",
            "member_id": members[0]["id"],
            "status": "submitted",
            "answers": {"birth_year": 1850, "sex": "dragon", "who5_1": 9},
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert {"answers.birth_year", "answers.sex", "answers.who5_1"} <= fields
    assert count(Submission) == submissions_before


def test_stale_and_missing_if_match_change_nothing(
    client, municipalities, make_user, make_family, token_for
):
    lead = make_user(municipalities["rodovre"], "lead")
    token = token_for(lead, "rodovre")
    family = make_family("rodovre", adults=0, children=0)
    url = f"/api/v1/rodovre/families/{family.id}"
    read = client.get(url, headers=bearer(token))
    etag = read.headers["ETag"]
    missing = client.patch(url, headers=bearer(token), json={"enrolment_date": "2026-02-01"})
    assert missing.status_code == 428
    moved = client.patch(
        url, headers=bearer(token, **{"If-Match": etag}), json={"enrolment_date": "2026-02-01"}
    )
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    stale = client.patch(
        url, headers=bearer(token, **{"If-Match": etag}), json={"enrolment_date": "2026-03-01"}
    )
    assert stale.status_code == 412
    assert client.get(url, headers=bearer(token)).json["enrolment_date"] == "2026-02-01"


def test_an_external_token_sees_what_the_external_contact_sees(
    client, municipalities, make_user, make_family, token_for
):
    external = make_user(municipalities["jammerbugt"], "external")
    own = make_family("jammerbugt", label="Familien Egen", contact=external)
    other = make_family("jammerbugt", label="Familien Anden")
    token = token_for(external, "jammerbugt")
    listing = client.get("/api/v1/jammerbugt/families", headers=bearer(token)).json
    assert [f["label"] for f in listing["items"]] == ["Familien Egen"]
    assert (
        client.get(f"/api/v1/jammerbugt/families/{own.id}/plan", headers=bearer(token)).status_code
        == 200
    )
    for path in (
        f"/families/{own.id}",
        f"/families/{own.id}/members",
        f"/families/{own.id}/waves",
        f"/families/{other.id}/plan",
    ):
        assert client.get(f"/api/v1/jammerbugt{path}", headers=bearer(token)).status_code == 403
    assert (
        client.post(
            "/api/v1/jammerbugt/families",
            headers=bearer(token),
            json={"label": "X", "enrolment_date": "2026-01-01"},
        ).status_code
        == 403
    )


def test_every_api_route_answers_404_for_another_municipalitys_ids(
    app_ctx, client, world, token_for
):
    """The page loop's twin: every API operation, with a Brøndby token, on Vejle's ids."""
    from tests.support.routes import ID_PROVIDERS

    _, vejle, users, secret = world
    token = token_for(users["admin"], "brondby")
    rules = [r for r in app_ctx.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(rules) >= 13
    checked = 0
    for rule in rules:
        arguments = rule.arguments - {"slug"}
        if not arguments:
            continue
        values = {"slug": "brondby"}
        for argument in arguments:
            if argument in ("form_id", "version"):
                continue
            values[argument] = ID_PROVIDERS[argument](vejle)
        if "form_id" in arguments:
            # Form metadata is shared, not tenant data; a local form of another municipality
            # is what must stay hidden.
            values["form_id"], values["version"] = "jammerbugt.bip", 1
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app_ctx.test_request_context():
                url = app_ctx.url_map.bind("localhost").build(rule.endpoint, values, method=method)
            response = client.open(
                url, method=method, headers=bearer(token, **{"If-Match": '"1"'}), json={}
            )
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"
            assert secret.email not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 11


def test_a_token_records_its_last_use_at_most_once_a_minute(
    app_ctx, client, municipalities, make_user, token_for
):
    # Each write of last_used_at holds SQLite's write lock to the end of the request.
    token = token_for(make_user(municipalities["vejle"], "staff"), "vejle")

    def last_used():
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT last_used_at FROM api_token")).scalar()

    def enrol(label):
        body = {"label": label, "enrolment_date": "2026-01-05"}
        response = client.post("/api/v1/vejle/families", json=body, headers=bearer(token))
        assert response.status_code == 201, response.json

    enrol("Familien Brug 1")
    first = last_used()
    assert first is not None
    enrol("Familien Brug 2")
    assert last_used() == first
    with tenant_scope(municipalities["vejle"]):
        row = db.session.scalars(select(ApiToken)).one()
        row.last_used_at = utcnow() - timedelta(minutes=2)
        db.session.commit()
    enrol("Familien Brug 3")
    assert last_used() != first
