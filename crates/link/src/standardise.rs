//! Standardisation: the same value written differently by two agencies should come out identical.
//!
//! Every function here is total: it never panics, whatever bytes it is given, and returns `None`
//! (missing) rather than guessing when a value cannot be read.

use chrono::{Datelike, NaiveDate};

/// Folds common Latin accents to ASCII ("Zoë" → "zoe"); other letters are lower-cased as they are.
fn fold_char(c: char, out: &mut String) {
    let folded = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Č' | 'č' | 'Ć' | 'ć' => "c",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ę' | 'ę' | 'Ě' | 'ě' => "e",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' => "i",
        'Ñ' | 'ñ' | 'Ń' | 'ń' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' => "o",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' => "u",
        'Ý' | 'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'Š' | 'š' | 'Ś' | 'ś' => "s",
        'Ž' | 'ž' | 'Ź' | 'ź' | 'Ż' | 'ż' => "z",
        'Ł' | 'ł' => "l",
        _ => {
            // Lower-casing can yield combining marks ("İ" → "i\u{307}") or a letter the table folds
            // ("ẞ" → "ß"): drop the marks and fold again, so normalising twice changes nothing.
            for l in c.to_lowercase() {
                if !l.is_alphanumeric() {
                    continue;
                }
                if l == c {
                    out.push(l);
                } else {
                    fold_char(l, out);
                }
            }
            return;
        }
    };
    out.push_str(folded);
}

/// Lower case, accents folded, apostrophes dropped ("O'Neil" → "oneil"), other punctuation
/// (hyphens, dots, commas) turned into single spaces, whitespace collapsed and trimmed.
pub fn normalise_text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                fold_char(c, &mut out);
            }
        } else if matches!(c, '\'' | '’' | '`' | '‘') {
            // Apostrophes join: "O'Brien" and "OBrien" are the same name.
        } else {
            pending_space = true;
        }
    }
    out
}

/// Words that are titles or placeholders rather than part of a name.
const NOT_NAMES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "unknown", "na", "nk", "null",
    "none", "notknown", "n a",
];

/// A standardised forename: the first word after titles, or `None` when nothing is left.
pub fn forename(input: &str) -> Option<String> {
    let n = normalise_text(input);
    n.split(' ')
        .find(|w| !w.is_empty() && !NOT_NAMES.contains(w))
        .map(str::to_owned)
}

