//! Comparisons: for a pair of records, which agreement level each field reaches.
//!
//! A pair's levels are packed into one `u64` (a comparison vector, "gamma"): four bits per
//! comparison, `0` meaning at least one side is missing and `1..` the levels from the best
//! (exact) down to "else". Vectors are small integers, so the model's EM works on a histogram
//! of distinct vectors rather than on every pair.

use crate::dataset::{Dataset, Field, Sym};
use crate::standardise;
use serde::{Deserialize, Serialize};

/// A packed comparison vector.
pub type Gamma = u64;

/// Most comparisons a model can hold (4 bits each in a `u64`; the top 8 bits carry the
/// blocking-rule mask of a candidate pair).
pub const MAX_COMPARISONS: usize = 14;

/// What a comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareKind {
    FirstName,
    Surname,
    Dob,
    Sex,
    Postcode,
    NhsNumber,
    Address,
    Phone,
    Email,
    /// The n-th extra text column.
    Extra(usize),
}

impl CompareKind {
    /// Level labels from best to worst; level `i + 1` in a gamma is `labels()[i]`.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            CompareKind::FirstName => &[
                "exact",
                "nickname",
                "Jaro-Winkler >= 0.92",
                "same Soundex",
                "Jaro-Winkler >= 0.80",
                "else",
            ],
            CompareKind::Surname => &[
                "exact",
                "Jaro-Winkler >= 0.92",
                "part of double-barrelled",
                "same Soundex",
                "Jaro-Winkler >= 0.80",
                "else",
            ],
            CompareKind::Dob => &[
                "exact",
                "day and month swapped",
                "one component differs",
                "year within 1",
                "else",
            ],
            CompareKind::Postcode => &["exact", "same sector", "same district", "else"],
            CompareKind::Address | CompareKind::Extra(_) => &[
                "exact",
                "Jaro-Winkler >= 0.90",
                "Jaro-Winkler >= 0.75",
                "else",
            ],
            CompareKind::Sex | CompareKind::NhsNumber | CompareKind::Phone | CompareKind::Email => {
                &["exact", "else"]
            }
        }
    }

    /// Whether exact agreement gets a term-frequency adjustment (rare values count for more).
    pub fn term_frequency(self) -> bool {
        matches!(
            self,
            CompareKind::FirstName | CompareKind::Surname | CompareKind::Postcode
        )
    }

    /// The comparisons available for the fields present in a dataset, in a fixed order.
    pub fn for_dataset(ds: &Dataset) -> Vec<CompareKind> {
        let mut out = Vec::new();
        let fields = [
            (Field::FirstName, CompareKind::FirstName),
            (Field::Surname, CompareKind::Surname),
            (Field::Dob, CompareKind::Dob),
            (Field::Sex, CompareKind::Sex),
            (Field::Postcode, CompareKind::Postcode),
            (Field::Address, CompareKind::Address),
            (Field::NhsNumber, CompareKind::NhsNumber),
            (Field::Phone, CompareKind::Phone),
            (Field::Email, CompareKind::Email),
        ];
        for (f, k) in fields {
            if ds.has(f) {
                out.push(k);
            }
        }
        for i in 0..ds.extra_names.len() {
            out.push(CompareKind::Extra(i));
        }
        out.truncate(MAX_COMPARISONS);
        out
    }

    /// A short name for tables and the model file.
    pub fn name(self, ds_extra: &[String]) -> String {
        match self {
            CompareKind::FirstName => "first_name".into(),
            CompareKind::Surname => "surname".into(),
            CompareKind::Dob => "dob".into(),
            CompareKind::Sex => "sex".into(),
            CompareKind::Postcode => "postcode".into(),
            CompareKind::NhsNumber => "nhs_number".into(),
            CompareKind::Address => "address".into(),
            CompareKind::Phone => "phone".into(),
            CompareKind::Email => "email".into(),
            CompareKind::Extra(i) => ds_extra
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("extra_{i}")),
        }
    }
}

/// The level of comparison `k` in a packed vector.
#[inline]
pub fn level(g: Gamma, k: usize) -> u8 {
    ((g >> (4 * k)) & 0xf) as u8
}

