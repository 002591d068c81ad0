"""What a study may see, stated once, as SQL criteria.

A study sees a municipality's data only through the municipality's active grant (one not
revoked), and under it only

- families that agreed to research use (a submitted family intake whose
  ``research_consent`` is true), enrolled within the grant's period;
- the grant's forms;
- waves of the grant's kinds that a lead of the municipality has approved;
- free-text answers where the grant allows them.

:func:`study_scope` reads the grants and approvals once; :class:`StudyScope` turns them
into criteria over :class:`~app.families.models.Family`, :class:`~app.families.models.Wave`
and :class:`~app.collection.models.Submission` that the indicators
(:mod:`app.reports.cohort`), the reports and the research package (:mod:`app.research.rows`)
put in their statements. A change to what a study may see is made here, in one language,
and reaches all three: a second copy of a rule in a view or a generator is how data leaks
without anyone noticing.

The criteria do not cross the tenant boundary: the caller has (``unscoped``), and the
session's tenant rules still apply to every statement they go into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from app.collection.models import Submission
from app.collection.typed import AnswerValue
from app.core.db import db
from app.families.models import Family, Wave
from app.research.models import Grant, WaveApproval

#: The answer that records a family's research consent, and the form that asks it.
CONSENT_FORM = "family_intake"
CONSENT_ANSWER = "research_consent"


def active_grants(study_id: int | None = None) -> Select[tuple[Grant]]:
    """Grants in force (of one study, or of every study): revoking one ends what it allows."""
    statement = select(Grant).where(Grant.revoked_at.is_(None))
    if study_id is not None:
        statement = statement.where(Grant.study_id == study_id)
    return statement


def consenting_families() -> Select[tuple[int]]:
    """Ids of the families whose submitted intake says they agreed to research use.

    Read from the answer's typed copy (app.collection.typed), by the index on its name:
    no statement that reads a cohort parses the answers' JSON."""
    return (
        select(Submission.family_id)
        .join(
            AnswerValue,
            and_(
                AnswerValue.municipality_id == Submission.municipality_id,
                AnswerValue.submission_id == Submission.id,
            ),
        )
        .where(
            Submission.form_id == CONSENT_FORM,
            Submission.status == "submitted",
            AnswerValue.name == CONSENT_ANSWER,
            AnswerValue.flag == true(),
        )
    )


@dataclass(frozen=True)
class GrantScope:
    """What one municipality's active grant lets the study see.

    The names are those of :class:`~app.research.models.Grant`, plus the waves its
    leads have approved.
    """

    municipality_id: int
    #: Families enrolled in this period (inclusive); None is open-ended.
    period_from: date | None
    period_to: date | None
    #: Form ids the study may receive.
    forms: tuple[str, ...]
    #: Wave kinds: intake, follow_up, exit.
    waves: tuple[str, ...]
    #: Keys of the waves a lead has approved ("intake", "follow_up_6", …).
    approved_waves: tuple[str, ...]
    #: Whether free-text answers may leave.
    free_text: bool

    def enrolled(self) -> ColumnElement[bool]:
        return and_(
            Family.municipality_id == self.municipality_id,
            Family.enrolment_date >= self.period_from if self.period_from else true(),
            Family.enrolment_date <= self.period_to if self.period_to else true(),
        )


@dataclass(frozen=True)
class StudyScope:
    """A study's active grants, as criteria for the statements that read its data.

    Each criterion is false for a municipality without a grant, so a scope without
    grants selects nothing.
    """

    study_id: int
    #: municipality id -> what its grant lets the study see
    grants: Mapping[int, GrantScope]

    @property
    def municipality_ids(self) -> tuple[int, ...]:
        return tuple(sorted(self.grants))

    def only(self, municipality_ids: Iterable[int]) -> StudyScope:
        """The same scope narrowed to some of its municipalities."""
        wanted = set(municipality_ids)
        return replace(self, grants={m: g for m, g in self.grants.items() if m in wanted})

    def families(self) -> ColumnElement[bool]:
        """Over :class:`Family`: consenting, and enrolled in its municipality's grant period."""
        return and_(
            Family.id.in_(consenting_families()),
            or_(false(), *(grant.enrolled() for grant in self.grants.values())),
        )

    def waves(self) -> ColumnElement[bool]:
        """Over :class:`Wave`: of a granted kind, and approved."""
        return or_(
            false(),
            *(
                and_(
                    Wave.municipality_id == municipality_id,
                    Wave.kind.in_(grant.waves),
                    Wave.key.in_(grant.approved_waves),
                )
                for municipality_id, grant in self.grants.items()
            ),
        )

    def approved_waves(self) -> ColumnElement[bool]:
        """Over :class:`Wave`: approved, whatever its kind (a goal's status at a wave)."""
        return or_(
            false(),
            *(
                and_(
                    Wave.municipality_id == municipality_id,
                    Wave.key.in_(grant.approved_waves),
                )
                for municipality_id, grant in self.grants.items()
            ),
        )

    def forms(self) -> ColumnElement[bool]:
        """Over :class:`Submission`: answers to a granted form."""
        return or_(
            false(),
            *(
                and_(
                    Submission.municipality_id == municipality_id,
                    Submission.form_id.in_(grant.forms),
                )
                for municipality_id, grant in self.grants.items()
            ),
        )

    def free_text(self) -> ColumnElement[bool]:
        """Over :class:`Family`: its municipality's grant lets free text leave."""
        allowed = [m for m, grant in self.grants.items() if grant.free_text]
        return Family.municipality_id.in_(allowed) if allowed else false()


def study_scope(study_id: int) -> StudyScope:
    """The study's active grants and their approved waves (the caller has crossed the
    tenant boundary, or sees only its own municipality's)."""
    grants = list(db.session.scalars(active_grants(study_id).order_by(Grant.municipality_id)))
    approved: dict[int, list[str]] = {grant.municipality_id: [] for grant in grants}
    for municipality_id, wave_key in db.session.execute(
        select(WaveApproval.municipality_id, WaveApproval.wave_key)
        .where(WaveApproval.approved, WaveApproval.municipality_id.in_(approved))
        .order_by(WaveApproval.wave_key)
    ):
        approved[municipality_id].append(wave_key)
    return StudyScope(
        study_id,
        {
            grant.municipality_id: GrantScope(
                municipality_id=grant.municipality_id,
                period_from=grant.period_from,
                period_to=grant.period_to,
                forms=tuple(grant.forms),
                waves=tuple(grant.waves),
                approved_waves=tuple(approved[grant.municipality_id]),
                free_text=grant.free_text,
            )
            for grant in grants
        },
    )
