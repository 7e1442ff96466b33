//! A second synthetic generator, written independently of [`crate::synth`], so that the engine's
//! defaults are never tuned to one generator alone.
//!
//! What differs from [`crate::synth`]:
//!
//! - Names: a census-like Zipf fit, p(rank r) ∝ 1/(r + b), over a short list of common British
//!   names followed by a long tail of invented ones (about 7,000 surnames, 400 forenames), instead
//!   of ranked tables with a flat tail. Common combinations ("John Smith") are therefore common.
//! - Households: people live in households that share a surname, an address and a postcode, with
//!   different forenames; some households hold twins (same surname, date of birth and address,
//!   different forenames, often with the same initial).
//! - Errors: OCR-like letter confusions (rn/m, cl/d, e/c, li/h), phonetic respellings (ph/f, ck/k,
//!   doubled and singled consonants), keyboard typos, nicknames from its own table, a forename
//!   written as an initial, transposed day and month, a mistyped year, the placeholder date
//!   1 January, moved house, surname changed on marriage (the maiden name on older records),
//!   one part of a double-barrelled surname, swapped names, and missing fields.
//! - Format: other column names (`forename`, `family_name`, `date_of_birth`, `gender`,
//!   `post_code`, `nhs_no`, `telephone`, `agency`) and other per-source habits.
//!
//! `person_id` is the truth. Everything derives from the seed.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// Columns written, in order; `person_id` is the truth.
pub const COLUMNS: [&str; 11] = [
    "record_id",
    "agency",
    "forename",
    "family_name",
    "date_of_birth",
    "gender",
    "post_code",
    "address",
    "nhs_no",
    "telephone",
    "person_id",
];

const SOURCES: [(&str, f64); 5] = [
    ("police", 0.28),
    ("nwas", 0.22),
    ("ed", 0.28),
    ("mhtrust", 0.14),
    ("la_care", 0.08),
];

const TOP_SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Khan",
    "Ali",
    "Hussain",
    "Ahmed",
    "Begum",
    "Singh",
    "Kaur",
    "O'Brien",
    "Macdonald",
    "Campbell",
];

const MALE: &[&str] = &[
    "David",
    "John",
    "Paul",
    "James",
    "Michael",
    "Mark",
    "Andrew",
    "Richard",
    "Robert",
    "Christopher",
    "Stephen",
    "Thomas",
    "Daniel",
    "Matthew",
    "Peter",
    "Anthony",
    "William",
    "Joseph",
    "Steven",
    "Jonathan",
    "Benjamin",
    "Nicholas",
    "Edward",
    "Samuel",
    "Alexander",
    "Mohammed",
    "Liam",
    "Ryan",
    "Adam",
    "Jack",
    "Craig",
    "Lee",
    "Dean",
    "Kevin",
    "Gary",
    "Ian",
    "Simon",
    "Jason",
    "Darren",
    "Scott",
    "Wayne",
    "Neil",
    "Shaun",
    "Callum",
    "Kieran",
    "Connor",
    "Jake",
    "Jacob",
    "Harry",
    "Oliver",
];

const FEMALE: &[&str] = &[
    "Sarah",
    "Emma",
    "Claire",
    "Nicola",
    "Lisa",
    "Laura",
    "Rebecca",
    "Samantha",
    "Michelle",
    "Elizabeth",
    "Margaret",
    "Susan",
    "Karen",
    "Julie",
    "Helen",
    "Joanne",
    "Rachel",
    "Amy",
    "Charlotte",
    "Hannah",
    "Jessica",
    "Sophie",
    "Lauren",
    "Katherine",
    "Victoria",
    "Jennifer",
    "Louise",
    "Gemma",
    "Kelly",
    "Donna",
    "Tracey",
    "Deborah",
    "Patricia",
    "Jacqueline",
    "Amanda",
    "Catherine",
    "Natalie",
    "Stacey",
    "Danielle",
    "Chloe",
    "Megan",
    "Abigail",
    "Eleanor",
    "Fatima",
    "Aisha",
    "Zara",
    "Olivia",
    "Grace",
    "Ellie",
    "Lucy",
];

