"""Writes to municipalities: syncing the configuration files into the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.core.db import db
from app.tenancy.config_files import MunicipalityConfig
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope
from app.tenancy.settings_spec import tables as spec_tables

#: Municipality columns that the configuration file owns.
_FIELDS = ("code", "name_da", "name_en", "programme_name", "team_model", "settings")


@dataclass
class SyncChange:
    slug: str
    created: bool = False
    #: field -> (old, new)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)

    def describe(self) -> list[str]:
        if self.created:
            return [f"{self.slug}: created"]
        return [
            f"{self.slug}: {name}: {old!r} -> {new!r}" for name, (old, new) in self.changes.items()
        ]


def sync_municipalities(configs: list[MunicipalityConfig]) -> list[SyncChange]:
    """Upsert every municipality from its checked configuration; return what changed.

    Idempotent: a second run with the same files changes nothing and reports nothing.
    Departments no longer in a file are closed, not deleted, since rows may refer to them.
    The caller commits (or rolls back) the whole sync as one transaction.
    """
    results: list[SyncChange] = []
    for config in configs:
        municipality = db.session.scalar(select(Municipality).filter_by(slug=config.slug))
        result = SyncChange(config.slug)
        if municipality is None:
            municipality = Municipality(slug=config.slug)
            db.session.add(municipality)
            result.created = True
        for name in _FIELDS:
            new = getattr(config, name)
            old = getattr(municipality, name, None)
            if old != new:
                if not result.created:
                    result.changes[name] = (old, new)
                setattr(municipality, name, new)
        db.session.flush()
        with tenant_scope(municipality):
            result.changes.update(_sync_departments(municipality, config))
            if result.changed:
                record(
                    "municipality.created" if result.created else "municipality.updated",
                    municipality_id=municipality.id,
                    object_type="municipality",
                    object_id=municipality.id,
                    details={
                        "source": config.source,
                        "changes": {
                            k: [_plain(o), _plain(n)] for k, (o, n) in result.changes.items()
                        },
                    },
                )
                db.session.flush()
        results.append(result)
    return results


def _sync_departments(
    municipality: Municipality, config: MunicipalityConfig
) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    existing = {d.code: d for d in db.session.scalars(select(Department))}
    wanted = {d.code: d for d in config.departments}
    for code, wanted_department in wanted.items():
        department = existing.get(code)
        if department is None:
            db.session.add(
                Department(
                    municipality_id=municipality.id,
                    code=code,
                    name_da=wanted_department.name_da,
                    name_en=wanted_department.name_en,
                )
            )
            changes[f"department {code}"] = (None, "added")
            continue
        for attr in ("name_da", "name_en"):
            new = getattr(wanted_department, attr)
            if getattr(department, attr) != new:
                changes[f"department {code}.{attr}"] = (getattr(department, attr), new)
                setattr(department, attr, new)
        if not department.active:
            department.active = True
            changes[f"department {code}"] = ("closed", "reopened")
    for code, department in existing.items():
        if code not in wanted and department.active:
            department.active = False
            changes[f"department {code}"] = ("active", "closed")
    db.session.flush()
    return changes


def _plain(value: Any) -> Any:
    return (
        value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)
    )


def _target_item(target: dict[str, Any]) -> dict[str, Any]:
    """A stored target as its ``[[targets]]`` table: the comparison is the key."""
    item: dict[str, Any] = {"indicator": target["indicator"], target["comparison"]: target["value"]}
    if target.get("by"):
        item["by"] = date.fromisoformat(target["by"])
    return item


def export_municipality(municipality: Municipality) -> dict[str, Any]:
    """Today's settings as the mapping a ``municipalities/<slug>.toml`` file holds.

    After a sync the database is the source of truth (admins change settings in the pages);
    this writes it back so the file in the repository can follow.
    """
    settings = municipality.settings
    with tenant_scope(municipality):
        departments = db.session.scalars(
            select(Department).where(Department.active).order_by(Department.id)
        ).all()
    data: dict[str, Any] = {
        "code": municipality.code,
        "slug": municipality.slug,
        "name_da": municipality.name_da,
        "name_en": municipality.name_en,
        "programme": municipality.programme_name,
        "team_model": municipality.team_model,
    }
    # Every table and key of the spec, so a sync of the file changes nothing.
    data.update(spec_tables(settings))
    if settings.get("local_forms"):
        data["forms"] = {"local": list(settings["local_forms"])}
    if settings.get("sso"):
        data["sso"] = dict(settings["sso"])
    if settings.get("targets"):
        data["targets"] = [_target_item(t) for t in settings["targets"]]
    if settings.get("plan_phases"):
        data["plan_phases"] = [
            {"focus_da": p["da"], "focus_en": p["en"]} for p in settings["plan_phases"]
        ]
    if settings.get("accessibility"):
        data["accessibility"] = dict(settings["accessibility"])
    data["departments"] = [
        {"code": d.code, "name_da": d.name_da, "name_en": d.name_en} for d in departments
    ]
    return data
