//! Places of safety, crisis houses and safe havens as responders need them at the scene: open or closed
//! now (from their opening hours, in Europe/London time), and whether they are full or over capacity.
//!
//! Pure functions: the app layer passes the instant, so tests can choose any day, including the days the
//! clocks change.

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Europe::London;
use serde::Serialize;

/// One opening session: from `opens` on `day` until `closes`, which is on the next day when it is not
/// after `opens` (a café open "Fri 18:00–01:00" closes at 01:00 on Saturday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Session {
    pub day: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl Session {
    fn overnight(&self) -> bool {
        self.closes <= self.opens
    }

    /// Whether the session covers a local wall-clock time.
    fn covers(&self, local: NaiveDateTime) -> bool {
        let (day, time) = (local.weekday(), local.time());
        if self.overnight() {
            (day == self.day && time >= self.opens)
                || (day == self.day.succ() && time < self.closes)
        } else {
            day == self.day && time >= self.opens && time < self.closes
        }
    }
}

/// A place's opening hours, as sessions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OpeningHours {
    pub sessions: Vec<Session>,
}

/// Why opening hours in words could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Write opening hours like \"Mon 18:00–23:00; Fri 18:00–01:00\" (could not read {0:?})")]
pub struct HoursError(pub String);

fn weekday(s: &str) -> Option<Weekday> {
    s.trim().parse::<Weekday>().ok()
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl OpeningHours {
    /// Reads hours written as "Mon 18:00–23:00; Tue 18:00–23:00" (an en dash or a hyphen between the
    /// times; sessions separated by semicolons). Empty text is no sessions.
    pub fn parse(text: &str) -> Result<Self, HoursError> {
        let mut sessions = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || HoursError(part.to_string());
            let (day, times) = part.split_once(' ').ok_or_else(bad)?;
            let (opens, closes) = times.split_once(['–', '-']).ok_or_else(bad)?;
            sessions.push(Session {
                day: weekday(day).ok_or_else(bad)?,
                opens: time(opens).ok_or_else(bad)?,
                closes: time(closes).ok_or_else(bad)?,
            });
        }
        Ok(OpeningHours { sessions })
    }

    /// Whether any session covers a Europe/London wall-clock time.
    pub fn open_at_local(&self, local: NaiveDateTime) -> bool {
        self.sessions.iter().any(|s| s.covers(local))
    }

    /// The next time a session opens after `local`, within a week: (day, time).
    fn next_opening(&self, local: NaiveDateTime) -> Option<(Weekday, NaiveTime)> {
        let now = minute_of_week(local.weekday(), local.time());
        self.sessions
            .iter()
            .map(|s| {
                let at = minute_of_week(s.day, s.opens);
                let wait = (at + WEEK - now) % WEEK;
                (if wait == 0 { WEEK } else { wait }, s)
            })
            .min_by_key(|(wait, _)| *wait)
            .map(|(_, s)| (s.day, s.opens))
    }
}

const WEEK: u32 = 7 * 24 * 60;

fn minute_of_week(day: Weekday, t: NaiveTime) -> u32 {
    day.num_days_from_monday() * 24 * 60 + t.hour() * 60 + t.minute()
}

/// Whether a place is open at an instant, in words a responder can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OpenNow {
    /// Open at all hours.
    Always,
    /// Open now, by its hours.
    Open,
    /// Closed now; opens next at this local day and time, if it ever opens.
    Closed { next: Option<(Weekday, NaiveTime)> },
    /// Not open at all hours and no hours recorded (or not readable): ring ahead.
    Unknown,
}

impl OpenNow {
    /// Whether someone can be taken there now (unknown hours count as open: ring ahead).
    pub fn is_open(&self) -> bool {
        !matches!(self, OpenNow::Closed { .. })
    }

    /// "Open now", "Closed now: opens Fri 18:00", in words.
    pub fn words(&self) -> String {
        match self {
            OpenNow::Always => "Open now (24 hours, every day)".into(),
            OpenNow::Open => "Open now".into(),
            OpenNow::Closed { next: Some((d, t)) } => {
                format!("Closed now: opens {d} {}", t.format("%H:%M"))
            }
            OpenNow::Closed { next: None } => "Closed now".into(),
            OpenNow::Unknown => "Opening hours not recorded: ring ahead".into(),
        }
    }
}

