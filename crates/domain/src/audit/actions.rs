//! Every audit action code the application writes, each with plain words for the person the event
//! is about ("viewed your crisis plan"), so a person's access history never shows a code.
//!
//! A new action is added here with its words, or the tests fail: `every_policy_action_has_words`
//! below covers the codes built by [`crate::policy::Action::code`], and the app crate's
//! `tests/action_words.rs` checks every action code written in the app's source.

/// (code, words): the words complete "Who … ", in the past tense, addressed to the person.
pub const ACTIONS: &[(&str, &str)] = &[
    // Looking at a person's record (Action::ViewPerson, one per category) and the crisis plan.
    (
        "person.view.identity",
        "viewed your name and contact details",
    ),
    (
        "person.view.crisis_plan_summary",
        "viewed the parts of your crisis plan shared with responders",
    ),
    (
        "person.view.crisis_plan_clinical",
        "viewed the clinical parts of your crisis plan",
    ),
    (
        "person.view.crisis_plan_care_team",
        "viewed the care team's parts of your crisis plan",
    ),
    (
        "person.view.incident_history",
        "viewed your crisis contact history",
    ),
    (
        "person.view.detention_record",
        "viewed a record of your detention under the Mental Health Act",
    ),
    ("person.view.plan", "viewed your crisis plan"),
    (
        "person.view.identity_editor",
        "opened your name, date of birth, NHS number and postcode to change them",
    ),
    (
        "person.view.identity_conflict",
        "was shown your current name and details because someone else changed them first",
    ),
    (
        "person.view.plan_editor",
        "opened your crisis plan to change it",
    ),
    (
        "person.view.plan_conflict",
        "saw your current crisis plan after their changes were refused",
    ),
    (
        "person.view.plan_history",
        "viewed the earlier versions of your crisis plan",
    ),
    (
        "person.view.plan_version",
        "viewed an earlier version of your crisis plan",
    ),
    (
        "person.view.identity.board",
        "saw your name on the detentions board",
    ),
    (
        "person.view.identity.episode",
        "saw your name on a detention record",
    ),
    (
        "person.view.identity.support_list",
        "saw your name on the list of people offered support after repeated crises",
    ),
    (
        "person.view.identity.audit",
        "saw your name in the audit log, checking who has seen your record",
    ),
    ("person.search", "searched for people"),
    ("person.search_result", "found you in a search"),
    ("person.create", "created your record"),
    // Your care team (Action::ManageCareTeam).
    (
        "care_team.manage",
        "tried to look at or change your care team",
    ),
    (
        "care_team.view",
        "looked at who is and was in your care team",
    ),
    ("care_team.add", "added a clinician to your care team"),
    (
        "care_team.end",
        "ended a clinician's place in your care team",
    ),
    ("person.edit", "changed your record"),
    (
        "person.edit.plan",
        "saved a new version of your crisis plan",
    ),
    (
        "person.edit.consent",
        "recorded your decision about sharing your crisis plan",
    ),
    (
        "person.export.fhir",
        "exported your crisis plan to another system",
    ),
    (
        "person.choose.contact",
        "linked your record to a crisis contact",
    ),
    (
        "person.choose.contacts",
        "listed the crisis contacts with you",
    ),
    (
        "person.choose.episode",
        "linked your record to a detention record",
    ),
    // Crisis operations.
    ("contact.record", "recorded a crisis contact"),
    ("contact.create", "recorded a crisis contact"),
    ("contact.update", "changed a crisis contact record"),
    ("contact.view", "viewed a crisis contact record"),
    (
        "contact.join",
        "joined the response to a crisis contact with you",
    ),
    (
        "contact.history",
        "viewed the crisis contacts with you on your page",
    ),
    (
        "person.view.identity.contacts",
        "saw your name in a list of crisis contacts",
    ),
    (
        "person.view.identity.chooser",
        "saw your name when choosing who a record is about",
    ),
    (
        "contact.list",
        "saw a crisis contact with you in a list of contacts",
    ),
    (
        "detention.record",
        "recorded a detention under the Mental Health Act",
    ),
    (
        "episode.create",
        "recorded a detention under the Mental Health Act",
    ),
    (
        "episode.update",
        "recorded a step of a detention under the Mental Health Act",
    ),
    (
        "episode.view",
        "viewed a record of your detention under the Mental Health Act",
    ),
    ("episode.board", "saw a detention on the detentions board"),
    ("places.view", "viewed the places of safety"),
    ("returns.page", "opened the returns page"),
    (
        "returns.export",
        "downloaded the detention returns, which name nobody",
    ),
    (
        "returns.export.home_office",
        "downloaded the Home Office return, which names nobody",
    ),
    (
        "returns.export.outcomes",
        "downloaded the outcomes table, which names nobody",
    ),
    (
        "repeat_contact.view",
        "looked at the list of people offered support after repeated crises",
    ),
    (
        "plan.review_list",
        "looked at the list of crisis plans due for review",
    ),
    ("aggregate.view", "looked at figures that name nobody"),
    // The privacy officer's work.
    ("audit.view", "looked at the audit log"),
    (
        "audit.search",
        "checked who has seen your record (privacy officer)",
    ),
    (
        "audit.view_break_glass_queue",
        "looked at the emergency accesses waiting for review",
    ),
    (
        "audit.review_break_glass",
        "reviewed an emergency access to a record",
    ),
    // Staff accounts and organisations.
    ("user.sign_in", "signed in"),
    ("user.sign_in.oidc", "signed in through single sign-on"),
    ("user.sign_out", "signed out"),
    (
        "user.mfa_verify",
        "checked a multi-factor authentication code",
    ),
    ("user.mfa_enrol", "set up multi-factor authentication"),
    (
        "user.mfa_reset",
        "reset a user's multi-factor authentication",
    ),
    (
        "user.locked",
        "locked an account after repeated failed sign-ins",
    ),
    ("user.sso_link", "linked a single sign-on identity"),
    ("user.sso_unlink", "unlinked a single sign-on identity"),
    ("user.manage", "managed staff accounts"),
    ("user.create", "created a staff account"),
    ("user.view", "viewed a staff account"),
    ("user.list", "listed staff accounts"),
    ("user.disable", "disabled a staff account"),
    ("user.enable", "re-enabled a staff account"),
    ("user.sessions_revoke", "signed a user out everywhere"),
    ("membership.create", "gave a user a role"),
    ("invitation.create", "invited someone to join"),
    ("invitation.cancel", "cancelled an invitation"),
    ("invitation.accept", "accepted an invitation"),
    ("invitation.list", "listed invitations"),
    ("invitation.purge", "removed expired invitations"),
    ("organisation.manage", "managed organisations"),
    ("organisation.create", "added an organisation"),
    ("organisation.update", "changed an organisation's details"),
    ("organisation.view", "viewed organisations"),
    (
        "organisation.view_contacts",
        "viewed partner organisations' contacts",
    ),
    ("organisation.deactivate", "deactivated an organisation"),
    ("organisation.reactivate", "reactivated an organisation"),
    ("agreement.create", "added a data sharing agreement"),
    (
        "agreement.record",
        "recorded an agreed data sharing agreement",
    ),
    ("agreement.manage", "drafted a data sharing agreement"),
    ("agreement.draft", "drafted a data sharing agreement"),
    ("agreement.sign", "signed a data sharing agreement"),
    (
        "agreement.agreed",
        "brought a data sharing agreement into force",
    ),
    (
        "agreement.withdraw",
        "withdrew a draft data sharing agreement",
    ),
    ("agreement.end", "ended a data sharing agreement"),
    // The alliance: its members' profiles, decided field by field.
    ("alliance.view", "viewed the alliance"),
    ("alliance.manage", "managed the alliance's members"),
    ("alliance.member.create", "added a member to the alliance"),
    (
        "alliance.member.invite",
        "invited someone to join the alliance",
    ),
    (
        "alliance.member.list",
        "saw your alliance profile in the list of members",
    ),
    ("alliance.member.view", "viewed your alliance profile"),
    ("alliance.profile.view", "viewed their own alliance profile"),
    (
        "alliance.profile.edit",
        "changed their own alliance profile",
    ),
    ("demo.load", "loaded the demo region"),
];