/// Jaro-Winkler similarity on ASCII bytes without allocating (names are short); falls back to
/// `strsim` for long or non-ASCII strings.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.len() > 64 || y.len() > 64 || !a.is_ascii() || !b.is_ascii() {
        return strsim::jaro_winkler(a, b);
    }
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let window = (x.len().max(y.len()) / 2).saturating_sub(1);
    let mut x_match = [false; 64];
    let mut y_match = [false; 64];
    let mut matches = 0usize;
    for (i, &cx) in x.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(y.len());
        for j in lo..hi {
            if !y_match[j] && y[j] == cx {
                x_match[i] = true;
                y_match[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &cx) in x.iter().enumerate() {
        if x_match[i] {
            while !y_match[j] {
                j += 1;
            }
            if cx != y[j] {
                transpositions += 1;
            }
            j += 1;
        }
    }
    let m = matches as f64;
    let jaro =
        (m / x.len() as f64 + m / y.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0;
    // Winkler's boost for a common prefix applies only above the boost threshold of 0.7, as in strsim
    // and the original definition; below it two short strings sharing a first letter would be lifted
    // towards the agreement levels.
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Whether two strings are at most one edit apart (insert, delete, substitute or swap neighbours).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x == y {
        return true;
    }
    let (lx, ly) = (x.len(), y.len());
    if lx.abs_diff(ly) > 1 {
        return false;
    }
    let p = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    if lx == ly {
        // Substitution, or transposition of neighbours.
        x[p + 1..] == y[p + 1..]
            || (p + 1 < lx && x[p] == y[p + 1] && x[p + 1] == y[p] && x[p + 2..] == y[p + 2..])
    } else if lx > ly {
        x[p + 1..] == y[p..]
    } else {
        x[p..] == y[p + 1..]
    }
}

fn jw_levels(sim: f64, exact: u8, bands: &[(f64, u8)], else_level: u8) -> u8 {
    if sim >= 1.0 {
        return exact;
    }
    for &(t, l) in bands {
        if sim >= t {
            return l;
        }
    }
    else_level
}

/// Computes comparison vectors for pairs of one dataset.
pub struct Comparer<'a> {
    ds: &'a Dataset,
    kinds: Vec<CompareKind>,
}

impl<'a> Comparer<'a> {
    pub fn new(ds: &'a Dataset, kinds: &[CompareKind]) -> Self {
        Self {
            ds,
            kinds: kinds.to_vec(),
        }
    }

    pub fn kinds(&self) -> &[CompareKind] {
        &self.kinds
    }

    fn s(&self, k: Sym) -> &str {
        self.ds.strings.resolve(k)
    }

    /// The comparison vector of records `a` and `b`.
    pub fn gamma(&self, a: usize, b: usize) -> Gamma {
        let mut g: Gamma = 0;
        let (mut first_k, mut surname_k) = (None, None);
        for (k, &kind) in self.kinds.iter().enumerate() {
            match kind {
                CompareKind::FirstName => first_k = Some(k),
                CompareKind::Surname => surname_k = Some(k),
                _ => {}
            }
            g |= Gamma::from(self.level_of(kind, a, b)) << (4 * k);
        }
        // Forename and surname written the other way round in one record: when one name
        // matches across, compare both across and keep that reading if it agrees better.
        if let (Some(fk), Some(sk)) = (first_k, surname_k) {
            let r = &self.ds.records;
            let cross = (r.first[a] != 0 && r.first[a] == r.surname[b])
                || (r.surname[a] != 0 && r.surname[a] == r.first[b]);
            if cross {
                let (lf, ls) = (level(g, fk), level(g, sk));
                let nick_sa = standardise::nickname_groups(self.s(r.surname[a]));
                let cf = self.first_level(
                    (r.surname[a], nick_sa, r.surname_sdx[a]),
                    (r.first[b], r.first_nick[b], r.first_sdx[b]),
                );
                let cs = self.surname_level(
                    (r.first[a], r.first_sdx[a]),
                    (r.surname[b], r.surname_sdx[b]),
                );
                if cf > 0 && cs > 0 && (lf == 0 || ls == 0 || cf + cs < lf + ls) {
                    g &= !((0xf << (4 * fk)) | (0xf << (4 * sk)));
                    g |= (Gamma::from(cf) << (4 * fk)) | (Gamma::from(cs) << (4 * sk));
                }
            }
        }
        g
    }

    /// Forename levels for (symbol, nickname groups, Soundex) of each side.
    fn first_level(&self, (x, nx, sx): (Sym, u128, u32), (y, ny, sy): (Sym, u128, u32)) -> u8 {
        if x == 0 || y == 0 {
            return 0;
        }
        if x == y {
            return 1;
        }
        if nx & ny != 0 {
            return 2;
        }
        let sim = jaro_winkler(self.s(x), self.s(y));
        if sim >= 0.92 {
            3
        } else if sx == sy {
            4
        } else if sim >= 0.8 {
            5
        } else {
            6
        }
    }

    /// Surname levels for (symbol, Soundex) of each side.
    fn surname_level(&self, (x, dx): (Sym, u32), (y, dy): (Sym, u32)) -> u8 {
        if x == 0 || y == 0 {
            return 0;
        }
        if x == y {
            return 1;
        }
        let (sx, sy) = (self.s(x), self.s(y));
        let sim = jaro_winkler(sx, sy);
        if sim >= 0.92 {
            return 2;
        }
        // One part of a double-barrelled name, allowing a typo in it.
        let part = |long: &str, short: &str| {
            long.contains(' ')
                && long
                    .split(' ')
                    .any(|w| w == short || jaro_winkler(w, short) >= 0.92)
        };
        if part(sx, sy) || part(sy, sx) {
            3
        } else if dx == dy {
            4
        } else if sim >= 0.8 {
            5
        } else {
            6
        }
    }

    /// The level reached by one comparison (0 when either side is missing).
    pub fn level_of(&self, kind: CompareKind, a: usize, b: usize) -> u8 {
        let r = &self.ds.records;
        match kind {
            CompareKind::FirstName => self.first_level(
                (r.first[a], r.first_nick[a], r.first_sdx[a]),
                (r.first[b], r.first_nick[b], r.first_sdx[b]),
            ),
            CompareKind::Surname => self.surname_level(
                (r.surname[a], r.surname_sdx[a]),
                (r.surname[b], r.surname_sdx[b]),
            ),
            CompareKind::Dob => {
                let (x, y) = (r.dob[a], r.dob[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let (ya, ma, da) = (x / 10_000, x / 100 % 100, x % 100);
                let (yb, mb, db) = (y / 10_000, y / 100 % 100, y % 100);
                if ya == yb && ma == db && da == mb {
                    2
                } else if u8::from(ya != yb) + u8::from(ma != mb) + u8::from(da != db) == 1 {
                    3
                } else if ya.abs_diff(yb) <= 1 {
                    4
                } else {
                    5
                }
            }
            CompareKind::Sex => {
                let (x, y) = (r.sex[a], r.sex[b]);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else {
                    2
                }
            }
            CompareKind::Postcode => {
                let (x, y) = (r.postcode[a], r.postcode[b]);
                if x == 0 || y == 0 {
                    return 0;
                }
                if x == y {
                    return 1;
                }
                let (sa, sb) = (r.sector[a], r.sector[b]);
                if sa != 0 && sb != 0 {
                    if sa == sb {
                        2
                    } else if r.district[a] == r.district[b] {
                        3
                    } else {
                        4
                    }
                } else if within_one_edit(self.s(x), self.s(y)) {
                    // Codes that are not UK postcodes: one typo counts as "close".
                    2
                } else {
                    4
                }
            }
            CompareKind::NhsNumber => {
                let (x, y) = (r.nhs[a], r.nhs[b]);
                if x == 0 || y == 0 {
                    0
                } else if x == y {
                    1
                } else {
                    2
                }
            }
            CompareKind::Phone => exact_level(r.phone[a], r.phone[b]),
            CompareKind::Email => exact_level(r.email[a], r.email[b]),
            CompareKind::Address => self.text_level(r.address[a], r.address[b]),
            CompareKind::Extra(i) => {
                let col = &r.extra[i];
                self.text_level(col[a], col[b])
            }
        }
    }

    fn text_level(&self, x: Sym, y: Sym) -> u8 {
        if x == 0 || y == 0 {
            return 0;
        }
        if x == y {
            return 1;
        }
        jw_levels(
            jaro_winkler(self.s(x), self.s(y)),
            1,
            &[(0.9, 2), (0.75, 3)],
            4,
        )
    }
}

fn exact_level(x: Sym, y: Sym) -> u8 {
    if x == 0 || y == 0 {
        0
    } else if x == y {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::RawRecord;

    #[test]
    fn jaro_winkler_matches_strsim() {
        for (a, b) in [
            ("martha", "marhta"),
            ("dwayne", "duane"),
            ("dixon", "dicksonx"),
            ("smith", "smyth"),
            ("a", "b"),
            ("", "x"),
            ("jones", "jones"),
        ] {
            let ours = jaro_winkler(a, b);
            let theirs = strsim::jaro_winkler(a, b);
            assert!((ours - theirs).abs() < 1e-9, "{a} {b}: {ours} vs {theirs}");
        }
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("2602", "2620"));
        assert!(within_one_edit("2602", "2603"));
        assert!(!within_one_edit("1234", "4321"));
        assert!(within_one_edit("2602", "2062"));
        assert!(within_one_edit("260", "2602"));
        assert!(!within_one_edit("26", "2602"));
    }

    fn ds(rows: &[(&str, &str, &str, &str)]) -> Dataset {
        let raw: Vec<RawRecord> = rows
            .iter()
            .map(|(f, s, d, p)| RawRecord {
                first_name: (*f).into(),
                surname: (*s).into(),
                dob: (*d).into(),
                postcode: (*p).into(),
                ..Default::default()
            })
            .collect();
        Dataset::from_raw(
            &raw,
            &[
                Field::FirstName,
                Field::Surname,
                Field::Dob,
                Field::Postcode,
            ],
            &[],
        )
        .unwrap()
    }

    fn check(a: (&str, &str, &str, &str), b: (&str, &str, &str, &str), expect: [&str; 4]) {
        let d = ds(&[a, b]);
        let kinds = CompareKind::for_dataset(&d);
        let c = Comparer::new(&d, &kinds);
        let g = c.gamma(0, 1);
        let got: Vec<&str> = kinds
            .iter()
            .enumerate()
            .map(|(k, kind)| match level(g, k) {
                0 => "null",
                l => kind.labels()[l as usize - 1],
            })
            .collect();
        assert_eq!(got, expect, "{a:?} vs {b:?}");
    }

    #[test]
    fn levels() {
        check(
            ("Bill", "Smith", "1980-02-01", "LS1 4AP"),
            ("William", "Smith", "01/02/1980", "ls14ap"),
            ["nickname", "exact", "exact", "exact"],
        );
        check(
            ("Jon", "Smith-Jones", "1980-01-02", "LS1 4AP"),
            ("John", "Jones", "1980-02-01", "LS1 4BB"),
            [
                "nickname",
                "part of double-barrelled",
                "day and month swapped",
                "same sector",
            ],
        );
        check(
            ("Smith", "John", "1980-01-02", "LS1 4AP"),
            ("John", "Smith", "1981-01-02", "LS1 9ZZ"),
            ["exact", "exact", "one component differs", "same district"],
        );
        check(
            ("Ann", "", "1980-01-02", "LS1 4AP"),
            ("Zebedee", "Smith", "1981-03-05", "LS2 4AP"),
            ["else", "null", "year within 1", "else"],
        );
        check(
            ("Catherine", "Thompson", "", "LS1 4AP"),
            ("Katharine", "Thomson", "1981-03-05", "LS1 5QQ"),
            [
                "Jaro-Winkler >= 0.80",
                "Jaro-Winkler >= 0.92",
                "null",
                "same district",
            ],
        );
    }

    proptest::proptest! {
        #[test]
        fn jaro_winkler_in_unit_interval_and_symmetric(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            let s = jaro_winkler(&a, &b);
            proptest::prop_assert!((0.0..=1.0 + 1e-9).contains(&s));
            if a.is_ascii() && b.is_ascii() {
                proptest::prop_assert!((s - strsim::jaro_winkler(&a, &b)).abs() < 1e-9);
            }
        }

        #[test]
        fn one_edit_symmetric(a in "[a-c]{0,5}", b in "[a-c]{0,5}") {
            proptest::prop_assert_eq!(within_one_edit(&a, &b), within_one_edit(&b, &a));
            proptest::prop_assert_eq!(within_one_edit(&a, &b), strsim::damerau_levenshtein(&a, &b) <= 1);
        }
    }
}
