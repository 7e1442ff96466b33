//! The alliance: its members, organisations of every size and individuals (experts by experience
//! among them), and the profile each chose to show.
//!
//! Every call is decided by the policy (`ViewAlliance`, `ManageAlliance`); each field of a profile by
//! `concordat_domain::alliance::field_visible`, from the member's own choice. Every list naming an
//! individual and every profile read is audited in the same transaction as the read (one event per
//! member named, resource `alliance_member`); denials are audited in their own transaction.
//! Individuals join through the same single-use invitation links as staff (purpose `alliance`).

use crate::auth::hash_token;
use crate::members::{CreatedInvitation, Notice, random_secret};
use crate::{App, AppError, FieldError, Subject, audit_draft, audit_refusal, decide_org_wide};
use chrono::Utc;
use concordat_domain::Role;
use concordat_domain::alliance::{
    MemberKind, OrgSize, Viewer, Visibility, field_visible, parse_org_identifier, viewer_of,
};
use concordat_domain::policy::{Action, Actor, Decision};
use concordat_store::{AllianceMemberRow, NewAllianceMember, NewInvitation, ProfileFields};

/// The purpose of an invitation to join the alliance as an individual.
pub const PURPOSE_ALLIANCE: &str = "alliance";
/// At most this many characters in a profile's longer texts.
pub const MAX_PROFILE_TEXT: usize = 2000;

/// A member as a list shows them: nothing any member chose to keep to themselves.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberSummary {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    /// For organisations.
    pub org_identifier: Option<String>,
    pub org_size: Option<&'static str>,
    pub org_size_label: Option<&'static str>,
    /// The member joined the alliance as an expert by experience (their role in it; their own lived
    /// experience is a profile field of its own).
    pub expert_by_experience: bool,
    pub joined_on: String,
}

/// A member's profile as one viewer may see it: a field the viewer may not see is `None`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberProfile {
    #[serde(flatten)]
    pub summary: MemberSummary,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub offers: Option<String>,
    pub communities: Option<String>,
    pub lived_experience: Option<String>,
    /// The viewer is the member (their own profile: every field, and who may see each).
    pub is_self: bool,
    /// The member's choices, shown to the member only.
    pub visibility: Option<ProfileVisibility>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileVisibility {
    pub contact: &'static str,
    pub about: &'static str,
    pub lived_experience: &'static str,
}

/// What a coordinator enters to add a member organisation.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MemberOrgInput {
    #[serde(default)]
    pub name: String,
    /// GB-CHC-…, GB-COH-…, GB-LAE-… or LOCAL-….
    #[serde(default)]
    pub org_identifier: String,
    /// An `OrgSize` code.
    #[serde(default)]
    pub org_size: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub offers: String,
    #[serde(default)]
    pub communities: String,
    /// `YYYY-MM-DD`; empty for today.
    #[serde(default)]
    pub joined_on: String,
    /// A `Visibility` code for the contact person; empty for coordinators only.
    #[serde(default)]
    pub contact_visibility: String,
}

/// What a coordinator enters to invite an individual.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MemberInviteInput {
    #[serde(default)]
    pub display_name: String,
    /// `expert_by_experience` or `alliance_member`.
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub days: String,
}

/// What a member changes on their own profile.
#[derive(Clone, Default, serde::Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub offers: String,
    #[serde(default)]
    pub communities: String,
    #[serde(default)]
    pub lived_experience: String,
    #[serde(default)]
    pub contact_visibility: String,
    #[serde(default)]
    pub about_visibility: String,
    #[serde(default)]
    pub lived_experience_visibility: String,
}