/// The plain words for an action code, if it has any (every code the app writes has).
pub fn words(code: &str) -> Option<&'static str> {
    ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, w)| *w)
}

/// The words for an action code, or a generic phrase for a code from an older version (never the
/// code itself).
pub fn words_or_generic(code: &str) -> &'static str {
    words(code).unwrap_or("used your record")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataCategory;
    use crate::policy::Action;

    #[test]
    fn every_policy_action_has_words() {
        let mut actions = vec![
            Action::SearchPeople,
            Action::CreatePerson,
            Action::EditPerson,
            Action::ViewAudit,
            Action::ReviewBreakGlass,
            Action::ManageUsers,
            Action::ManageOrganisations,
            Action::ViewAggregates,
            Action::ViewRepeatContactList,
            Action::RecordContact,
            Action::RecordDetention,
            Action::ExportReturns,
            Action::ViewOrganisationContacts,
            Action::JoinContact,
            Action::ManageAgreements,
            Action::SignAgreement,
            Action::ViewAlliance,
            Action::ManageAlliance,
            Action::ManageCareTeam,
        ];
        actions.extend(DataCategory::ALL.iter().map(|c| Action::ViewPerson(*c)));
        for a in actions {
            // The match makes a new variant fail to compile until it is listed above.
            match a {
                Action::ViewPerson(_)
                | Action::SearchPeople
                | Action::CreatePerson
                | Action::EditPerson
                | Action::ViewAudit
                | Action::ReviewBreakGlass
                | Action::ManageUsers
                | Action::ManageOrganisations
                | Action::ViewAggregates
                | Action::ViewRepeatContactList
                | Action::RecordContact
                | Action::RecordDetention
                | Action::ExportReturns
                | Action::ViewOrganisationContacts
                | Action::JoinContact
                | Action::ManageAgreements
                | Action::SignAgreement
                | Action::ViewAlliance
                | Action::ManageAlliance
                | Action::ManageCareTeam => {}
            }
            assert!(
                words(&a.code()).is_some(),
                "{} has no plain words",
                a.code()
            );
        }
    }

    #[test]
    fn codes_are_listed_once_and_words_are_plain() {
        for (i, (code, w)) in ACTIONS.iter().enumerate() {
            assert!(
                !ACTIONS[..i].iter().any(|(c, _)| c == code),
                "{code} is listed twice"
            );
            assert!(
                !w.is_empty() && !w.contains('.') && !w.contains('_'),
                "{code}: {w}"
            );
        }
        assert_eq!(words_or_generic("no.such.code"), "used your record");
    }
}
