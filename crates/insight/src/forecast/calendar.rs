//! England and Wales bank holidays, computed by rule so forecasts work for any year, plus the
//! one-off holidays and moved dates proclaimed since 1995 (earlier one-offs are not listed).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian computus: Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
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

fn first_weekday(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, wd, 1)
}

fn last_weekday(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = next.pred_opt()?;
    while d.weekday() != wd {
        d = d.pred_opt()?;
    }
    Some(d)
}

/// Moves a fixed-date holiday that falls at a weekend to the next weekday not already taken.
fn substitute(date: NaiveDate, taken: &[NaiveDate]) -> NaiveDate {
    let mut d = date;
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || taken.contains(&d) {
        d += Duration::days(1);
    }
    d
}

/// Bank holidays in England and Wales for `year`, sorted.
///
/// Rules: New Year's Day, Good Friday, Easter Monday, Early May (first Monday in May), Spring (last
/// Monday in May), Summer (last Monday in August), Christmas Day and Boxing Day, with weekend
/// substitutes; plus proclaimed moves (Early May 1995 and 2020 to 8 May; Spring 2002, 2012 and 2022
/// to June) and one-off days (1999-12-31, 2011-04-29, 2012-06-05, 2022-06-03, 2022-09-19, 2023-05-08).
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    if let Some(d) = ymd(1, 1) {
        out.push(substitute(d, &[]));
    }
    if let Some(e) = easter_sunday(year) {
        out.push(e - Duration::days(2));
        out.push(e + Duration::days(1));
    }
    let early_may = match year {
        1995 | 2020 => ymd(5, 8),
        _ => first_weekday(year, 5, Weekday::Mon),
    };
    let spring = match year {
        2002 => ymd(6, 4),
        2012 => ymd(6, 4),
        2022 => ymd(6, 2),
        _ => last_weekday(year, 5, Weekday::Mon),
    };
    out.extend(early_may);
    out.extend(spring);
    out.extend(last_weekday(year, 8, Weekday::Mon));
    if let (Some(xmas), Some(boxing)) = (ymd(12, 25), ymd(12, 26)) {
        let x = substitute(xmas, &[]);
        let b = substitute(boxing, &[x]);
        out.push(x);
        out.push(b);
    }
    let one_offs: &[(i32, u32, u32)] = &[
        (1999, 12, 31),
        (2002, 6, 3),
        (2011, 4, 29),
        (2012, 6, 5),
        (2022, 6, 3),
        (2022, 9, 19),
        (2023, 5, 8),
    ];
    for &(y, m, d) in one_offs {
        if y == year {
            out.extend(NaiveDate::from_ymd_opt(y, m, d));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `date` is a bank holiday in England and Wales.
pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays(date.year()).contains(&date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn computus_matches_known_easters() {
        assert_eq!(easter_sunday(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter_sunday(2019), Some(d(2019, 4, 21)));
        assert_eq!(easter_sunday(2038), Some(d(2038, 4, 25)));
        assert_eq!(easter_sunday(1818), Some(d(1818, 3, 22)));
    }

    #[test]
    fn gov_uk_lists_for_recent_years() {
        // As published on GOV.UK for England and Wales.
        assert_eq!(
            bank_holidays(2022),
            vec![
                d(2022, 1, 3),
                d(2022, 4, 15),
                d(2022, 4, 18),
                d(2022, 5, 2),
                d(2022, 6, 2),
                d(2022, 6, 3),
                d(2022, 8, 29),
                d(2022, 9, 19),
                d(2022, 12, 26),
                d(2022, 12, 27),
            ]
        );
        assert_eq!(
            bank_holidays(2020),
            vec![
                d(2020, 1, 1),
                d(2020, 4, 10),
                d(2020, 4, 13),
                d(2020, 5, 8),
                d(2020, 5, 25),
                d(2020, 8, 31),
                d(2020, 12, 25),
                d(2020, 12, 28),
            ]
        );
        assert_eq!(
            bank_holidays(2021),
            vec![
                d(2021, 1, 1),
                d(2021, 4, 2),
                d(2021, 4, 5),
                d(2021, 5, 3),
                d(2021, 5, 31),
                d(2021, 8, 30),
                d(2021, 12, 27),
                d(2021, 12, 28),
            ]
        );
        assert_eq!(bank_holidays(2023).len(), 9);
        assert!(is_bank_holiday(d(2023, 5, 8)));
        assert!(is_bank_holiday(d(2025, 5, 26)));
        assert!(!is_bank_holiday(d(2025, 5, 27)));
    }
}
