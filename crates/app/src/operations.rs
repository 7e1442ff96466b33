//! Crisis response operations: crisis contacts (street triage, control room, advice line),
//! s136/s135 episodes with the statutory clock, and places of safety.

use crate::AppError;
use crate::demo::DemoIds;
use concordat_demo::DemoRegion;
use concordat_store::{NewContact, Tx};

/// Loads the demo region's crisis contacts (and, as they are built, episodes and places of safety).
pub(crate) async fn load_demo(
    tx: &mut Tx,
    region: &DemoRegion,
    ids: &DemoIds,
) -> Result<(), AppError> {
    let trust = ids.trust;
    let staff_org = &ids.staff_org;
    let people = &ids.people;
    for c in &region.contacts {
        tx.contact_insert(&NewContact {
            owner_org_id: staff_org.get(&c.recorded_by).copied().unwrap_or(trust).0,
            person_id: c.person.as_ref().and_then(|k| people.get(k)).map(|p| p.0),
            called_at: c.call_at.timestamp_millis(),
            arrived_at: c.arrived_at.map(|t| t.timestamp_millis()),
            source: c.source.code().to_string(),
            setting: c.setting.code().to_string(),
            postcode: Some(c.postcode.to_string()),
            neighbourhood: Some(c.neighbourhood.clone()),
            grid_x: Some(f64::from(c.x_m) / 1000.0),
            grid_y: Some(f64::from(c.y_m) / 1000.0),
            outcome: c.outcome.code().to_string(),
            street_triage: c.street_triage,
            police_minutes: Some(i64::from(c.police_minutes)),
            synthetic: true,
        })
        .await?;
    }
    Ok(())
}
