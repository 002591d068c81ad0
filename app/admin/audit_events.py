"""Every kind of event the application records, with its title and its sentence.

This is the list: a test scans the source for every ``record("...")`` and fails on an
event missing here. A sentence has ``%(actor)s`` (who did it), ``%(object)s`` (what it
was done to) and the names of the details it uses; app/admin/audit_sentences.py puts the
values into words.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class EventText:
    """How one kind of event reads: its title and its sentence."""

    title: LazyString
    #: English msgid; ``%(actor)s`` is who did it, ``%(object)s`` what it was done to,
    #: any other placeholder a key of the event's details.
    sentence: LazyString


EVENTS: dict[str, EventText] = {
    "family.searched_by_cpr": EventText(
        _l("Search by CPR number"),
        _l("%(actor)s searched for a family by CPR number (%(found)s found)."),
    ),
    "auth.reset_requested": EventText(
        _l("New password asked for"),
        _l("A new password was asked for %(email)s."),
    ),
    "link.invitation_issued": EventText(
        _l("Invitation link sent"),
        _l("%(actor)s sent %(object)s a link to choose a password, valid until %(expires_at)s."),
    ),
    "link.invitation_used": EventText(
        _l("Invitation link used"),
        _l("%(object)s chose a password through the invitation link."),
    ),
    "link.reset_issued": EventText(
        _l("Password link sent"),
        _l("%(object)s was sent a link to choose a new password, valid until %(expires_at)s."),
    ),
    "link.reset_used": EventText(
        _l("Password link used"),
        _l("%(object)s chose a new password through the link."),
    ),
    "user.digest_opt_in": EventText(
        _l("Daily reminder switched on"),
        _l("%(actor)s switched the daily reminder e-mail on."),
    ),
    "user.digest_opt_out": EventText(
        _l("Daily reminder switched off"),
        _l("%(actor)s switched the daily reminder e-mail off."),
    ),
    "auth.sessions_ended": EventText(
        _l("Signed out everywhere"),
        _l("%(object)s was signed out on every device: %(reason)s."),
    ),
    "auth.two_factor_reset": EventText(
        _l("Two-factor sign-in reset"),
        _l("%(actor)s reset the two-factor sign-in of %(object)s."),
    ),
    "invitation.created": EventText(
        _l("Invitation sent"),
        _l("%(actor)s invited %(email)s as %(role)s, valid until %(expires_at)s."),
    ),
    "invitation.renewed": EventText(
        _l("Invitation renewed"),
        _l(
            "%(actor)s renewed the invitation of %(email)s as %(role)s, valid until %(expires_at)s."
        ),
    ),
    "membership.changed": EventText(
        _l("Access changed"),
        _l("%(actor)s changed the access of %(object)s: %(changes)s."),
    ),
    "audit.exported": EventText(
        _l("Audit log downloaded"),
        _l("%(actor)s downloaded the audit log."),
    ),
    "auth.login": EventText(
        _l("Sign-in"),
        _l("%(actor)s signed in."),
    ),
    "auth.login_failed": EventText(
        _l("Failed sign-in"),
        _l("A sign-in as %(email)s failed: %(reason)s."),
    ),
    "auth.logout": EventText(
        _l("Sign-out"),
        _l("%(actor)s signed out."),
    ),
    "auth.sso_linked": EventText(
        _l("Linked to the municipality's sign-in"),
        _l("%(object)s signed in through the municipality's directory for the first time."),
    ),
    "auth.sso_provisioned": EventText(
        _l("Access through the municipality's sign-in"),
        _l("%(object)s was given access as %(role)s through the municipality's directory."),
    ),
    "auth.sso_refused": EventText(
        _l("Sign-in through the municipality refused"),
        _l("A sign-in through the municipality's directory was refused: %(reason)s."),
    ),
    "auth.password_check_failed": EventText(
        _l("Wrong password when asked again"),
        _l("%(actor)s gave a wrong password (%(where)s)."),
    ),
    "auth.session_expired": EventText(
        _l("Session ended"),
        _l("The session of %(actor)s ended: %(reason)s."),
    ),
    "auth.two_factor_disabled": EventText(
        _l("Two-factor sign-in switched off"),
        _l("Two-factor sign-in was switched off for %(object)s."),
    ),
    "auth.two_factor_enabled": EventText(
        _l("Two-factor sign-in switched on"),
        _l("%(actor)s switched on two-factor sign-in."),
    ),
    "auth.two_factor_failed": EventText(
        _l("Wrong two-factor code"),
        _l("%(actor)s typed a wrong two-factor code."),
    ),
    "backup.created": EventText(
        _l("Backup made"),
        _l("A backup was made."),
    ),
    "backup.restored": EventText(
        _l("Backup restored"),
        _l("A backup was restored."),
    ),
    "department.added": EventText(
        _l("Department added"),
        _l("%(actor)s added the department %(code)s."),
    ),
    "department.changed": EventText(
        _l("Department changed"),
        _l("%(actor)s changed %(object)s."),
    ),
    "export.downloaded": EventText(
        _l("Research package downloaded"),
        _l("%(actor)s downloaded a research package for %(object)s."),
    ),
    "export.package": EventText(
        _l("Research package built"),
        _l("%(actor)s built a research package for %(object)s."),
    ),
    "family.enrolled": EventText(
        _l("Family enrolled"),
        _l("%(actor)s enrolled %(object)s on %(enrolment_date)s (team model: %(team_model)s)."),
    ),
    "families.imported": EventText(
        _l("Families imported"),
        _l(
            "%(actor)s imported %(families)s families with %(adults)s adults and "
            "%(children)s children (%(already_present)s were there already)."
        ),
    ),
    "families.import_checked": EventText(
        _l("Import file checked"),
        _l("%(actor)s uploaded a file of %(rows)s rows to import (%(problems)s problems)."),
    ),
    "families.import_confirmed": EventText(
        _l("Import confirmed"),
        _l("%(actor)s confirmed the import of a file of %(rows)s rows."),
    ),
    "family.enrolment_corrected": EventText(
        _l("Enrolment date corrected"),
        _l("%(actor)s corrected the enrolment date of %(object)s from %(old)s to %(new)s."),
    ),
    "wave.missed_recorded": EventText(
        _l("Wave recorded as not collected"),
        _l("%(actor)s recorded that %(wave)s of %(object)s cannot be collected: %(reason)s."),
    ),
    "wave.missed_undone": EventText(
        _l("Wave expected again"),
        _l("%(actor)s took back that %(wave)s of %(object)s cannot be collected."),
    ),
    "family.reopened": EventText(
        _l("Family reopened"),
        _l("%(actor)s reopened %(object)s after its exit: %(reason)s."),
    ),
    "family.exit_started": EventText(
        _l("Exit started"),
        _l("%(actor)s started the exit of %(object)s, due %(exit_due)s."),
    ),
    "family.viewed": EventText(
        _l("Family read"),
        _l("%(actor)s read %(object)s (%(via)s)."),
    ),
    "forms.imported": EventText(
        _l("Local form published from a file"),
        _l("%(actor)s published version %(version)s of the local form %(form)s from a file."),
    ),
    "forms.published": EventText(
        _l("Forms published"),
        _l("New versions of the forms were published."),
    ),
    "invitation.accepted": EventText(
        _l("Invitation accepted"),
        _l("%(actor)s accepted an invitation as %(role)s."),
    ),
    "invitation.withdrawn": EventText(
        _l("Invitation withdrawn"),
        _l("%(actor)s withdrew the invitation of %(email)s as %(role)s."),
    ),
    "member.added": EventText(
        _l("Member added"),
        _l("%(actor)s added %(object)s as %(role)s from %(start_date)s."),
    ),
    "member.ended": EventText(
        _l("Member's participation ended"),
        _l("%(actor)s ended the participation of %(object)s on %(end_date)s."),
    ),
    "membership.removed": EventText(
        _l("Access removed"),
        _l("%(actor)s removed the access of %(object)s (was %(old_role)s)."),
    ),
    "membership.role_set": EventText(
        _l("Role changed"),
        _l("%(actor)s changed the role of %(object)s from %(old_role)s to %(new_role)s."),
    ),
    "municipality.created": EventText(
        _l("Municipality set up"),
        _l("%(object)s was set up from its file."),
    ),
    "municipality.settings_changed": EventText(
        _l("Settings changed"),
        _l("%(actor)s changed the settings: %(changes)s."),
    ),
    "plan.goal_edited": EventText(
        _l("Goal changed in the joint plan"),
        _l("%(actor)s changed a goal in the joint plan of %(object)s."),
    ),
    "plan.goal_deleted": EventText(
        _l("Goal removed from the joint plan"),
        _l("%(actor)s removed a goal in %(life_area)s from the joint plan of %(object)s."),
    ),
    "plan.goal_added": EventText(
        _l("Goal added to the joint plan"),
        _l("%(actor)s added a goal in %(life_area)s to the joint plan of %(object)s."),
    ),
    "plan.goal_status": EventText(
        _l("Goal status recorded"),
        _l("%(actor)s recorded the status of a goal at %(wave)s: from %(old)s to %(new)s."),
    ),
    "privacy.anonymised": EventText(
        _l("Personal data removed"),
        _l("%(actor)s removed the personal data of %(object)s."),
    ),
    "privacy.erased": EventText(
        _l("Member's data erased"),
        _l("%(actor)s erased the data of %(object)s."),
    ),
    "privacy.reapplied": EventText(
        _l("Erasure applied again"),
        _l("An erasure was applied again to %(object)s after a restore."),
    ),
    "privacy.subject_access": EventText(
        _l("Data about a person handed out"),
        _l("%(actor)s made a copy of the data about %(object)s for the person."),
    ),
    "report.downloaded": EventText(
        _l("Report downloaded"),
        _l("%(actor)s downloaded %(object)s."),
    ),
    "report.rendered": EventText(
        _l("Report made"),
        _l("%(actor)s made %(object)s."),
    ),
    "report.viewed": EventText(
        _l("Report read"),
        _l("%(actor)s read %(object)s."),
    ),
    "study.created": EventText(
        _l("Study created"),
        _l("%(actor)s created the study %(title)s."),
    ),
    "study.grant_revoked": EventText(
        _l("Study's access withdrawn"),
        _l("%(actor)s withdrew the access of %(object)s."),
    ),
    "study.granted": EventText(
        _l("Study given access"),
        _l("%(actor)s gave %(object)s access to data."),
    ),
    "study.researcher_removed": EventText(
        _l("Researcher removed from study"),
        _l("%(actor)s removed %(user_id)s from %(object)s."),
    ),
    "study.researcher_added": EventText(
        _l("Researcher added to study"),
        _l("%(actor)s added %(user_id)s to %(object)s."),
    ),
    "selfreport.link_made": EventText(
        _l("Link for the parent made"),
        _l(
            "%(actor)s made a link for a parent to answer %(instrument)s of %(form)s at "
            "%(wave)s themselves, valid until %(expires_at)s."
        ),
    ),
    "selfreport.answered": EventText(
        _l("The parent answered"),
        _l("A parent answered %(instrument)s of %(form)s at %(wave)s themselves, through a link."),
    ),
    "submission.conflict": EventText(
        _l("Form changed by two people"),
        _l("%(actor)s saved %(form)s at %(wave)s while someone else had changed it."),
    ),
    "submission.saved": EventText(
        _l("Form saved"),
        _l("%(actor)s saved %(form)s at %(wave)s (%(status)s)."),
    ),
    "submission.submitted": EventText(
        _l("Form submitted"),
        _l("%(actor)s submitted %(form)s at %(wave)s."),
    ),
    "submission.viewed": EventText(
        _l("Form read"),
        _l("%(actor)s read %(form)s (%(via)s)."),
    ),
    "team.assigned": EventText(
        _l("Added to a family's team"),
        _l("%(actor)s added %(user_id)s to %(object)s as %(kind)s."),
    ),
    "team.ended": EventText(
        _l("Left a family's team"),
        _l("%(actor)s took %(user_id)s off %(object)s (%(kind)s)."),
    ),
    "tenant.unscoped_access": EventText(
        _l("Work across municipalities"),
        _l("Work across municipalities: %(reason)s."),
    ),
    "token.created": EventText(
        _l("API key made"),
        _l("%(actor)s made an API key valid for %(days)s days."),
    ),
    "token.revoked": EventText(
        _l("API key withdrawn"),
        _l("%(actor)s withdrew an API key."),
    ),
    "user.created": EventText(
        _l("Person created"),
        _l("%(actor)s created %(object)s (%(email)s)."),
    ),
    "user.deactivated": EventText(
        _l("Person deactivated"),
        _l("%(actor)s deactivated %(object)s."),
    ),
    "user.password_set": EventText(
        _l("Password set"),
        _l("A new password was set for %(object)s."),
    ),
    "invitation.declined": EventText(
        _l("Invitation declined"),
        _l("%(actor)s declined an invitation as %(role)s."),
    ),
    "municipality.updated": EventText(
        _l("Municipality updated from its file"),
        _l("%(object)s was updated from its file: %(changes)s."),
    ),
    "wave.reopened": EventText(
        _l("Taken back from research"),
        _l("%(actor)s took %(object)s back from research: it may no longer be exported."),
    ),
    "wave.approved": EventText(
        _l("Approved for research"),
        _l("%(actor)s approved %(object)s for research."),
    ),
}
