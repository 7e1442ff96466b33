//! A small deterministic generator for test inputs: people with several records each,
//! written the way different agencies write them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const FIRST: &[&str] = &[
    "William",
    "Margaret",
    "Robert",
    "Elizabeth",
    "James",
    "Sarah",
    "Mohammed",
    "Aisha",
    "Thomas",
    "Emily",
    "Daniel",
    "Chloe",
    "Peter",
    "Joanne",
    "Stephen",
    "Rebecca",
];
const NICK: &[&str] = &[
    "Bill", "Peggy", "Bob", "Liz", "Jim", "Sally", "Mo", "Aisha", "Tom", "Em", "Dan", "Chloe",
    "Pete", "Jo", "Steve", "Becky",
];
const SURNAME: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Hussain", "Khan", "Lewis", "Harris", "Turner",
];
const DISTRICTS: &[&str] = &["LS1", "LS6", "BD3", "BD7", "WF1", "HX1", "HD1", "LS11"];

/// A tiny linear congruential generator: enough for varied, reproducible test data.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn nhs(stem: u32) -> Option<String> {
    concordat_domain::NhsNumber::from_stem(stem).map(|n| n.digits())
}

/// Writes `people` people with 1–4 records each to one CSV per source; returns the paths.
/// Columns: record_id, source, first_name, surname, dob, sex, postcode, nhs_number, person_id.
pub fn write_people(dir: &Path, people: usize, seed: u64) -> Vec<PathBuf> {
    let mut rng = Lcg::new(seed);
    let sources = ["police", "ambulance", "mh_trust"];
    let mut out: Vec<String> = sources
        .iter()
        .map(|_| {
            "record_id,source,first_name,surname,dob,sex,postcode,nhs_number,person_id\n".to_owned()
        })
        .collect();
    let mut id = 0;
    for p in 0..people {
        let fi = rng.next(FIRST.len());
        let surname = SURNAME[rng.next(SURNAME.len())];
        let (y, m, d) = (1950 + rng.next(50), 1 + rng.next(12), 1 + rng.next(28));
        let sex = if fi.is_multiple_of(2) { "M" } else { "F" };
        let pc = format!(
            "{} {}{}{}",
            DISTRICTS[rng.next(DISTRICTS.len())],
            rng.next(10),
            (b'A' + rng.next(26) as u8) as char,
            (b'A' + rng.next(26) as u8) as char
        );
        let mut stem = 400_000_000 + p as u32 * 7;
        let nhs_number = loop {
            if let Some(n) = nhs(stem) {
                break n;
            }
            stem += 1;
        };
        let records = 1 + rng.next(4);
        for r in 0..records {
            let src = rng.next(sources.len());
            let mut first = FIRST[fi].to_owned();
            let mut sur = surname.to_owned();
            let mut dob = format!("{y:04}-{m:02}-{d:02}");
            let mut nhs_col = nhs_number.clone();
            let mut post = pc.clone();
            if r > 0 {
                match rng.next(6) {
                    0 => first = NICK[fi].to_owned(),
                    1 => {
                        // A typo: drop one letter of the surname.
                        let k = 1 + rng.next(sur.len() - 2);
                        sur.remove(k);
                    }
                    2 => dob = format!("{d:02}/{m:02}/{y:04}"),
                    3 => nhs_col.clear(),
                    4 => post = post.to_lowercase().replace(' ', ""),
                    _ => first = first.to_uppercase(),
                }
            }
            if src == 1 {
                // The ambulance service rarely has NHS numbers.
                nhs_col.clear();
            }
            id += 1;
            let _ = writeln!(
                out[src],
                "r{id},{},{first},{sur},{dob},{sex},{post},{nhs_col},p{p}",
                sources[src]
            );
        }
    }
    sources
        .iter()
        .zip(out)
        .map(|(s, text)| {
            let path = dir.join(format!("{s}.csv"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// Concatenates CSV files with the same header into one.
pub fn concat(paths: &[PathBuf], out: &Path) -> PathBuf {
    let mut text = String::new();
    for (i, p) in paths.iter().enumerate() {
        let body = std::fs::read_to_string(p).unwrap();
        let mut lines = body.lines();
        let header = lines.next().unwrap();
        if i == 0 {
            text.push_str(header);
            text.push('\n');
        }
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
    }
    std::fs::write(out, text).unwrap();
    out.to_path_buf()
}