/// A standardised surname: all words kept (double-barrelled names become "smith jones").
pub fn surname(input: &str) -> Option<String> {
    let n = normalise_text(input);
    let words: Vec<&str> = n
        .split(' ')
        .filter(|w| !w.is_empty() && !NOT_NAMES.contains(w))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

/// Any other text field: normalised, `None` when empty.
pub fn text(input: &str) -> Option<String> {
    let n = normalise_text(input);
    if n.is_empty() || NOT_NAMES.contains(&n.as_str()) {
        None
    } else {
        Some(n)
    }
}

/// Street-type abbreviations agencies write both ways.
const ADDRESS_WORDS: &[(&str, &str)] = &[
    ("rd", "road"),
    ("st", "street"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("ln", "lane"),
    ("dr", "drive"),
    ("cres", "crescent"),
    ("cl", "close"),
    ("ct", "court"),
    ("pl", "place"),
    ("sq", "square"),
    ("gdns", "gardens"),
    ("tce", "terrace"),
    ("flt", "flat"),
];

/// An address line: normalised, with common street-type abbreviations expanded.
pub fn address(input: &str) -> Option<String> {
    let n = normalise_text(input);
    if n.is_empty() {
        return None;
    }
    let words: Vec<&str> = n
        .split(' ')
        .map(|w| {
            ADDRESS_WORDS
                .iter()
                .find(|(abbr, _)| *abbr == w)
                .map_or(w, |(_, full)| *full)
        })
        .collect();
    Some(words.join(" "))
}

/// A UK phone number as digits, with +44/0044 turned into a leading 0; `None` when under 9 digits.
pub fn phone(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let d = if let Some(rest) = digits.strip_prefix("0044") {
        format!("0{rest}")
    } else if input.trim_start().starts_with('+') && digits.starts_with("44") {
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    (d.len() >= 9).then_some(d)
}

/// An email address lower-cased and trimmed; `None` without an `@`.
pub fn email(input: &str) -> Option<String> {
    let e = input.trim().to_lowercase();
    (e.contains('@') && e.len() >= 3).then_some(e)
}

/// Sex coded 1 (male), 2 (female), 3 (another value that is not "unknown"); `None` when missing.
pub fn sex(input: &str) -> Option<u8> {
    match normalise_text(input).as_str() {
        "" | "u" | "unknown" | "not known" | "nk" | "0" | "9" => None,
        "m" | "male" | "man" | "1" => Some(1),
        "f" | "female" | "woman" | "2" => Some(2),
        _ => Some(3),
    }
}

/// A date of birth packed as `yyyymmdd` in a `u32` (so it sorts and compares by component).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dob(pub u32);

impl Dob {
    pub fn new(y: i32, m: u32, d: u32) -> Option<Self> {
        let date = NaiveDate::from_ymd_opt(y, m, d)?;
        if !(1880..=2100).contains(&date.year()) {
            return None;
        }
        Some(Self(date.year() as u32 * 10_000 + m * 100 + d))
    }
    pub fn year(self) -> u32 {
        self.0 / 10_000
    }
    pub fn month(self) -> u32 {
        self.0 / 100 % 100
    }
    pub fn day(self) -> u32 {
        self.0 % 100
    }
}

impl std::fmt::Display for Dob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// What became of a date field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateParse {
    #[default]
    Missing,
    /// Read as a date in a known format, but not a real date (31/02/1980) or outside 1880–2100.
    Impossible,
    /// Not in any format we read (including two-digit years, which we never guess).
    Unreadable,
    Ok(Dob),
}

/// Reads a date in the formats agencies use: ISO `yyyy-mm-dd` (optionally with a time),
/// `yyyymmdd`, `yyyy/mm/dd`, and UK day-first `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`
/// (one- or two-digit day and month). Month-first US dates are not accepted: UK agencies write day first.
pub fn parse_date(input: &str) -> DateParse {
    let s = input.trim();
    // A time part after the date ("1980-02-01T00:00:00" or "01/02/1980 00:00") is ignored.
    let s = s.split(['T', ' ']).next().unwrap_or("");
    if s.is_empty() {
        return DateParse::Missing;
    }
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            p.parse().ok()
        }
    };
    let (y, m, d) = match parts.as_slice() {
        [one] if one.len() == 8 && one.bytes().all(|b| b.is_ascii_digit()) => {
            let (Some(y), Some(m), Some(d)) = (num(&one[..4]), num(&one[4..6]), num(&one[6..]))
            else {
                return DateParse::Unreadable;
            };
            (y, m, d)
        }
        [a, b, c] => {
            let (Some(na), Some(nb), Some(nc)) = (num(a), num(b), num(c)) else {
                return DateParse::Unreadable;
            };
            if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
                (na, nb, nc)
            } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
                (nc, nb, na)
            } else {
                return DateParse::Unreadable;
            }
        }
        _ => return DateParse::Unreadable,
    };
    match Dob::new(y as i32, m, d) {
        Some(dob) => DateParse::Ok(dob),
        None => DateParse::Impossible,
    }
}

/// American Soundex of the letters in `s` (non-letters skipped); `None` when there are no letters.
/// Chosen over Double Metaphone for its small, well-specified rules: it is the blocking and
/// comparison fallback, not the main evidence.
pub fn soundex(s: &str) -> Option<[u8; 4]> {
    fn code(c: u8) -> u8 {
        match c {
            b'b' | b'f' | b'p' | b'v' => b'1',
            b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => b'2',
            b'd' | b't' => b'3',
            b'l' => b'4',
            b'm' | b'n' => b'5',
            b'r' => b'6',
            b'h' | b'w' => b'h',
            _ => b'0',
        }
    }
    let mut letters = s
        .bytes()
        .map(|b| b.to_ascii_lowercase())
        .filter(u8::is_ascii_lowercase);
    let first = letters.next()?;
    let mut out = [first.to_ascii_uppercase(), b'0', b'0', b'0'];
    let mut n = 1;
    let mut last = code(first);
    for c in letters {
        let k = code(c);
        if k == b'h' {
            // h and w do not separate letters with the same code.
            continue;
        }
        if k != b'0' && k != last {
            out[n] = k;
            n += 1;
            if n == 4 {
                break;
            }
        }
        last = k;
    }
    Some(out)
}

