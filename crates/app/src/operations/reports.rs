//! The availability board (no personal data) and the exports: the Home Office return and the outcome table.

use super::contacts::deny;
use crate::{Actor, App, AppError, Subject, audit_allowed, audit_denial, decide_org_wide};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use concordat_domain::mha::{self, Demographics, Period, RuleBook, SummaryRecord};
use concordat_domain::places;
use concordat_domain::policy::Action;
use serde::Serialize;

/// One place on the availability board: counts only, nobody named.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceAvailability {
    pub id: i64,
    pub name: String,
    pub kind_label: String,
    pub org_name: String,
    pub capacity: i64,
    pub occupied: i64,
    /// "2 of 3 places free", "Full", "Over capacity", "Closed now", in words.
    pub availability: String,
    /// A warning in words when the place is full or over capacity (never a refusal).
    pub warning: Option<String>,
    /// True when more people are there than it has places.
    pub over_capacity: bool,
    /// Open or closed now, from its opening hours ("Closed now: opens Mon 18:00").
    pub open_now: String,
    pub is_open: bool,
    pub hours: String,
    /// The number to ring ahead on (empty when not recorded).
    pub phone: String,
    /// "Mon 7 Dec 2026 16:20 GMT by Mags Penrose (Northvale NHS Trust)", or that it was never updated.
    pub updated: String,
    pub accepts_under_18: bool,
    pub address: String,
    pub notes: String,
}

/// A place's availability in words, now: open or closed from its hours, free places, full or over capacity.
pub(crate) fn availability_of(
    r: concordat_store::PlaceRow,
    now: DateTime<Utc>,
) -> PlaceAvailability {
    let open = places::open_now(r.place.open_24_7, &r.place.opening_hours, now);
    let capacity = places::Capacity::of(r.occupied, r.place.capacity);
    let counted_by_place =
        !(r.place.kind == "private_home" || r.place.kind == "other_suitable_place");
    let warning = if counted_by_place {
        places::Capacity::warning(r.occupied, r.place.capacity)
    } else {
        None
    };
    let availability = if !counted_by_place {
        format!("{} here now", r.occupied)
    } else {
        match capacity {
            places::Capacity::Over { .. } => format!(
                "Over capacity: {} people here, {} places",
                r.occupied, r.place.capacity
            ),
            places::Capacity::Full => {
                format!("Full: {} of {} in use", r.occupied, r.place.capacity)
            }
            places::Capacity::Free { free } if open.is_open() => {
                format!("{free} of {} free", r.place.capacity)
            }
            places::Capacity::Free { .. } => "Closed now: no places until it opens".to_string(),
        }
    };
    let updated = match &r.updated {
        Some(u) => format!(
            "Last updated {} by {}{}",
            DateTime::from_timestamp_millis(u.at)
                .map(mha::london_local)
                .unwrap_or_default(),
            if u.by_name.is_empty() {
                "the system"
            } else {
                u.by_name.as_str()
            },
            if u.org_name.is_empty() {
                String::new()
            } else {
                format!(" ({})", u.org_name)
            }
        ),
        None => "Not updated since it was added: nobody has recorded a detention there".to_string(),
    };
    PlaceAvailability {
        id: r.id,
        kind_label: kind_label(&r.place.kind),
        name: r.place.name,
        org_name: r.org_name,
        capacity: r.place.capacity,
        occupied: r.occupied,
        availability,
        over_capacity: counted_by_place && matches!(capacity, places::Capacity::Over { .. }),
        warning,
        open_now: open.words(),
        is_open: open.is_open(),
        hours: if r.place.open_24_7 {
            "Open 24 hours, every day".into()
        } else if r.place.opening_hours.is_empty() {
            "Not recorded: ring ahead".into()
        } else {
            r.place.opening_hours
        },
        phone: r.place.phone,
        updated,
        accepts_under_18: r.place.accepts_under_18,
        address: format!(
            "{}{}",
            r.place.address_line,
            r.place
                .postcode
                .map(|p| format!(", {p}"))
                .unwrap_or_default()
        ),
        notes: r.place.notes,
    }
}

fn kind_label(code: &str) -> String {
    match code {
        "crisis_house" => "Crisis house".into(),
        "safe_haven" => "Safe haven café".into(),
        c => mha::PlaceOfSafetyKind::from_code(c)
            .map_or_else(|| c.to_string(), |k| k.label().to_string()),
    }
}

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// One row per detention in the period with the Home Office annual data return fields.
    HomeOffice,
    /// Outcomes of detentions in the period beside the same period a year earlier.
    Outcomes,
}

impl ExportKind {
    fn code(self) -> &'static str {
        match self {
            ExportKind::HomeOffice => "returns.export.home_office",
            ExportKind::Outcomes => "returns.export.outcomes",
        }
    }
}

fn csv_field(s: &str) -> String {
    // Neutralise spreadsheet formulas and quote when needed.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut l = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    l.push_str("\r\n");
    l
}

