//! Local time in England without a time-zone database: British Summer Time and bank holidays by their rules.
//!
//! People's behaviour follows the clock on the wall, so rates are set in local time and stored in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

/// Last Sunday of a month (the day the clocks change in March and October).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    Some(last - Duration::days(i64::from(back)))
}

/// Whether British Summer Time is in force at this instant: from 01:00 UTC on the last Sunday in March
/// to 01:00 UTC on the last Sunday in October (Summer Time Order 2002).
pub(crate) fn is_bst(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let (Some(start), Some(end)) = (last_sunday(year, 3), last_sunday(year, 10)) else {
        return false;
    };
    let start = Utc.from_utc_datetime(&start.and_hms_opt(1, 0, 0).unwrap_or_default());
    let end = Utc.from_utc_datetime(&end.and_hms_opt(1, 0, 0).unwrap_or_default());
    at >= start && at < end
}

/// Local wall-clock time in England.
pub(crate) fn to_local(at: DateTime<Utc>) -> NaiveDateTime {
    let offset = if is_bst(at) { 1 } else { 0 };
    at.naive_utc() + Duration::hours(offset)
}

/// The UTC instant of local midnight at the start of `date` (midnight is never inside a clock change).
pub(crate) fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let summer = Utc.from_utc_datetime(&(naive - Duration::hours(1)));
    if is_bst(summer) {
        summer
    } else {
        Utc.from_utc_datetime(&naive)
    }
}

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    let sunday = last_sunday(year, month)?;
    let monday = sunday + Duration::days(1);
    Some(if monday.month() == month {
        monday
    } else {
        sunday - Duration::days(6)
    })
}

/// Regular bank holidays in England and Wales for a year, with weekend substitutes.
/// One-off holidays (such as 8 May 2023) are not included.
pub(crate) fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let Some(new_year) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return days;
    };
    days.push(match new_year.weekday() {
        Weekday::Sat => new_year + Duration::days(2),
        Weekday::Sun => new_year + Duration::days(1),
        _ => new_year,
    });
    if let Some(e) = easter(year) {
        days.push(e - Duration::days(2));
        days.push(e + Duration::days(1));
    }
    days.extend(first_monday(year, 5));
    days.extend(last_monday(year, 5));
    days.extend(last_monday(year, 8));
    if let Some(christmas) = NaiveDate::from_ymd_opt(year, 12, 25) {
        let (c, b) = match christmas.weekday() {
            Weekday::Fri => (christmas, christmas + Duration::days(3)),
            Weekday::Sat => (christmas + Duration::days(2), christmas + Duration::days(3)),
            Weekday::Sun => (christmas + Duration::days(2), christmas + Duration::days(1)),
            _ => (christmas, christmas + Duration::days(1)),
        };
        days.push(c);
        days.push(b);
    }
    days.sort();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn summer_time_boundaries() {
        // 2024: clocks went forward 31 March and back 27 October, at 01:00 UTC.
        let at = |m, day, h| Utc.with_ymd_and_hms(2024, m, day, h, 0, 0).unwrap();
        assert!(!is_bst(at(3, 31, 0)));
        assert!(is_bst(at(3, 31, 1)));
        assert!(is_bst(at(10, 27, 0)));
        assert!(!is_bst(at(10, 27, 1)));
        assert_eq!(local_midnight(d(2024, 7, 1)), at(6, 30, 23));
        assert_eq!(
            local_midnight(d(2024, 1, 1)),
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn bank_holidays_match_published_dates() {
        // gov.uk/bank-holidays, England and Wales, 2024 and 2022 (2022's Christmas fell on a Sunday).
        assert_eq!(
            bank_holidays(2024),
            vec![
                d(2024, 1, 1),
                d(2024, 3, 29),
                d(2024, 4, 1),
                d(2024, 5, 6),
                d(2024, 5, 27),
                d(2024, 8, 26),
                d(2024, 12, 25),
                d(2024, 12, 26)
            ]
        );
        let h2022 = bank_holidays(2022);
        assert!(h2022.contains(&d(2022, 12, 26)) && h2022.contains(&d(2022, 12, 27)));
        assert!(h2022.contains(&d(2022, 1, 3)));
    }
}