/// Whether a place is open at instant `t` (UTC), reading its hours in Europe/London time, so that a
/// session keeps its local times across the change to and from British Summer Time.
pub fn open_now(open_24_7: bool, hours: &str, t: DateTime<Utc>) -> OpenNow {
    if open_24_7 {
        return OpenNow::Always;
    }
    let Ok(h) = OpeningHours::parse(hours) else {
        return OpenNow::Unknown;
    };
    if h.sessions.is_empty() {
        return OpenNow::Unknown;
    }
    let local = t.with_timezone(&London).naive_local();
    if h.open_at_local(local) {
        OpenNow::Open
    } else {
        OpenNow::Closed {
            next: h.next_opening(local),
        }
    }
}

/// How full a place is: people there now against the places it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Capacity {
    /// Some places free.
    Free { free: i64 },
    /// Every place in use.
    Full,
    /// More people there than places: a warning, never a refusal (the person still needs somewhere safe).
    Over { by: i64 },
}

impl Capacity {
    pub fn of(occupied: i64, capacity: i64) -> Self {
        match occupied.cmp(&capacity) {
            std::cmp::Ordering::Less => Capacity::Free {
                free: capacity - occupied,
            },
            std::cmp::Ordering::Equal => Capacity::Full,
            std::cmp::Ordering::Greater => Capacity::Over {
                by: occupied - capacity,
            },
        }
    }