impl std::fmt::Debug for ProfileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfileInput(***)")
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn text(errs: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> Option<String> {
    if let Some(e) = crate::limits::too_long(field, value, max) {
        errs.push(e);
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errs.push(FieldError::new(field, "remove the control characters"));
    }
    opt(value).map(|v| concordat_domain::text::nfc(&v))
}

fn email(errs: &mut Vec<FieldError>, field: &str, value: &str) -> Option<String> {
    let e = opt(value)?;
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(char::is_whitespace);
    if !ok {
        errs.push(FieldError::new(
            field,
            "enter an email address like name@example.org",
        ));
    }
    Some(e)
}

fn phone(errs: &mut Vec<FieldError>, field: &str, value: &str) -> Option<String> {
    let p = opt(value)?;
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let ok = (10..=15).contains(&digits)
        && p.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'));
    if !ok {
        errs.push(FieldError::new(
            field,
            "enter a phone number of 10 to 15 digits, like 0113 496 0000",
        ));
    }
    Some(p)
}

fn visibility(
    errs: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    default: Visibility,
) -> Visibility {
    match opt(value) {
        None => default,
        Some(v) => Visibility::from_code(&v).unwrap_or_else(|| {
            errs.push(FieldError::new(
                field,
                "choose who may see this: only_me, coordinators or alliance",
            ));
            default
        }),
    }
}

fn subject(id: Option<i64>) -> Subject {
    Subject {
        resource_kind: "alliance_member",
        resource_id: id.map(|i| i.to_string()),
        person_id: None,
    }
}

fn summary(m: &AllianceMemberRow) -> MemberSummary {
    MemberSummary {
        id: m.id,
        kind: m.kind.code(),
        name: m.name.clone(),
        org_identifier: m.org_identifier.clone(),
        org_size: m.org_size.map(OrgSize::code),
        org_size_label: m.org_size.map(OrgSize::label),
        expert_by_experience: m.expert_by_experience,
        joined_on: m.joined_on.clone(),
    }
}

/// The profile `viewer` may see, and the names of the fields shown (for the audit event).
fn decide_profile(m: &AllianceMemberRow, viewer: Viewer) -> (MemberProfile, Vec<&'static str>) {
    let mut shown = Vec::new();
    let mut pick = |name: &'static str, vis: Visibility, v: &Option<String>| {
        if v.is_some() && field_visible(viewer, vis) {
            shown.push(name);
            v.clone()
        } else {
            None
        }
    };
    let contact_name = pick("contact_name", m.contact_visibility, &m.contact_name);
    let contact_email = pick("contact_email", m.contact_visibility, &m.contact_email);
    let contact_phone = pick("contact_phone", m.contact_visibility, &m.contact_phone);
    let offers = pick("offers", m.about_visibility, &m.offers);
    let communities = pick("communities", m.about_visibility, &m.communities);
    let lived_experience = pick(
        "lived_experience",
        m.lived_experience_visibility,
        &m.lived_experience,
    );
    let is_self = viewer == Viewer::TheMember;
    (
        MemberProfile {
            summary: summary(m),
            contact_name,
            contact_email,
            contact_phone,
            offers,
            communities,
            lived_experience,
            is_self,
            visibility: is_self.then(|| ProfileVisibility {
                contact: m.contact_visibility.code(),
                about: m.about_visibility.code(),
                lived_experience: m.lived_experience_visibility.code(),
            }),
        },
        shown,
    )
}

fn viewer(actor: &Actor, m: &AllianceMemberRow) -> Viewer {
    match actor {
        Actor::System { .. } => Viewer::Coordinator,
        Actor::User(u) => viewer_of(u.role, m.user_id == Some(u.user_id)),
    }
}

impl App {
    async fn require_alliance(
        &self,
        actor: &Actor,
        action: Action,
        audit_action: &str,
        id: Option<i64>,
    ) -> Result<Decision, AppError> {
        let d = decide_org_wide(actor, action);
        if let Decision::Deny(reason) = d {
            crate::audit_denial(self, actor, audit_action, &subject(id), &d).await?;
            return Err(AppError::Denied(reason));
        }
        Ok(d)
    }

    /// Refuses (and audits) an actor who may not manage the alliance, before a request body is read.
    pub async fn authorise_alliance_management(&self, actor: &Actor) -> Result<(), AppError> {
        self.require_alliance(
            actor,
            Action::ManageAlliance,
            "alliance.member.create",
            None,
        )
        .await
        .map(|_| ())
    }

