//! Loading the synthetic demo region (from the `concordat-demo` crate) into the store.

use crate::{App, AppError, Subject, audit_draft};
use concordat_demo::DemoRegion;
use concordat_domain::model::{Neighbourhood, NewPerson, OrgId, PersonId, UserId};
use concordat_domain::policy::{Actor, Basis, Decision};
use concordat_domain::{OrgKind, Role};
use std::collections::HashMap;

/// A demo sign-in to print and write to demo-logins.txt.
#[derive(Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub org_name: String,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLogin")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Database ids of the demo's records, by their stable keys in the generated region.
#[derive(Debug, Clone)]
pub struct DemoIds {
    /// Organisation key → id.
    pub orgs: HashMap<String, OrgId>,
    /// The mental health trust, which holds people's records in the demo.
    pub trust: OrgId,
    /// Staff username → their organisation.
    pub staff_org: HashMap<String, OrgId>,
    /// Staff username → user id.
    pub staff_user: HashMap<String, UserId>,
    /// Person key → id.
    pub people: HashMap<String, PersonId>,
}

/// Figures about what was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLoaded {
    pub organisations: usize,
    pub staff: usize,
    pub people: usize,
    pub contacts: usize,
}

/// The settings key that marks a database as holding the demo region.
pub const DEMO_SETTING: &str = "demo_region";

impl App {
    /// Whether this database holds the synthetic demo region (pages then say so).
    pub async fn is_demo(&self) -> Result<bool, AppError> {
        let mut tx = self.store.begin_read().await?;
        Ok(tx.setting_get(DEMO_SETTING).await?.is_some())
    }

    /// Whether the database holds any staff account.
    pub async fn has_accounts(&self) -> Result<bool, AppError> {
        let mut tx = self.store.begin_read().await?;
        Ok(!tx.user_list().await?.is_empty())
    }