    /// The warning to show, if any: full or over capacity, in words.
    pub fn warning(occupied: i64, capacity: i64) -> Option<String> {
        match Capacity::of(occupied, capacity) {
            Capacity::Free { .. } => None,
            Capacity::Full => Some(format!(
                "Full: all {capacity} places are in use. Ring ahead before taking anyone there"
            )),
            Capacity::Over { by } => Some(format!(
                "Over capacity: {occupied} people are here for {capacity} {}, {by} more than it can take. Ring ahead, and consider another place of safety",
                if capacity == 1 { "place" } else { "places" }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// The demo café: 18:00–23:00 every day, to 01:00 on Friday and Saturday nights.
    const CAFE: &str = "Mon 18:00–23:00; Tue 18:00–23:00; Wed 18:00–23:00; Thu 18:00–23:00; Fri 18:00–01:00; Sat 18:00–01:00; Sun 18:00–23:00";

    #[test]
    fn reads_hours_with_either_dash_and_refuses_nonsense() {
        let h = OpeningHours::parse("Mon 09:00-17:00; Fri 18:00–01:00").unwrap();
        assert_eq!(h.sessions.len(), 2);
        assert!(h.sessions[1].overnight());
        assert!(OpeningHours::parse("").unwrap().sessions.is_empty());
        assert!(OpeningHours::parse("Mondays 9 till 5").is_err());
        assert!(OpeningHours::parse("Mon 25:00–26:00").is_err());
        assert_eq!(
            open_now(false, "evenings", utc(2026, 1, 5, 12, 0)),
            OpenNow::Unknown
        );
        assert_eq!(
            open_now(false, "", utc(2026, 1, 5, 12, 0)),
            OpenNow::Unknown
        );
        assert_eq!(open_now(true, "", utc(2026, 1, 5, 12, 0)), OpenNow::Always);
    }

    #[test]
    fn the_cafe_is_closed_in_the_afternoon_and_says_when_it_opens() {
        // Monday 7 December 2026, 16:28 GMT: the "12 of 12 free" at a closed café.
        let s = open_now(false, CAFE, utc(2026, 12, 7, 16, 28));
        assert_eq!(
            s,
            OpenNow::Closed {
                next: Some((Weekday::Mon, NaiveTime::from_hms_opt(18, 0, 0).unwrap()))
            }
        );
        assert_eq!(s.words(), "Closed now: opens Mon 18:00");
        assert!(!s.is_open());
        assert_eq!(
            open_now(false, CAFE, utc(2026, 12, 7, 18, 0)),
            OpenNow::Open
        );
        assert_eq!(
            open_now(false, CAFE, utc(2026, 12, 7, 22, 59)),
            OpenNow::Open
        );
        assert!(!open_now(false, CAFE, utc(2026, 12, 7, 23, 0)).is_open());
    }

    #[test]
    fn overnight_sessions_run_past_midnight_into_the_next_day() {
        // Friday 11 December 2026 18:00 to Saturday 01:00 (GMT).
        assert!(open_now(false, CAFE, utc(2026, 12, 12, 0, 30)).is_open()); // Sat 00:30
        assert!(!open_now(false, CAFE, utc(2026, 12, 12, 1, 0)).is_open()); // Sat 01:00
        // Sunday night closes at 23:00: Monday 00:30 is closed.
        assert!(!open_now(false, CAFE, utc(2026, 12, 14, 0, 30)).is_open());
        // A Sunday-night session that runs into Monday wraps the week.
        let h = "Sun 22:00–02:00";
        assert!(open_now(false, h, utc(2026, 12, 14, 1, 0)).is_open()); // Mon 01:00
        assert_eq!(
            open_now(false, h, utc(2026, 12, 14, 3, 0)),
            OpenNow::Closed {
                next: Some((Weekday::Sun, NaiveTime::from_hms_opt(22, 0, 0).unwrap()))
            }
        );
    }

    #[test]
    fn hours_are_local_time_in_summer_and_winter() {
        // 17:30 UTC is 18:30 BST in July (open) but 17:30 GMT in January (closed).
        assert!(open_now(false, CAFE, utc(2026, 7, 6, 17, 30)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 1, 5, 17, 30)).is_open());
        // 22:30 UTC in July is 23:30 BST: closed on a Monday.
        assert!(!open_now(false, CAFE, utc(2026, 7, 6, 22, 30)).is_open());
    }

    #[test]
    fn the_nights_the_clocks_change() {
        // Clocks go forward at 01:00 GMT on Sunday 29 March 2026: Saturday's session ends at 01:00 local.
        // 00:30 GMT is 00:30 local: open; 00:59 GMT still open; 01:00 GMT is 02:00 BST: closed.
        assert!(open_now(false, CAFE, utc(2026, 3, 29, 0, 30)).is_open());
        assert!(open_now(false, CAFE, utc(2026, 3, 29, 0, 59)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 3, 29, 1, 0)).is_open());
        // Sunday 29 March evening, BST: 17:00 UTC is 18:00 local, open.
        assert!(open_now(false, CAFE, utc(2026, 3, 29, 17, 0)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 3, 29, 16, 59)).is_open());
        // Clocks go back at 02:00 BST (01:00 UTC) on Sunday 25 October 2026. Saturday's session ends at
        // 01:00 local: 23:30 UTC Saturday is 00:30 BST, open; 00:00 UTC is 01:00 BST, closed; 01:30 UTC
        // is 01:30 GMT (the repeated hour), still closed.
        assert!(open_now(false, CAFE, utc(2026, 10, 24, 23, 30)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 10, 25, 0, 0)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 10, 25, 1, 30)).is_open());
        // That Sunday evening is GMT: 18:00 UTC is 18:00 local, open; 17:30 UTC closed.
        assert!(open_now(false, CAFE, utc(2026, 10, 25, 18, 0)).is_open());
        assert!(!open_now(false, CAFE, utc(2026, 10, 25, 17, 30)).is_open());
    }

    #[test]
    fn capacity_in_words() {
        assert_eq!(Capacity::of(1, 2), Capacity::Free { free: 1 });
        assert_eq!(Capacity::of(2, 2), Capacity::Full);
        assert_eq!(Capacity::of(4, 2), Capacity::Over { by: 2 });
        assert_eq!(Capacity::warning(1, 2), None);
        assert!(Capacity::warning(2, 2).unwrap().starts_with("Full"));
        let w = Capacity::warning(4, 2).unwrap();
        assert!(
            w.starts_with("Over capacity: 4 people are here for 2 places"),
            "{w}"
        );
        assert!(Capacity::warning(2, 1).unwrap().contains("for 1 place,"));
    }
}
