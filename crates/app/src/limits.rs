//! Limits on what people type. Every free-text field has a length limit and every date a range of
//! years; input beyond them is refused with a message naming the field, never truncated silently.
//! The router also caps a request body (`concordat_web::BODY_LIMIT_BYTES`), so nothing huge reaches
//! these checks in the first place.

use crate::{AppError, FieldError};
use chrono::Datelike;

/// A break-glass reason: a few sentences saying why. It goes into the append-only audit trail.
pub const MAX_BREAK_GLASS_REASON: usize = 1000;
/// Free-text notes on a record: a contact's description of the person, reasons and details.
pub const MAX_NOTE: usize = 2000;
/// Short typed values: names, collar numbers, references, codes.
pub const MAX_SHORT: usize = 200;
/// A family name typed into the person search.
pub const MAX_SEARCH_NAME: usize = 100;
/// The earliest year accepted in any date (dates of birth, events, reviews).
pub const MIN_YEAR: i32 = 1900;
/// The latest year accepted in any date: far enough for review dates, near enough that time
/// arithmetic (such as the s136 clock) can never overflow.
pub const MAX_YEAR: i32 = 2200;

/// The problem with `value` if it has more than `max` characters.
pub fn too_long(field: &str, value: &str, max: usize) -> Option<FieldError> {
    (value.trim().chars().count() > max).then(|| {
        FieldError::new(
            field,
            format!("This is too long: use at most {max} characters"),
        )
    })
}

/// Refuses an over-long break-glass reason before the policy sees it or the audit stores it.
pub fn check_break_glass_reason(reason: Option<&str>) -> Result<(), AppError> {
    match reason.and_then(|r| too_long("reason", r, MAX_BREAK_GLASS_REASON)) {
        Some(e) => Err(AppError::Invalid(vec![e])),
        None => Ok(()),
    }
}

/// Whether a date's year is within [`MIN_YEAR`] and [`MAX_YEAR`].
pub fn year_ok(d: impl Datelike) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&d.year())
}

/// The message for a date outside the accepted years.
pub fn year_message() -> String {
    format!("Enter a date between the years {MIN_YEAR} and {MAX_YEAR}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_with_the_field_and_never_truncate() {
        assert!(too_long("x", &"a".repeat(MAX_NOTE), MAX_NOTE).is_none());
        let e = too_long("conveyance_reason", &"é".repeat(MAX_NOTE + 1), MAX_NOTE).unwrap();
        assert_eq!(e.field, "conveyance_reason");
        assert!(e.message.contains("2000"), "{}", e.message);
        assert!(check_break_glass_reason(None).is_ok());
        assert!(check_break_glass_reason(Some("a real emergency at the bridge")).is_ok());
        let big = "x".repeat(1_900_000);
        match check_break_glass_reason(Some(&big)) {
            Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "reason"),
            other => panic!("{other:?}"),
        }
        let d = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
        assert!(year_ok(d(1900)) && year_ok(d(2200)));
        assert!(!year_ok(d(1899)) && !year_ok(d(2201)) && !year_ok(d(200_000)));
    }
}