    /// Loads a generated region in one transaction: all of it or nothing.
    /// Every staff member gets `password`; demo logins skip MFA (pages show a banner saying so).
    pub async fn load_demo(
        &self,
        region: &DemoRegion,
        password: &str,
    ) -> Result<(DemoLoaded, Vec<DemoLogin>), AppError> {
        let actor = Actor::system("demo");
        let hash = crate::auth::hash_password(password)?;
        let mut tx = self.store.begin().await?;
        if tx.setting_get(DEMO_SETTING).await?.is_some() {
            return Err(AppError::Conflict(
                "this database already holds the demo region".into(),
            ));
        }
        // The demo's accounts skip MFA: never add them beside real accounts.
        if !tx.user_list().await?.is_empty() {
            return Err(AppError::Conflict(
                "this database already holds staff accounts and is not a demo: the demo region, whose accounts skip multi-factor authentication, is only loaded into an empty database".into(),
            ));
        }
        let mut orgs: HashMap<&str, (OrgId, String)> = HashMap::new();
        for o in &region.organisations {
            let id = tx
                .org_insert(&o.name, o.kind, o.ods_code.as_deref(), o.org_id.as_deref())
                .await?;
            if let Some(line) = &o.crisis_line {
                tx.org_set_crisis_line(id, Some(line)).await?;
            }
            orgs.insert(o.key.as_str(), (id, o.name.clone()));
        }
        let org = |key: &str| {
            orgs.get(key)
                .map(|(id, _)| *id)
                .ok_or_else(|| AppError::Internal(format!("demo: unknown organisation {key}")))
        };
        let trust = region
            .organisations
            .iter()
            .find(|o| o.kind == OrgKind::MentalHealthTrust)
            .map(|o| org(&o.key))
            .transpose()?
            .ok_or_else(|| AppError::Internal("demo: no mental health trust".into()))?;
        for n in &region.neighbourhoods {
            tx.neighbourhood_insert(&Neighbourhood {
                code: n.code.clone(),
                name: n.name.clone(),
                postcode_district: n.postcode_district.clone(),
                grid_x: i64::from(n.x),
                grid_y: i64::from(n.y),
                population: i64::from(n.population),
            })
            .await?;
        }
        let mut staff_org: HashMap<&str, OrgId> = HashMap::new();
        let mut staff_user: HashMap<String, UserId> = HashMap::new();
        let mut logins = Vec::new();
        for s in &region.staff {
            let o = org(&s.org)?;
            let uid = tx
                .user_insert(&s.username, &s.display_name, &hash, true)
                .await?;
            tx.membership_insert(uid, o, s.role).await?;
            staff_org.insert(s.username.as_str(), o);
            staff_user.insert(s.username.clone(), uid);
            if s.demo_login {
                logins.push(DemoLogin {
                    username: s.username.clone(),
                    password: password.to_string(),
                    role: s.role,
                    org_name: orgs
                        .get(s.org.as_str())
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                });
            }
        }
        // The demo's agreements were agreed before its history begins: each party's signatory (its
        // privacy officer where the region has one, else its most senior named member of staff) signed
        // a fortnight before the first day.
        for a in &region.sharing_agreements {
            let from = org(&a.from_org)?;
            let to = org(&a.to_org)?;
            let name_of = |key: &str| orgs.get(key).map(|(_, n)| n.clone()).unwrap_or_default();
            let id = tx
                .agreement_create(&concordat_store::NewAgreement {
                    from,
                    to,
                    title: format!("{} to {}", name_of(&a.from_org), name_of(&a.to_org)),
                    purpose: a.purpose.clone(),
                    categories: a.categories.clone(),
                    legal_basis: a.legal_basis,
                    in_force_from: a.starts_on,
                    in_force_until: None,
                    review_date: a.review_on,
                    status: concordat_domain::model::AgreementStatus::Agreed,
                    agreed_how: "signatures",
                    drafted_by: None,
                })
                .await?;
            for (key, org_id) in [(&a.from_org, from), (&a.to_org, to)] {
                let staff: Vec<_> = region.staff.iter().filter(|s| &s.org == key).collect();
                let signatory = staff
                    .iter()
                    .find(|s| s.role == Role::PrivacyOfficer)
                    .or_else(|| staff.iter().find(|s| s.role == Role::Administrator))
                    .or_else(|| staff.first());
                let (user_id, name, role, position) = match signatory {
                    Some(s) => (
                        staff_user.get(&s.username).copied(),
                        s.display_name.clone(),
                        s.role.code().to_string(),
                        s.job_title.clone(),
                    ),
                    None => (
                        None,
                        format!("Senior Information Risk Owner, {}", name_of(key)),
                        "signatory".to_string(),
                        "Senior Information Risk Owner".to_string(),
                    ),
                };
                let signed_on = a.starts_on - chrono::Days::new(14);
                tx.agreement_sign(
                    id,
                    &concordat_store::SignatureRow {
                        org_id,
                        user_id,
                        signatory_name: name,
                        signatory_role: role,
                        position,
                        signed_on,
                        signed_at: signed_on
                            .and_hms_opt(12, 0, 0)
                            .map(|t| t.and_utc().timestamp_millis())
                            .unwrap_or_default(),
                    },
                )
                .await?;
            }
        }
        let mut people = HashMap::new();
        for p in &region.people {
            let id = tx
                .person_insert(&NewPerson {
                    owner_org_id: trust,
                    given_name: p.given_name.clone(),
                    family_name: p.family_name.clone(),
                    date_of_birth: Some(p.date_of_birth),
                    nhs_number: p.nhs_number,
                    sex: Some(p.sex.code().to_string()),
                    postcode: Some(p.postcode.clone()),
                    address_line: Some(p.address_line.clone()),
                    phone: p.phone.clone(),
                    email: p.email.clone(),
                    synthetic: true,
                })
                .await?;
            people.insert(p.key.as_str(), id);
        }
        let ids = DemoIds {
            orgs: orgs
                .iter()
                .map(|(k, (id, _))| (k.to_string(), *id))
                .collect(),
            trust,
            staff_org: staff_org.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            staff_user,
            people: people.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        };
        crate::operations::load_demo(&mut tx, region, &ids).await?;
        crate::plans::load_demo(&mut tx, region, &ids).await?;
        crate::alliance::load_demo(&mut tx, region, &ids, &hash).await?;
        let loaded = DemoLoaded {
            organisations: region.organisations.len(),
            staff: region.staff.len(),
            people: region.people.len(),
            contacts: region.contacts.len(),
        };
        tx.setting_set(
            DEMO_SETTING,
            &format!("synthetic; seed {}", region.params.seed),
        )
        .await?;
        tx.setting_set(
            crate::admin::SERVICE_CHANGE_SETTING,
            &format!(
                "{}|Street triage service started",
                region.params.triage_start.format("%Y-%m-%d")
            ),
        )
        .await?;
        let subject = Subject {
            resource_kind: "demo_region",
            resource_id: Some(region.params.seed.to_string()),
            person_id: None,
        };
        let decision = Decision::Allow {
            basis: Basis::System,
            break_glass: false,
        };
        let reason = format!("{loaded:?}");
        tx.audit_append(&audit_draft(
            &actor,
            "demo.load",
            &subject,
            &decision,
            Some(&reason),
        ))
        .await?;
        tx.commit().await?;
        logins.sort_by_key(|l| l.role);
        Ok((loaded, logins))
    }
}
