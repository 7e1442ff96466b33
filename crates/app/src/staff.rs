//! Staff named on pages by their names rather than their usernames ("Daniel Achterberg, crisis clinician").

use crate::AppError;
use concordat_store::Tx;
use std::collections::HashMap;

/// How a member of staff is named on a page: their display name, and their role in words when they hold
/// exactly one ("Daniel Achterberg, crisis clinician"); the username itself only for an account that no
/// longer exists.
pub fn staff_label(display_name: &str, roles: &[concordat_domain::Role]) -> String {
    match roles {
        [one] => {
            let role = one.label().split(" (").next().unwrap_or_default().trim();
            format!("{display_name}, {}", lower_first(role))
        }
        _ => display_name.to_string(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The label of each of these usernames, keyed by the username as given.
pub(crate) async fn staff_labels(
    tx: &mut Tx,
    usernames: &[String],
) -> Result<HashMap<String, String>, AppError> {
    let mut wanted: Vec<String> = usernames.to_vec();
    wanted.sort();
    wanted.dedup();
    let found = tx.staff_names(&wanted).await?;
    let mut out = HashMap::new();
    for u in wanted {
        let label = found
            .iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(&u))
            .map_or_else(
                || u.clone(),
                |(_, display, roles)| staff_label(display, roles),
            );
        out.insert(u, label);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concordat_domain::Role;

    #[test]
    fn a_name_and_one_role_in_words() {
        assert_eq!(
            staff_label("Daniel Achterberg", &[Role::CrisisClinician]),
            "Daniel Achterberg, crisis or community clinician"
        );
        assert_eq!(
            staff_label("Sam Lee", &[Role::Responder, Role::Administrator]),
            "Sam Lee"
        );
    }
}