/// Common English nicknames and the formal name they stand for (both standardised).
/// Compact on purpose: it covers the variants that appear most in UK records.
const NICKNAMES: &[(&str, &[&str])] = &[
    (
        "william",
        &["bill", "billy", "will", "willy", "liam", "wil"],
    ),
    (
        "robert",
        &["bob", "bobby", "rob", "robbie", "bert", "robby"],
    ),
    (
        "margaret",
        &[
            "peggy", "maggie", "meg", "marge", "margie", "maggy", "greta",
        ],
    ),
    (
        "elizabeth",
        &[
            "liz",
            "lizzie",
            "beth",
            "betty",
            "eliza",
            "libby",
            "lisa",
            "bess",
            "lizzy",
            "betsy",
            "elisabeth",
        ],
    ),
    ("richard", &["dick", "rick", "ricky", "rich", "richie"]),
    ("james", &["jim", "jimmy", "jamie", "jas"]),
    ("john", &["jack", "johnny", "jon"]),
    ("jonathan", &["jon", "jonny", "jonty"]),
    ("thomas", &["tom", "tommy"]),
    ("michael", &["mike", "mick", "micky", "mikey"]),
    ("christopher", &["chris", "kit", "topher"]),
    ("christine", &["chris", "chrissie", "tina"]),
    ("christina", &["chris", "tina", "chrissy"]),
    ("anthony", &["tony", "ant"]),
    ("edward", &["ed", "eddie", "ted", "ned", "teddy"]),
    ("charles", &["charlie", "chas", "chuck"]),
    ("joseph", &["joe", "joey"]),
    ("daniel", &["dan", "danny"]),
    ("david", &["dave", "davy", "davey"]),
    ("matthew", &["matt", "matty"]),
    ("andrew", &["andy", "drew"]),
    ("alexander", &["alex", "sandy", "xander", "alec", "sasha"]),
    ("alexandra", &["alex", "sandra", "lexi", "sasha"]),
    ("benjamin", &["ben", "benny", "benji"]),
    ("samuel", &["sam", "sammy"]),
    ("samantha", &["sam", "sammie"]),
    ("nicholas", &["nick", "nicky"]),
    ("nicola", &["nicky", "nikki"]),
    ("stephen", &["steve", "stevie", "steven"]),
    ("steven", &["steve", "stevie"]),
    ("peter", &["pete"]),
    ("patrick", &["pat", "paddy"]),
    ("patricia", &["pat", "patty", "trish", "tricia"]),
    ("timothy", &["tim", "timmy"]),
    ("gregory", &["greg"]),
    ("kenneth", &["ken", "kenny"]),
    ("ronald", &["ron", "ronnie"]),
    ("donald", &["don", "donny"]),
    ("frederick", &["fred", "freddie", "freddy"]),
    ("henry", &["harry", "hal", "hank"]),
    ("harold", &["harry", "hal"]),
    ("lawrence", &["larry", "laurie"]),
    ("leonard", &["len", "lenny", "leo"]),
    ("raymond", &["ray"]),
    ("philip", &["phil", "pip"]),
    ("phillip", &["phil"]),
    ("terence", &["terry", "tel"]),
    ("gerald", &["gerry", "jerry"]),
    ("geoffrey", &["geoff", "jeff"]),
    ("jeffrey", &["jeff"]),
    ("francis", &["frank", "fran"]),
    ("frances", &["fran", "frankie", "fanny"]),
    ("albert", &["al", "bert", "bertie"]),
    ("alfred", &["alf", "alfie", "fred"]),
    ("arthur", &["art", "artie"]),
    ("archibald", &["archie"]),
    ("douglas", &["doug", "dougie"]),
    ("duncan", &["dunc"]),
    ("nathaniel", &["nat", "nate"]),
    ("nathan", &["nat", "nate"]),
    ("oliver", &["ollie", "olly"]),
    ("olivia", &["liv", "livvy", "ollie"]),
    ("zachary", &["zach", "zack"]),
    ("joshua", &["josh"]),
    ("jacob", &["jake"]),
    ("callum", &["cal"]),
    ("cameron", &["cam"]),
    (
        "mohammed",
        &["mohammad", "muhammad", "mohamed", "mo", "mohamad"],
    ),
    (
        "catherine",
        &[
            "cath",
            "cathy",
            "kate",
            "katie",
            "kath",
            "kathy",
            "kay",
            "katherine",
            "kathryn",
            "cate",
        ],
    ),
    (
        "katherine",
        &["kate", "katie", "kathy", "kath", "kat", "kathryn"],
    ),
    ("rebecca", &["becky", "becca", "bex"]),
    ("deborah", &["debbie", "deb", "debra"]),
    ("susan", &["sue", "susie", "suzy"]),
    ("suzanne", &["sue", "suzie"]),
    ("jennifer", &["jen", "jenny", "jenni"]),
    ("victoria", &["vicky", "vicki", "tori"]),
    ("abigail", &["abby", "abbie", "gail"]),
    ("jessica", &["jess", "jessie"]),
    ("amanda", &["mandy", "manda"]),
    ("dorothy", &["dot", "dotty", "dolly"]),
    ("barbara", &["barb", "babs"]),
    ("helen", &["nell", "nellie"]),
    ("eleanor", &["ellie", "nell", "nora", "elle"]),
    ("ellen", &["ellie", "nell"]),
    ("mary", &["molly", "polly", "mae", "may", "mollie"]),
    ("sarah", &["sally", "sara", "sadie"]),
    ("ann", &["annie", "anne", "nancy"]),
    ("anne", &["annie", "ann"]),
    ("joanne", &["jo", "joanna"]),
    ("josephine", &["jo", "josie"]),
    ("judith", &["judy", "jude"]),
    ("gillian", &["gill", "jill"]),
    ("jacqueline", &["jackie", "jacqui"]),
    ("pamela", &["pam"]),
    ("angela", &["angie"]),
    ("theresa", &["terri", "tess", "tessa", "teresa"]),
    ("valerie", &["val"]),
    ("veronica", &["ronnie", "vera"]),
    ("caroline", &["carol", "carrie", "caz"]),
    ("charlotte", &["lottie", "charlie", "lotte"]),
    ("florence", &["flo", "flossie"]),
    ("emily", &["em", "emmy"]),
    ("emma", &["em"]),
    ("hannah", &["han"]),
    ("louise", &["lou", "lulu"]),
    ("lucy", &["lou"]),
    ("natalie", &["nat"]),
    ("natasha", &["tash", "tasha"]),
    ("penelope", &["penny"]),
    ("stephanie", &["steph"]),
    ("sophie", &["soph"]),
    ("virginia", &["ginny"]),
    ("winifred", &["winnie"]),
    ("wendy", &["wend"]),
    ("kimberley", &["kim"]),
    ("kimberly", &["kim"]),
];

