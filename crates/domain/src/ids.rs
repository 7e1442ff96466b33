//! Identifiers that parse their input: once you hold an `NhsNumber` or a `Postcode`, it is valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier. The message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an NHS number has 10 digits (spaces are allowed); this has {0}")]
    NhsWrongLength(usize),
    #[error("an NHS number contains only digits and spaces")]
    NhsNotDigits,
    #[error("this is not a valid NHS number: the check digit does not match")]
    NhsCheckDigit,
    #[error("enter a full UK postcode, like LS1 4AP")]
    PostcodeFormat,
}

/// A 10-digit NHS number whose modulus 11 check digit is correct.
///
/// Rule (NHS Data Dictionary): weights 10..2 over the first nine digits; check = 11 - (sum mod 11);
/// 11 becomes 0; 10 means the number is invalid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// Parses "943 476 5919", "9434765919" or "943-476-5919".
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let mut digits = [0u8; 10];
        let mut n = 0usize;
        for c in input.trim().chars() {
            match c {
                '0'..='9' => {
                    if n < 10 {
                        digits[n] = c as u8 - b'0';
                    }
                    n += 1;
                }
                ' ' | '-' => {}
                _ => return Err(IdError::NhsNotDigits),
            }
        }
        if n != 10 {
            return Err(IdError::NhsWrongLength(n));
        }
        match check_digit(&digits[..9]) {
            Some(c) if c == digits[9] => Ok(Self(digits)),
            _ => Err(IdError::NhsCheckDigit),
        }
    }

    /// Builds a valid NHS number from a 9-digit stem, or `None` when the stem has no valid check digit.
    pub fn from_stem(stem: u32) -> Option<Self> {
        if stem >= 1_000_000_000 {
            return None;
        }
        let mut digits = [0u8; 10];
        let mut s = stem;
        for i in (0..9).rev() {
            digits[i] = (s % 10) as u8;
            s /= 10;
        }
        digits[9] = check_digit(&digits[..9])?;
        Some(Self(digits))
    }

    /// The ten digits with no spaces, as stored.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// Modulus 11 check digit for nine digits, or `None` when the result would be 10 (never issued).
fn check_digit(nine: &[u8]) -> Option<u8> {
    let sum: u32 = nine
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

impl fmt::Display for NhsNumber {
    /// The usual 3-3-4 presentation, "943 476 5919".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {} {}", &d[0..3], &d[3..6], &d[6..10])
    }
}

impl fmt::Debug for NhsNumber {
    /// Redacted: an NHS number is personal data and must not reach logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(***)")
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<NhsNumber> for String {
    fn from(n: NhsNumber) -> String {
        n.digits()
    }
}

/// A UK postcode, normalised to upper case with one space before the inward code ("LS1 4AP").
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

impl Postcode {
    /// Accepts any case and spacing. Checks the shape of the outward code (A9, A99, AA9, AA99, A9A, AA9A)
    /// and inward code (9AA); GIR 0AA is valid.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".into()));
        }
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(IdError::PostcodeFormat);
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let ib = inward.as_bytes();
        let inward_ok =
            ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
        let shape: String = outward
            .bytes()
            .map(|b| {
                if b.is_ascii_digit() {
                    '9'
                } else if b.is_ascii_alphabetic() {
                    'A'
                } else {
                    '?'
                }
            })
            .collect();
        let outward_ok = matches!(
            shape.as_str(),
            "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
        );
        if inward_ok && outward_ok {
            Ok(Self(format!("{outward} {inward}")))
        } else {
            Err(IdError::PostcodeFormat)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Outward code, e.g. "LS1".
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or("")
    }

    /// Sector, e.g. "LS1 4".
    pub fn sector(&self) -> &str {
        &self.0[..self.0.len() - 2]
    }

    /// District is the outward code, e.g. "LS1".
    pub fn district(&self) -> &str {
        self.outward()
    }

    /// Area: the leading letters, e.g. "LS".
    pub fn area(&self) -> &str {
        let o = self.outward();
        let end = o.find(|c: char| c.is_ascii_digit()).unwrap_or(o.len());
        &o[..end]
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Postcode {
    /// Only the district: a full postcode can identify a household.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Postcode({} ***)", self.outward())
    }
}

impl TryFrom<String> for Postcode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_nhs(input: &str, expect: Result<&str, IdError>) {
        assert_eq!(
            NhsNumber::parse(input).map(|n| n.digits()),
            expect.map(String::from),
            "{input}"
        );
    }

    #[test]
    fn nhs_numbers() {
        check_nhs("943 476 5919", Ok("9434765919"));
        check_nhs("9434765919", Ok("9434765919"));
        check_nhs("943-476-5919", Ok("9434765919"));
        check_nhs("9434765918", Err(IdError::NhsCheckDigit));
        check_nhs("943476591", Err(IdError::NhsWrongLength(9)));
        check_nhs("94347659190", Err(IdError::NhsWrongLength(11)));
        check_nhs("943476591X", Err(IdError::NhsNotDigits));
        check_nhs("", Err(IdError::NhsWrongLength(0)));
        // Remainder 1 gives check 10: never valid, whatever the last digit.
        // 1,2,3,4,5,6,7,8,9 weights 10..2: 10+18+24+28+30+30+28+24+18 = 210, 210 mod 11 = 1.
        for last in 0..=9 {
            check_nhs(&format!("123456789{last}"), Err(IdError::NhsCheckDigit));
        }
        // Remainder 0 gives check 11 which becomes 0.
        check_nhs("0000000000", Ok("0000000000"));
    }

    #[test]
    fn nhs_display_and_debug_redacts() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(n.to_string(), "943 476 5919");
        assert_eq!(format!("{n:?}"), "NhsNumber(***)");
    }

    #[test]
    fn from_stem_always_valid() {
        for stem in [943_476_591u32, 0, 999_999_999, 123_456_789] {
            if let Some(n) = NhsNumber::from_stem(stem) {
                assert_eq!(NhsNumber::parse(&n.digits()), Ok(n));
            }
        }
        assert!(NhsNumber::from_stem(123_456_789).is_none());
    }

    fn check_pc(input: &str, expect: Option<&str>) {
        assert_eq!(
            Postcode::parse(input).ok().map(|p| p.to_string()),
            expect.map(String::from),
            "{input}"
        );
    }

    #[test]
    fn postcodes() {
        check_pc("ls14ap", Some("LS1 4AP"));
        check_pc("  sw1a  1aa ", Some("SW1A 1AA"));
        check_pc("M1 1AE", Some("M1 1AE"));
        check_pc("B33 8TH", Some("B33 8TH"));
        check_pc("CR2 6XH", Some("CR2 6XH"));
        check_pc("W1A 0AX", Some("W1A 0AX"));
        check_pc("gir0aa", Some("GIR 0AA"));
        check_pc("LS1", None);
        check_pc("LS1 4A", None);
        check_pc("12345", None);
        check_pc("LS1 AAP", None);
        check_pc("ÉS1 4AP", None);
        let p = Postcode::parse("SW1A 1AA").unwrap();
        assert_eq!(
            (p.area(), p.district(), p.sector()),
            ("SW", "SW1A", "SW1A 1")
        );
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,20}") {
            let _ = NhsNumber::parse(&s);
            let _ = Postcode::parse(&s);
        }
    }
}