    /// The alliance's members (those who have joined). Each individual named is audited.
    pub async fn alliance_members(&self, actor: &Actor) -> Result<Vec<MemberSummary>, AppError> {
        let d = self
            .require_alliance(actor, Action::ViewAlliance, "alliance.member.list", None)
            .await?;
        let mut tx = self.store.begin().await?;
        let rows = tx.alliance_members().await?;
        for m in rows.iter().filter(|m| m.kind == MemberKind::Individual) {
            tx.audit_append(&audit_draft(
                actor,
                "alliance.member.list",
                &subject(Some(m.id)),
                &d,
                None,
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(rows.iter().map(summary).collect())
    }

    /// One member's profile, each field as the member chose; the read is audited with the fields shown.
    /// A number that does not exist is refused as "not found" and audited.
    pub async fn alliance_member(&self, actor: &Actor, id: i64) -> Result<MemberProfile, AppError> {
        let d = self
            .require_alliance(
                actor,
                Action::ViewAlliance,
                "alliance.member.view",
                Some(id),
            )
            .await?;
        let mut tx = self.store.begin().await?;
        let Some(m) = tx
            .alliance_member(id)
            .await?
            .filter(|m| m.kind == MemberKind::Organisation || m.user_id.is_some())
        else {
            drop(tx);
            audit_refusal(
                self,
                actor,
                "alliance.member.view",
                &subject(Some(id)),
                "no such member",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        let (profile, shown) = decide_profile(&m, viewer(actor, &m));
        let reason = if shown.is_empty() {
            "fields shown: none".to_string()
        } else {
            format!("fields shown: {}", shown.join(", "))
        };
        tx.audit_append(&audit_draft(
            actor,
            "alliance.member.view",
            &subject(Some(id)),
            &d,
            Some(&reason),
        ))
        .await?;
        tx.commit().await?;
        Ok(profile)
    }

    /// The actor's own member profile, every field with who may see it; `None` when the actor's account
    /// is not an individual member.
    pub async fn my_alliance_profile(
        &self,
        actor: &Actor,
    ) -> Result<Option<MemberProfile>, AppError> {
        let Some(u) = actor.as_user() else {
            return Ok(None);
        };
        self.require_alliance(actor, Action::ViewAlliance, "alliance.profile.view", None)
            .await?;
        let mut tx = self.store.begin_read().await?;
        Ok(tx
            .alliance_member_of_user(u.user_id)
            .await?
            .map(|m| decide_profile(&m, Viewer::TheMember).0))
    }

    /// Changes the actor's own profile and who may see each part; audited.
    pub async fn update_my_alliance_profile(
        &self,
        actor: &Actor,
        input: &ProfileInput,
    ) -> Result<(), AppError> {
        let d = self
            .require_alliance(actor, Action::ViewAlliance, "alliance.profile.edit", None)
            .await?;
        let Some(u) = actor.as_user() else {
            return Err(AppError::NotFound);
        };
        let mut errs = Vec::new();
        let fields = ProfileFields {
            contact_email: email(&mut errs, "contact_email", &input.contact_email),
            contact_phone: phone(&mut errs, "contact_phone", &input.contact_phone),
            offers: text(&mut errs, "offers", &input.offers, MAX_PROFILE_TEXT),
            communities: text(
                &mut errs,
                "communities",
                &input.communities,
                MAX_PROFILE_TEXT,
            ),
            lived_experience: text(
                &mut errs,
                "lived_experience",
                &input.lived_experience,
                MAX_PROFILE_TEXT,
            ),
            contact_visibility: Some(visibility(
                &mut errs,
                "contact_visibility",
                &input.contact_visibility,
                Visibility::Coordinators,
            )),
            about_visibility: Some(visibility(
                &mut errs,
                "about_visibility",
                &input.about_visibility,
                Visibility::Alliance,
            )),
            lived_experience_visibility: Some(visibility(
                &mut errs,
                "lived_experience_visibility",
                &input.lived_experience_visibility,
                Visibility::OnlyMe,
            )),
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.store.begin().await?;
        let m = tx
            .alliance_member_of_user(u.user_id)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "profile",
                    "your account is not an individual member of the alliance",
                )
            })?;
        tx.alliance_profile_update(m.id, &fields).await?;
        tx.audit_append(&audit_draft(
            actor,
            "alliance.profile.edit",
            &subject(Some(m.id)),
            &d,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a member organisation (coordinators only). Authorised before the input is checked.
    pub async fn add_alliance_organisation(
        &self,
        actor: &Actor,
        input: &MemberOrgInput,
    ) -> Result<i64, AppError> {
        let d = self
            .require_alliance(
                actor,
                Action::ManageAlliance,
                "alliance.member.create",
                None,
            )
            .await?;
        let mut errs = Vec::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errs.push(FieldError::new(
                "name",
                "enter the organisation's name (at most 200 characters)",
            ));
        }
        let org_size = OrgSize::from_code(input.org_size.trim());
        // Statutory bodies are known by their ODS codes in the partnership; every other member needs an
        // identifier (a local one for a group on no register).
        let org_identifier =
            if input.org_identifier.trim().is_empty() && org_size == Some(OrgSize::Statutory) {
                None
            } else {
                match parse_org_identifier(&input.org_identifier) {
                    Ok(i) => Some(i),
                    Err(m) => {
                        errs.push(FieldError::new("org_identifier", m));
                        None
                    }
                }
            };
        if org_size.is_none() {
            errs.push(FieldError::new(
                "org_size",
                "choose the size of organisation, community group included",
            ));
        }
        let contact_name = text(&mut errs, "contact_name", &input.contact_name, 200);
        let contact_email = email(&mut errs, "contact_email", &input.contact_email);
        let contact_phone = phone(&mut errs, "contact_phone", &input.contact_phone);
        let offers = text(&mut errs, "offers", &input.offers, MAX_PROFILE_TEXT);
        let communities = text(
            &mut errs,
            "communities",
            &input.communities,
            MAX_PROFILE_TEXT,
        );
        let joined_on = match opt(&input.joined_on) {
            None => Utc::now().date_naive(),
            Some(s) => match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) if crate::limits::year_ok(d) => d,
                _ => {
                    errs.push(FieldError::new(
                        "joined_on",
                        "enter the date joined as YYYY-MM-DD, such as 2026-04-01",
                    ));
                    Utc::now().date_naive()
                }
            },
        };
        let contact_visibility = visibility(
            &mut errs,
            "contact_visibility",
            &input.contact_visibility,
            Visibility::Coordinators,
        );
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.store.begin().await?;
        let id = tx
            .alliance_member_insert(&NewAllianceMember {
                organisation: true,
                name: concordat_domain::text::nfc(name),
                org_identifier,
                org_size,
                joined_on: joined_on.to_string(),
                contact_name,
                contact_email,
                contact_phone,
                offers,
                communities,
                contact_visibility: Some(contact_visibility),
                ..Default::default()
            })
            .await
            .map_err(|e| match e {
                concordat_store::StoreError::Conflict(_) => AppError::invalid(
                    "org_identifier",
                    "another member organisation has this identifier",
                ),
                other => other.into(),
            })?;
        tx.audit_append(&audit_draft(
            actor,
            "alliance.member.create",
            &subject(Some(id)),
            &d,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Invites an individual (an expert by experience, or another member) by a single-use link; the
    /// member appears in the alliance once they accept it. Coordinators only.
    pub async fn invite_alliance_member(
        &self,
        actor: &Actor,
        input: &MemberInviteInput,
    ) -> Result<CreatedInvitation, AppError> {
        let d = self
            .require_alliance(
                actor,
                Action::ManageAlliance,
                "alliance.member.invite",
                None,
            )
            .await?;
        let mut errs = Vec::new();
        let display_name = input.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            errs.push(FieldError::new(
                "display_name",
                "enter the person's name (at most 200 characters)",
            ));
        }
        let role = match input.role.trim() {
            "expert_by_experience" => Some(Role::ExpertByExperience),
            "alliance_member" => Some(Role::AllianceMember),
            _ => {
                errs.push(FieldError::new(
                    "role",
                    "choose expert by experience or alliance member",
                ));
                None
            }
        };
        let days = match opt(&input.days) {
            None => crate::members::INVITATION_DAYS,
            Some(s) => match s.parse::<i64>() {
                Ok(d) if (1..=30).contains(&d) => d,
                _ => {
                    errs.push(FieldError::new(
                        "days",
                        "enter a number of days from 1 to 30",
                    ));
                    0
                }
            },
        };
        let (Some(role), true) = (role, errs.is_empty()) else {
            return Err(AppError::Invalid(errs));
        };
        // The account acts in the alliance at the coordinator's organisation, which hosts it: an expert
        // by experience belongs to no organisation of their own.
        let host = actor.as_user().map(|u| u.org_id);
        let mut tx = self.store.begin().await?;
        let token = random_secret();
        let expires_at = Utc::now().timestamp_millis() + days * 86_400_000;
        let invitation = tx
            .invitation_insert(&NewInvitation {
                token_hash: hash_token(&token),
                display_name: display_name.to_string(),
                org_id: host,
                role: host.map(|_| role),
                purpose: PURPOSE_ALLIANCE.to_string(),
                created_by: actor.as_user().map(|u| u.user_id),
                expires_at,
            })
            .await?;
        let id = tx
            .alliance_member_insert(&NewAllianceMember {
                organisation: false,
                name: concordat_domain::text::nfc(display_name),
                invitation_id: Some(invitation),
                expert_by_experience: role == Role::ExpertByExperience,
                joined_on: Utc::now().date_naive().to_string(),
                ..Default::default()
            })
            .await?;
        tx.audit_append(&audit_draft(
            actor,
            "alliance.member.invite",
            &subject(Some(id)),
            &d,
            Some(role.code()),
        ))
        .await?;
        tx.commit().await?;
        let link_path = format!("/invite?token={token}");
        Ok(CreatedInvitation {
            id: invitation,
            notice: Notice::Invitation {
                display_name: display_name.to_string(),
                link_path: link_path.clone(),
                expires_at,
            },
            token,
            link_path,
            expires_at,
        })
    }
}

/// The demo organisation that hosts the alliance (the integrated care board).
const DEMO_HOST: &str = "northvale-icb";

/// Fictional experts by experience added by the demo (username, name, what they offer, lived
/// experience, who may see it), besides the region's own `demo.ebe` and `demo.carers`.
const DEMO_EXPERTS: &[(&str, &str, &str, &str, Visibility)] = &[
    (
        "demo.ebe2",
        "Priya Oduya",
        "Co-chairs the crisis pathway subcommittee; reviews leaflets and letters for plain English.",
        "Used the crisis line and the crisis house in her twenties.",
        Visibility::Coordinators,
    ),
    (
        "demo.ebe3",
        "Dan Whitlow",
        "Speaks with young men's groups; helps design the alliance's surveys.",
        "Detained under section 136 twice; now a peer mentor.",
        Visibility::OnlyMe,
    ),
];

/// Loads the demo alliance inside the demo loader's transaction: the region's organisations as member
/// organisations of every size (an unregistered carers' group with a local identifier among them) and
/// individual members, experts by experience included, each with a fictional profile. `hash` is the
/// demo password's hash, for the extra experts' accounts.
pub(crate) async fn load_demo(
    tx: &mut concordat_store::Tx,
    region: &concordat_demo::DemoRegion,
    ids: &crate::demo::DemoIds,
    hash: &str,
) -> Result<(), AppError> {
    use concordat_domain::OrgKind;
    let joined = region.params.end() - chrono::Days::new(365);
    for (n, o) in region.organisations.iter().enumerate() {
        let (size, identifier) = match (o.kind, o.org_id.as_deref()) {
            (OrgKind::Vcse, None) => (
                OrgSize::CommunityGroup,
                Some(format!(
                    "LOCAL-{}",
                    o.key
                        .to_ascii_uppercase()
                        .split('-')
                        .take(2)
                        .collect::<Vec<_>>()
                        .join("-")
                )),
            ),
            (OrgKind::Vcse, Some(i)) => (
                if n % 2 == 0 {
                    OrgSize::Small
                } else {
                    OrgSize::Medium
                },
                Some(i.to_string()),
            ),
            (_, Some(i)) => (OrgSize::Large, Some(i.to_string())),
            (OrgKind::LocalAuthority, None) => (OrgSize::Statutory, Some("GB-LAE-NVB".into())),
            (
                OrgKind::MentalHealthTrust
                | OrgKind::Icb
                | OrgKind::PoliceForce
                | OrgKind::AmbulanceService,
                None,
            ) => (OrgSize::Statutory, None),
            _ => continue,
        };
        if let Some(i) = &identifier
            && parse_org_identifier(i).is_err()
        {
            continue;
        }
        tx.alliance_member_insert(&NewAllianceMember {
            organisation: true,
            name: o.name.clone(),
            org_identifier: identifier,
            org_size: Some(size),
            joined_on: (joined + chrono::Days::new(n as u64 * 7)).to_string(),
            contact_name: Some(format!("{} alliance lead", o.name)),
            contact_email: Some(format!("alliance@{}.example.org", o.key)),
            offers: Some(o.description.clone()),
            communities: Some("People in Northvale and Easterby".into()),
            contact_visibility: Some(if n % 3 == 0 {
                Visibility::Alliance
            } else {
                Visibility::Coordinators
            }),
            ..Default::default()
        })
        .await?;
    }
    let mut individuals: Vec<(UserIdOf, String, bool, String, String, Visibility)> = Vec::new();
    for s in &region.staff {
        let ebe = s.role == Role::ExpertByExperience;
        if !(ebe || s.role == Role::AllianceMember) {
            continue;
        }
        let Some(&uid) = ids.staff_user.get(&s.username) else {
            continue;
        };
        let (offers, lived, vis) = if s.username == "demo.ebe" {
            (
                "Sits on the alliance board; runs the peer support drop-in on Thursdays.",
                "Lived experience of psychosis and of being supported at home by the crisis team.",
                Visibility::Alliance,
            )
        } else if ebe {
            (
                "Brings carers' voices to the alliance; organises the carers' circle.",
                "Cares for her son, who has been in crisis several times.",
                Visibility::Coordinators,
            )
        } else {
            (s.job_title.as_str(), "", Visibility::OnlyMe)
        };
        individuals.push((
            uid,
            s.display_name.clone(),
            ebe,
            offers.into(),
            lived.into(),
            vis,
        ));
    }
    let host = ids.orgs.get(DEMO_HOST).copied();
    for (username, name, offers, lived, vis) in DEMO_EXPERTS {
        let uid = tx.user_insert(username, name, hash, true).await?;
        if let Some(o) = host {
            tx.membership_insert(uid, o, Role::ExpertByExperience)
                .await?;
        }
        individuals.push((
            uid,
            name.to_string(),
            true,
            offers.to_string(),
            lived.to_string(),
            *vis,
        ));
    }
    for (i, (uid, name, ebe, offers, lived, vis)) in individuals.into_iter().enumerate() {
        let id = tx
            .alliance_member_insert(&NewAllianceMember {
                organisation: false,
                name,
                user_id: Some(uid),
                expert_by_experience: ebe,
                joined_on: (joined + chrono::Days::new(i as u64 * 11)).to_string(),
                ..Default::default()
            })
            .await?;
        tx.alliance_profile_update(
            id,
            &ProfileFields {
                contact_email: Some(format!("member{i}@alliance.example.org")),
                offers: opt(&offers),
                lived_experience: opt(&lived),
                contact_visibility: Some(Visibility::Coordinators),
                about_visibility: Some(Visibility::Alliance),
                lived_experience_visibility: Some(vis),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

type UserIdOf = concordat_domain::model::UserId;

#[cfg(test)]
mod tests {
    use super::*;

    fn row(vis: Visibility) -> AllianceMemberRow {
        AllianceMemberRow {
            id: 1,
            kind: MemberKind::Individual,
            name: "Sam".into(),
            org_identifier: None,
            org_size: None,
            user_id: None,
            expert_by_experience: true,
            joined_on: "2026-01-01".into(),
            contact_name: None,
            contact_email: Some("sam@example.org".into()),
            contact_phone: None,
            offers: Some("peer support".into()),
            communities: None,
            lived_experience: Some("my story".into()),
            contact_visibility: vis,
            about_visibility: Visibility::Alliance,
            lived_experience_visibility: vis,
        }
    }

    #[test]
    fn a_profile_shows_only_what_the_member_chose() {
        let (p, shown) = decide_profile(&row(Visibility::OnlyMe), Viewer::Coordinator);
        assert_eq!(p.lived_experience, None);
        assert_eq!(p.contact_email, None);
        assert_eq!(p.offers.as_deref(), Some("peer support"));
        assert_eq!(shown, vec!["offers"]);
        assert!(p.visibility.is_none());
        let (p, _) = decide_profile(&row(Visibility::Coordinators), Viewer::Coordinator);
        assert_eq!(p.lived_experience.as_deref(), Some("my story"));
        let (p, _) = decide_profile(&row(Visibility::Coordinators), Viewer::AllianceMember);
        assert_eq!(p.lived_experience, None);
        let (p, shown) = decide_profile(&row(Visibility::OnlyMe), Viewer::TheMember);
        assert_eq!(p.lived_experience.as_deref(), Some("my story"));
        assert!(p.visibility.is_some());
        assert_eq!(shown.len(), 3);
    }
}