/// The formal name a nickname stands for ("bill" → "william"); a formal name maps to itself.
/// Returns `None` for names not in the table. When a nickname fits several names ("chris")
/// the first listed is used: both sides of a comparison map the same way, so it still matches.
pub fn canonical_forename(name: &str) -> Option<&'static str> {
    for (formal, nicks) in NICKNAMES {
        if *formal == name || nicks.contains(&name) {
            return Some(formal);
        }
    }
    None
}

/// The nickname groups a standardised forename belongs to, as a bit set over the table's
/// entries (0 when it is in none). Two names are nickname variants when their sets intersect,
/// which costs one AND per comparison instead of a table scan.
pub fn nickname_groups(name: &str) -> u128 {
    let mut set = 0u128;
    for (i, (formal, nicks)) in NICKNAMES.iter().enumerate().take(128) {
        if *formal == name || nicks.contains(&name) {
            set |= 1 << i;
        }
    }
    set
}

/// Whether two standardised forenames are nickname variants of one another.
pub fn nickname_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    NICKNAMES.iter().any(|(formal, nicks)| {
        (*formal == a || nicks.contains(&a)) && (*formal == b || nicks.contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_date(input: &str, expect: DateParse) {
        assert_eq!(parse_date(input), expect, "{input:?}");
    }

    fn ok(y: i32, m: u32, d: u32) -> DateParse {
        DateParse::Ok(Dob::new(y, m, d).unwrap())
    }

    #[test]
    fn dates_in_agency_formats() {
        check_date("1980-02-01", ok(1980, 2, 1));
        check_date("19800201", ok(1980, 2, 1));
        check_date("01/02/1980", ok(1980, 2, 1));
        check_date("1/2/1980", ok(1980, 2, 1));
        check_date("01-02-1980", ok(1980, 2, 1));
        check_date("01.02.1980", ok(1980, 2, 1));
        check_date("1980/02/01", ok(1980, 2, 1));
        check_date("1980-02-01T00:00:00", ok(1980, 2, 1));
        check_date("01/02/1980 00:00", ok(1980, 2, 1));
        check_date(" ", DateParse::Missing);
        check_date("31/02/1980", DateParse::Impossible);
        check_date("1980-13-01", DateParse::Impossible);
        check_date("01/02/1066", DateParse::Impossible);
        check_date("01/02/80", DateParse::Unreadable);
        check_date("yesterday", DateParse::Unreadable);
        check_date("1980-02", DateParse::Unreadable);
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(forename("  Zoë-Ann "), Some("zoe".into()));
        assert_eq!(forename("Mr John"), Some("john".into()));
        assert_eq!(surname("O'Brien"), Some("obrien".into()));
        assert_eq!(surname("Smith-Jones"), Some("smith jones".into()));
        assert_eq!(surname(" - "), None);
        assert_eq!(address("12 High St."), Some("12 high street".into()));
    }

    #[test]
    fn soundex_known_values() {
        let s = |x| soundex(x).map(|c| String::from_utf8_lossy(&c).into_owned());
        assert_eq!(s("Robert").as_deref(), Some("R163"));
        assert_eq!(s("Rupert").as_deref(), Some("R163"));
        assert_eq!(s("Ashcraft").as_deref(), Some("A261"));
        assert_eq!(s("Tymczak").as_deref(), Some("T522"));
        assert_eq!(s("Pfister").as_deref(), Some("P236"));
        assert_eq!(s("Lee").as_deref(), Some("L000"));
        assert_eq!(s("123"), None);
    }

    #[test]
    fn nicknames() {
        assert!(nickname_match("bill", "william"));
        assert!(nickname_match("peggy", "maggie"));
        assert!(nickname_match("liz", "elizabeth"));
        assert!(!nickname_match("bill", "robert"));
        assert_eq!(canonical_forename("bob"), Some("robert"));
    }

    #[test]
    fn phone_sex_email() {
        assert_eq!(phone("+44 7700 900123").as_deref(), Some("07700900123"));
        assert_eq!(phone("0113 496 0000").as_deref(), Some("01134960000"));
        assert_eq!(phone("999"), None);
        assert_eq!(sex("F"), Some(2));
        assert_eq!(sex("Male"), Some(1));
        assert_eq!(sex("unknown"), None);
        assert_eq!(email(" A@B.com "), Some("a@b.com".into()));
    }

    #[test]
    fn normalise_folds_what_lower_casing_leaves() {
        for s in ["İ", "ẞ", "İstanbul Straße"] {
            let once = normalise_text(s);
            assert_eq!(normalise_text(&once), once, "{s}");
        }
        assert_eq!(normalise_text("İ"), "i");
        assert_eq!(normalise_text("ẞ"), "ss");
    }

    proptest::proptest! {
        #[test]
        fn standardisers_never_panic(s in "\\PC{0,30}") {
            let _ = parse_date(&s);
            let _ = forename(&s);
            let _ = surname(&s);
            let _ = address(&s);
            let _ = phone(&s);
            let _ = sex(&s);
            let _ = soundex(&s);
        }

        #[test]
        fn normalise_is_idempotent(s in "\\PC{0,30}") {
            let once = normalise_text(&s);
            proptest::prop_assert_eq!(normalise_text(&once), once.clone());
        }

        #[test]
        fn valid_dates_round_trip(y in 1900i32..2050, m in 1u32..13, d in 1u32..29) {
            let dob = Dob::new(y, m, d).unwrap();
            proptest::prop_assert_eq!(parse_date(&format!("{d:02}/{m:02}/{y}")), DateParse::Ok(dob));
            proptest::prop_assert_eq!(parse_date(&dob.to_string()), DateParse::Ok(dob));
        }
    }
}