/// This generator's own nickname table (formal, nickname).
const NICKNAMES: &[(&str, &str)] = &[
    ("William", "Liam"),
    ("William", "Will"),
    ("Elizabeth", "Beth"),
    ("Elizabeth", "Lisa"),
    ("Margaret", "Maggie"),
    ("Katherine", "Kate"),
    ("Katherine", "Kathy"),
    ("Christopher", "Chris"),
    ("Alexander", "Alex"),
    ("Edward", "Ned"),
    ("Edward", "Ted"),
    ("Richard", "Rich"),
    ("Robert", "Rob"),
    ("Jennifer", "Jen"),
    ("Victoria", "Vicky"),
    ("Rebecca", "Becky"),
    ("Samantha", "Sam"),
    ("Samuel", "Sam"),
    ("Nicholas", "Nick"),
    ("Anthony", "Tony"),
    ("Jacqueline", "Jackie"),
    ("Patricia", "Trish"),
    ("Deborah", "Debbie"),
    ("Susan", "Sue"),
    ("Michael", "Mick"),
    ("Michael", "Mike"),
    ("Thomas", "Tom"),
    ("James", "Jim"),
    ("Daniel", "Dan"),
    ("Joseph", "Joe"),
    ("Matthew", "Matt"),
    ("Andrew", "Andy"),
    ("Stephen", "Steve"),
    ("Jonathan", "Jon"),
    ("Benjamin", "Ben"),
    ("Abigail", "Abbie"),
    ("Eleanor", "Ellie"),
    ("Charlotte", "Lottie"),
    ("Mohammed", "Mo"),
    ("Peter", "Pete"),
    ("David", "Dave"),
    ("Joanne", "Jo"),
    ("Nicola", "Nicky"),
    ("Daniel", "Danny"),
];

const SUR_PRE: &[&str] = &[
    "ash", "brad", "brook", "cald", "dun", "elm", "fair", "gar", "hal", "hart", "kings", "lang",
    "mar", "north", "pen", "rad", "shel", "stan", "thorn", "wal", "west", "whit", "wood", "black",
    "green", "hol", "cart", "bur", "mil", "fos", "ben", "car", "dal", "fen", "har", "kel", "mor",
    "ros", "sut", "tal",
];
const SUR_MID: &[&str] = &["", "en", "in", "ing", "ow", "ers", "el"];
const SUR_END: &[&str] = &[
    "ton", "ley", "worth", "field", "wood", "well", "by", "ham", "man", "son", "er", "ford",
    "cliffe", "more", "shaw", "stone", "wick", "den", "bury", "dale", "hurst", "land", "gate",
    "ridge", "ell",
];
const FORE_PRE: &[&str] = &[
    "al", "bri", "ca", "da", "el", "fa", "ge", "ha", "is", "ja", "ka", "li", "ma", "na", "ol",
    "pa", "ra", "sa", "ta", "vi", "za", "ro", "me", "lu",
];
const FORE_END: &[&str] = &[
    "na", "ra", "ley", "den", "lyn", "son", "rie", "ssa", "ton", "an", "ie", "ah", "en", "o", "ia",
    "ric",
];

const TOWNS: &[(&str, &[&str])] = &[
    (
        "Manchester",
        &[
            "M1", "M4", "M8", "M9", "M11", "M12", "M13", "M14", "M16", "M19", "M20", "M40",
        ],
    ),
    ("Salford", &["M5", "M6", "M7", "M27", "M30", "M50"]),
    ("Oldham", &["OL1", "OL2", "OL4", "OL8", "OL9"]),
    ("Bolton", &["BL1", "BL2", "BL3", "BL4", "BL5"]),
    ("Stockport", &["SK1", "SK2", "SK3", "SK4", "SK5", "SK7"]),
    ("Wigan", &["WN1", "WN2", "WN3", "WN5", "WN6"]),
    ("Rochdale", &["OL11", "OL12", "OL16"]),
];
const STREETS: &[&str] = &[
    "Church",
    "Mill",
    "Station",
    "Victoria",
    "Park",
    "Oxford",
    "Moss",
    "Princess",
    "Stamford",
    "Wellington",
    "Albert",
    "Chapel",
    "Hollins",
    "Bury",
    "Market",
    "Ashton",
    "Hyde",
    "Cross",
    "Lever",
    "Rochdale",
    "Manchester",
    "Bolton",
    "Wigan",
    "Oldham",
    "Railway",
    "Grove",
    "Lime",
    "Cedar",
    "Beech",
    "Rose",
];
const STREET_TYPES: &[&str] = &["Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way"];
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CensusConfig {
    pub records: usize,
    pub seed: u64,
}