impl App {
    /// Places of safety, crisis houses and safe havens with occupancy derived from open episodes.
    /// Every member of the partnership may see it (responders included): it names nobody.
    pub async fn places_availability(
        &self,
        actor: &Actor,
    ) -> Result<Vec<PlaceAvailability>, AppError> {
        let sub = Subject {
            person_id: None,
            resource_kind: "places_of_safety",
            resource_id: None,
        };
        let d = decide_org_wide(actor, Action::ViewAggregates);
        if !d.is_allowed() {
            audit_denial(self, actor, "places.view", &sub, &d).await?;
            return Err(deny(d));
        }
        let mut tx = self.store.begin().await?;
        let rows = tx.places_with_occupancy().await?;
        audit_allowed(&mut tx, actor, "places.view", &sub, &d, None).await?;
        tx.commit().await?;
        let now = Utc::now();
        Ok(rows.into_iter().map(|r| availability_of(r, now)).collect())
    }

    /// Whether the actor may open the returns page (its forms download the exports): the decision the
    /// downloads get. A refusal is audited.
    pub async fn exports_form(&self, actor: &Actor) -> Result<(), AppError> {
        let d = decide_org_wide(actor, Action::ExportReturns);
        if !d.is_allowed() {
            let sub = Subject {
                person_id: None,
                resource_kind: "returns",
                resource_id: None,
            };
            audit_denial(self, actor, "returns.page", &sub, &d).await?;
            return Err(deny(d));
        }
        Ok(())
    }

    /// A CSV export for the period `first_day..=last_day` (Europe/London days). Policy-checked and audited.
    pub async fn export_csv(
        &self,
        actor: &Actor,
        kind: ExportKind,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<String, AppError> {
        let sub = Subject {
            person_id: None,
            resource_kind: "returns",
            resource_id: Some(format!("{first_day}..{last_day}")),
        };
        // Authorise before validating: a role that may not export learns nothing from its input.
        let d = decide_org_wide(actor, Action::ExportReturns);
        if !d.is_allowed() {
            audit_denial(self, actor, kind.code(), &sub, &d).await?;
            return Err(deny(d));
        }
        if last_day < first_day {
            return Err(AppError::invalid(
                "to",
                "The last day must be on or after the first day",
            ));
        }
        if (last_day - first_day).num_days() > 366 * 5 {
            return Err(AppError::invalid(
                "to",
                "Choose a period of at most five years",
            ));
        }
        let period = Period {
            first_day,
            last_day,
        };
        let book = RuleBook::england();
        // Load from the day before (UTC vs London) to the day after; Period::contains decides in London time.
        let load_from = match kind {
            ExportKind::HomeOffice => first_day,
            ExportKind::Outcomes => period.year_earlier().first_day,
        };
        let ms = |day: NaiveDate, extra: i64| {
            Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                .timestamp_millis()
                + extra * 86_400_000
        };
        let mut tx = self.store.begin().await?;
        let rows = tx
            .episodes_detained_between(ms(load_from, -1), ms(last_day, 2))
            .await?;
        let now = Utc::now();
        let mut out = String::new();
        match kind {
            ExportKind::HomeOffice => {
                // The police force is the organisation that owns the record (the force whose officer used the power).
                let forces: std::collections::HashMap<i64, String> = tx
                    .org_list()
                    .await?
                    .into_iter()
                    .map(|o| (o.id.0, o.name))
                    .collect();
                out.push_str(&csv_line(&mha::HomeOfficeRow::HEADER.map(str::to_string)));
                for r in rows
                    .iter()
                    .filter(|r| period.contains(r.new.episode.detained_at))
                {
                    let demo = Demographics {
                        sex: mha::Sex::from_code(&r.new.sex).unwrap_or(mha::Sex::NotKnown),
                        ethnicity: mha::Ethnicity::from_code(&r.new.ethnicity)
                            .unwrap_or(mha::Ethnicity::NotStated),
                    };
                    let force = forces.get(&r.new.owner_org_id).map_or("", String::as_str);
                    let h = mha::home_office_row(&r.new.episode, demo, force, &book);
                    out.push_str(&csv_line(&h.values()));
                }
            }
            ExportKind::Outcomes => {
                let records: Vec<SummaryRecord> = rows
                    .iter()
                    .map(|r| SummaryRecord::from_episode(&r.new.episode, &book, now))
                    .collect();
                let earlier = period.year_earlier();
                out.push_str(&csv_line(&[
                    "code".into(),
                    "measure".into(),
                    format!("{}_to_{}", period.first_day, period.last_day),
                    format!("{}_to_{}", earlier.first_day, earlier.last_day),
                ]));
                for l in mha::compare_with_year_earlier(&records, period) {
                    out.push_str(&csv_line(&[
                        l.code,
                        l.label,
                        l.current.to_string(),
                        l.year_earlier.to_string(),
                    ]));
                }
            }
        }
        audit_allowed(&mut tx, actor, kind.code(), &sub, &d, None).await?;
        tx.commit().await?;
        Ok(out)
    }
}