/// Counts of what was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CensusStats {
    pub records: usize,
    pub people: usize,
    pub households: usize,
    pub twin_pairs: usize,
    pub married_name_changes: usize,
    pub people_with_5_plus: usize,
}

/// Sampling from p(rank r) ∝ 1/(r + b)^s by binary search over the cumulative weights.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, b: f64, s: f64) -> Self {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / (r as f64 + 1.0 + b).powf(s);
                acc
            })
            .collect();
        Self { cumulative }
    }
    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.cumulative.len() - 1)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn surname_table() -> Vec<String> {
    let mut out: Vec<String> = TOP_SURNAMES.iter().map(|s| (*s).to_owned()).collect();
    for p in SUR_PRE {
        for m in SUR_MID {
            for e in SUR_END {
                out.push(capitalise(&format!("{p}{m}{e}")));
            }
        }
    }
    out
}

fn forename_table(top: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = top.iter().map(|s| (*s).to_owned()).collect();
    for p in FORE_PRE {
        for e in FORE_END {
            out.push(capitalise(&format!("{p}{e}")));
        }
    }
    out
}

#[derive(Clone)]
struct Address {
    line: String,
    postcode: String,
}

struct Person {
    first: String,
    /// Surname now, and the maiden name used on older records (marriage).
    surname: String,
    maiden: Option<String>,
    dob: (i32, u32, u32),
    male: bool,
    addresses: Vec<Address>,
    nhs: Option<String>,
    phone: Option<String>,
    records: usize,
}

fn nhs_number(stem: u64) -> Option<String> {
    // Nine digits, then the modulus 11 check digit; stems whose check would be 10 are skipped.
    let digits: Vec<u32> = format!("{stem:09}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (10 - i as u32))
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    Some(format!("{stem:09}{check}"))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn random_address(rng: &mut ChaCha8Rng) -> Address {
    let (town, districts) = TOWNS[rng.random_range(0..TOWNS.len())];
    let district = districts[rng.random_range(0..districts.len())];
    let inward = format!(
        "{}{}{}",
        rng.random_range(1..10),
        INWARD_LETTERS[rng.random_range(0..INWARD_LETTERS.len())] as char,
        INWARD_LETTERS[rng.random_range(0..INWARD_LETTERS.len())] as char
    );
    let line = format!(
        "{} {} {}, {town}",
        rng.random_range(1..220),
        STREETS[rng.random_range(0..STREETS.len())],
        STREET_TYPES[rng.random_range(0..STREET_TYPES.len())]
    );
    Address {
        line,
        postcode: format!("{district} {inward}"),
    }
}

fn records_for_person(rng: &mut ChaCha8Rng) -> usize {
    let u: f64 = rng.random();
    match u {
        u if u < 0.45 => 1,
        u if u < 0.65 => 2,
        u if u < 0.75 => 3,
        u if u < 0.82 => 4,
        u if u < 0.94 => rng.random_range(5..=9),
        u if u < 0.99 => rng.random_range(10..=30),
        _ => rng.random_range(31..=60),
    }
}

/// OCR-like confusions of letters that look alike.
fn ocr(rng: &mut ChaCha8Rng, s: &str) -> String {
    const SWAPS: &[(&str, &str)] = &[
        ("rn", "m"),
        ("m", "rn"),
        ("cl", "d"),
        ("d", "cl"),
        ("e", "c"),
        ("li", "h"),
        ("h", "li"),
        ("u", "v"),
        ("i", "l"),
        ("o", "c"),
    ];
    let lower = s.to_lowercase();
    let mut options: Vec<(usize, &str, &str)> = Vec::new();
    for &(from, to) in SWAPS {
        for (i, _) in lower.match_indices(from) {
            options.push((i, from, to));
        }
    }
    match options.choose(rng) {
        Some(&(i, from, to)) => {
            let out = format!("{}{}{}", &lower[..i], to, &lower[i + from.len()..]);
            capitalise(&out)
        }
        None => s.to_owned(),
    }
}

/// Phonetic respellings: how a name sounds written another way.
fn phonetic(rng: &mut ChaCha8Rng, s: &str) -> String {
    const SWAPS: &[(&str, &str)] = &[
        ("ph", "f"),
        ("f", "ph"),
        ("ck", "k"),
        ("c", "k"),
        ("k", "c"),
        ("ee", "ea"),
        ("ie", "y"),
        ("y", "ie"),
        ("ll", "l"),
        ("l", "ll"),
        ("tt", "t"),
        ("t", "tt"),
        ("nn", "n"),
        ("s", "z"),
        ("ou", "ow"),
        ("ai", "ay"),
    ];
    let lower = s.to_lowercase();
    let mut options: Vec<(usize, &str, &str)> = Vec::new();
    for &(from, to) in SWAPS {
        for (i, _) in lower.match_indices(from) {
            if i > 0 || from.len() > 1 {
                options.push((i, from, to));
            }
        }
    }
    match options.choose(rng) {
        Some(&(i, from, to)) => capitalise(&format!(
            "{}{}{}",
            &lower[..i],
            to,
            &lower[i + from.len()..]
        )),
        None => s.to_owned(),
    }
}

/// Keyboard typos: a letter dropped, doubled or replaced.
fn typo(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut b: Vec<char> = s.chars().collect();
    if b.len() < 3 {
        return s.to_owned();
    }
    let i = rng.random_range(1..b.len());
    match rng.random_range(0..3) {
        0 => {
            b.remove(i);
        }
        1 => b.insert(i, b[i]),
        _ => b[i] = (b'a' + rng.random_range(0..26u8)) as char,
    }
    b.into_iter().collect()
}

fn nickname(rng: &mut ChaCha8Rng, first: &str) -> Option<String> {
    let options: Vec<&str> = NICKNAMES
        .iter()
        .filter(|(f, _)| *f == first)
        .map(|(_, n)| *n)
        .collect();
    options.choose(rng).map(|s| (*s).to_owned())
}

/// The generator: people in households, then records from them in shuffled order.
pub struct CensusGenerator {
    rng: ChaCha8Rng,
    people: Vec<Person>,
    slots: Vec<u32>,
    next: usize,
    stats: CensusStats,
}

impl CensusGenerator {
    pub fn new(config: CensusConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x00c3_75a5);
        let surnames = surname_table();
        let males = forename_table(MALE);
        let females = forename_table(FEMALE);
        let sur_z = Zipf::new(surnames.len(), 8.0, 1.0);
        let male_z = Zipf::new(males.len(), 3.0, 1.05);
        let female_z = Zipf::new(females.len(), 3.0, 1.05);
        let mut people: Vec<Person> = Vec::new();
        let mut slots: Vec<u32> = Vec::with_capacity(config.records);
        let mut stats = CensusStats::default();
        let mut stem: u64 = 600_000_000;
        let mut total = 0usize;
        while total < config.records {
            stats.households += 1;
            let home = random_address(&mut rng);
            let surname = surnames[sur_z.sample(&mut rng)].clone();
            let size = match rng.random::<f64>() {
                u if u < 0.35 => 1,
                u if u < 0.65 => 2,
                u if u < 0.80 => 3,
                u if u < 0.93 => 4,
                _ => 5,
            };
            let adult_year = rng.random_range(1940..2004);
            let mut twin_dob: Option<(i32, u32, u32)> = None;
            let mut twin_initial: Option<char> = None;
            for k in 0..size {
                if total >= config.records {
                    break;
                }
                let male = rng.random_bool(0.5);
                let (pool, z) = if male {
                    (&males, &male_z)
                } else {
                    (&females, &female_z)
                };
                // Twins: the third and fourth members of a larger household, sometimes.
                let twin = k == 3 && twin_dob.is_some();
                let mut first = pool[z.sample(&mut rng)].clone();
                if twin && let Some(c) = twin_initial {
                    // Twins often share an initial: draw a few times for one.
                    for _ in 0..20 {
                        let cand = &pool[z.sample(&mut rng)];
                        if cand.starts_with(c) && *cand != first {
                            first = cand.clone();
                            break;
                        }
                    }
                }
                let dob = if twin {
                    stats.twin_pairs += 1;
                    twin_dob.unwrap_or((2000, 1, 1))
                } else {
                    let y = if k < 2 {
                        (adult_year + rng.random_range(-4..5)).min(2006)
                    } else {
                        (adult_year + rng.random_range(18..36)).min(2008)
                    };
                    let m = rng.random_range(1..=12);
                    (y, m, rng.random_range(1..=days_in_month(y, m)))
                };
                if k == 2 && size >= 4 && rng.random_bool(0.12) {
                    twin_dob = Some(dob);
                    twin_initial = first.chars().next();
                }
                // Married women: some records still carry the maiden name.
                let maiden = if !male && k == 1 && rng.random_bool(0.35) {
                    stats.married_name_changes += 1;
                    Some(surnames[sur_z.sample(&mut rng)].clone())
                } else {
                    None
                };
                let mut person_surname = surname.clone();
                if rng.random_bool(0.03) {
                    person_surname =
                        format!("{}-{}", surname, surnames[sur_z.sample(&mut rng)].clone());
                }
                let mut addresses = vec![home.clone()];
                if rng.random_bool(0.35) {
                    for _ in 0..rng.random_range(1..=2) {
                        addresses.push(random_address(&mut rng));
                    }
                }
                let nhs = if rng.random_bool(0.8) {
                    loop {
                        stem += 1;
                        if let Some(n) = nhs_number(stem) {
                            break Some(n);
                        }
                    }
                } else {
                    None
                };
                let phone = rng
                    .random_bool(0.6)
                    .then(|| format!("07{:09}", rng.random_range(0..1_000_000_000u64)));
                let records = records_for_person(&mut rng).min(config.records - total);
                if records >= 5 {
                    stats.people_with_5_plus += 1;
                }
                let id = people.len() as u32;
                slots.extend(std::iter::repeat_n(id, records));
                total += records;
                people.push(Person {
                    first,
                    surname: person_surname,
                    maiden,
                    dob,
                    male,
                    addresses,
                    nhs,
                    phone,
                    records,
                });
            }
        }
        slots.shuffle(&mut rng);
        stats.people = people.len();
        Self {
            rng,
            people,
            slots,
            next: 0,
            stats,
        }
    }

    pub fn stats(&self) -> &CensusStats {
        &self.stats
    }

    fn record(&mut self, person_id: u32, index: usize) -> [String; 11] {
        let rng = &mut self.rng;
        let p = &self.people[person_id as usize];
        let (source, _) = {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let mut pick = SOURCES[0];
            for s in SOURCES {
                acc += s.1;
                if u < acc {
                    pick = s;
                    break;
                }
            }
            pick
        };
        let _ = p.records;
        let mut first = p.first.clone();
        let mut surname = match &p.maiden {
            Some(m) if rng.random_bool(0.4) => m.clone(),
            _ => p.surname.clone(),
        };
        if surname.contains('-') && rng.random_bool(0.4) {
            let parts: Vec<&str> = surname.split('-').collect();
            surname = parts[rng.random_range(0..parts.len())].to_owned();
        }
        if rng.random_bool(0.12)
            && let Some(n) = nickname(rng, &first)
        {
            first = n;
        }
        for name in [&mut first, &mut surname] {
            let u: f64 = rng.random();
            if u < 0.025 {
                *name = ocr(rng, name);
            } else if u < 0.055 {
                *name = phonetic(rng, name);
            } else if u < 0.075 {
                *name = typo(rng, name);
            }
        }
        if rng.random_bool(0.02) {
            first = first.chars().take(1).collect();
        }
        if rng.random_bool(0.01) {
            std::mem::swap(&mut first, &mut surname);
        }
        let (mut y, mut m, mut d) = p.dob;
        let u: f64 = rng.random();
        let mut dob_missing = false;
        if u < 0.03 && d <= 12 {
            std::mem::swap(&mut m, &mut d);
        } else if u < 0.045 {
            y += [-10, -1, 1, 10][rng.random_range(0..4)];
        } else if u < 0.055 {
            m = 1;
            d = 1;
        } else if u < 0.085 {
            dob_missing = true;
        }
        let dob = if dob_missing {
            String::new()
        } else {
            match source {
                "police" => format!("{d:02}/{m:02}/{y}"),
                "nwas" => format!("{y}-{m:02}-{d:02}"),
                "ed" => format!("{d:02}-{m:02}-{y}"),
                "mhtrust" => format!("{y}{m:02}{d:02}"),
                _ => format!("{d:02}.{m:02}.{y}"),
            }
        };
        let sex = match rng.random::<f64>() {
            u if u < 0.04 => String::new(),
            u if u < 0.045 => (if p.male { "F" } else { "M" }).to_owned(),
            _ => match (source, p.male) {
                ("police", true) => "Male".to_owned(),
                ("police", false) => "Female".to_owned(),
                (_, true) => "M".to_owned(),
                (_, false) => "F".to_owned(),
            },
        };
        let addr = p.addresses[rng.random_range(0..p.addresses.len())].clone();
        let (postcode, address) = match rng.random::<f64>() {
            u if u < 0.05 => (String::new(), String::new()),
            u if u < 0.07 && source == "police" => (String::new(), "NFA".to_owned()),
            u if u < 0.09 => {
                // A mistyped last letter of the postcode.
                let mut pc: Vec<char> = addr.postcode.chars().collect();
                if let Some(last) = pc.last_mut() {
                    *last = INWARD_LETTERS[rng.random_range(0..INWARD_LETTERS.len())] as char;
                }
                (pc.into_iter().collect(), addr.line.clone())
            }
            _ => (addr.postcode.clone(), addr.line.clone()),
        };
        let postcode = if source == "ed" {
            postcode.replace(' ', "")
        } else {
            postcode
        };
        let nhs_rate = match source {
            "police" => 0.15,
            "nwas" => 0.5,
            "ed" => 0.85,
            "mhtrust" => 0.95,
            _ => 0.7,
        };
        let nhs = match &p.nhs {
            Some(n) if rng.random_bool(nhs_rate) => {
                if rng.random_bool(0.03) {
                    let mut b: Vec<u8> = n.bytes().collect();
                    let i = rng.random_range(0..9);
                    b.swap(i, i + 1);
                    String::from_utf8(b).unwrap_or_default()
                } else if source == "nwas" {
                    format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
                } else {
                    n.clone()
                }
            }
            _ => String::new(),
        };
        let phone = match &p.phone {
            Some(ph) if rng.random_bool(0.4) => ph.clone(),
            _ => String::new(),
        };
        if source == "police" {
            first = first.to_uppercase();
            surname = surname.to_uppercase();
        }
        [
            format!("{}-{index:07}", source.to_uppercase()),
            source.to_owned(),
            first,
            surname,
            dob,
            sex,
            postcode,
            address,
            nhs,
            phone,
            format!("c{person_id}"),
        ]
    }
}

impl Iterator for CensusGenerator {
    type Item = [String; 11];

    fn next(&mut self) -> Option<Self::Item> {
        let person_id = *self.slots.get(self.next)?;
        let index = self.next;
        self.next += 1;
        self.stats.records += 1;
        Some(self.record(person_id, index))
    }
}

/// Writes the extract as CSV with a [`COLUMNS`] header and returns its counts.
pub fn write_csv<W: Write>(config: CensusConfig, out: W) -> Result<CensusStats, csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    let mut generator = CensusGenerator::new(config);
    for record in generator.by_ref() {
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(generator.stats().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use concordat_domain::NhsNumber;

    #[test]
    fn deterministic_with_households_twins_and_valid_nhs_numbers() {
        let cfg = CensusConfig {
            records: 5_000,
            seed: 7,
        };
        let a: Vec<_> = CensusGenerator::new(cfg).collect();
        let b: Vec<_> = CensusGenerator::new(cfg).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 5_000);
        let g = CensusGenerator::new(cfg);
        assert!(g.stats().households > 500);
        assert!(g.stats().twin_pairs > 0);
        let ids: std::collections::HashSet<&String> = a.iter().map(|r| &r[0]).collect();
        assert_eq!(ids.len(), a.len(), "record ids are unique");
        let valid = a
            .iter()
            .filter(|r| !r[8].is_empty() && NhsNumber::parse(&r[8]).is_ok())
            .count();
        assert!(valid > 1_000, "{valid}");
    }

    #[test]
    fn names_follow_a_zipf_law() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let z = Zipf::new(7_000, 8.0, 1.0);
        let n = 100_000;
        let top = (0..n).filter(|_| z.sample(&mut rng) == 0).count() as f64 / n as f64;
        // 1/9 over the sum of 1/(r + 9): about 1.3%, the share of Smith in Britain.
        assert!((0.01..0.02).contains(&top), "{top}");
    }

    #[test]
    fn error_processes_change_names_plausibly() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(ocr(&mut rng, "Lynn"), "Lynn"); // no letters that look like others
        let p = phonetic(&mut rng, "Philip");
        assert_ne!(p, "Philip");
        assert_eq!(nhs_number(999_000_001).map(|n| n.len()), Some(10));
    }
}
