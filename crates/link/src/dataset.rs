//! Loading CSV inputs into standardised, interned, column-wise records.

use crate::config::{ColumnMap, LinkConfig};
use crate::error::{LinkError, Location, Result};
use crate::standardise::{self, DateParse};
use crate::util::FxMap;
use concordat_domain::{NhsNumber, Postcode};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// An interned string. `0` is the missing value.
pub type Sym = u32;

/// String interner: each distinct standardised value is stored once and compared as an integer.
/// The texts sit end to end in one buffer, so resolving symbols during comparisons touches
/// few cache lines.
#[derive(Debug, Clone)]
pub struct Interner {
    map: FxMap<Box<str>, Sym>,
    data: String,
    spans: Vec<(u32, u32)>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            map: FxMap::default(),
            data: String::new(),
            spans: vec![(0, 0)],
        }
    }
}

impl Interner {
    /// The symbol for `s`, adding it when new. The empty string is the missing value `0`.
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return 0;
        }
        if let Some(&k) = self.map.get(s) {
            return k;
        }
        let k = self.spans.len() as Sym;
        let start = self.data.len() as u32;
        self.data.push_str(s);
        self.spans.push((start, self.data.len() as u32));
        self.map.insert(s.into(), k);
        k
    }
    /// The symbol for `s` when it is already interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }
    /// The text of a symbol ("" for missing).
    #[inline]
    pub fn resolve(&self, k: Sym) -> &str {
        self.spans
            .get(k as usize)
            .and_then(|&(a, b)| self.data.get(a as usize..b as usize))
            .unwrap_or("")
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.len() <= 1
    }
}

/// The fields the engine knows how to standardise and compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Id,
    Source,
    FirstName,
    Surname,
    Dob,
    Sex,
    Postcode,
    Address,
    NhsNumber,
    Phone,
    Email,
    Truth,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Id,
        Field::Source,
        Field::FirstName,
        Field::Surname,
        Field::Dob,
        Field::Sex,
        Field::Postcode,
        Field::Address,
        Field::NhsNumber,
        Field::Phone,
        Field::Email,
        Field::Truth,
    ];

    /// The name used in config files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Source => "source",
            Field::FirstName => "first_name",
            Field::Surname => "surname",
            Field::Dob => "dob",
            Field::Sex => "sex",
            Field::Postcode => "postcode",
            Field::Address => "address",
            Field::NhsNumber => "nhs_number",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Truth => "truth",
        }
    }

    /// Header names recognised for this field, compared after removing case and punctuation.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["id", "recordid", "recid", "rowid", "uniqueid", "localid"],
            Field::Source => &["source", "agency", "system", "sourcesystem", "dataset"],
            Field::FirstName => &[
                "firstname",
                "givenname",
                "forename",
                "forenames",
                "fname",
                "first",
                "given",
            ],
            Field::Surname => &["surname", "familyname", "lastname", "lname", "last"],
            Field::Dob => &["dob", "dateofbirth", "birthdate", "birthday", "bdate"],
            Field::Sex => &["sex", "gender"],
            Field::Postcode => &["postcode", "postalcode", "zip", "zipcode", "pcode"],
            Field::Address => &[
                "address",
                "address1",
                "addressline1",
                "addr1",
                "street",
                "streetaddress",
            ],
            Field::NhsNumber => &["nhsnumber", "nhsno", "nhs", "nhsnum"],
            Field::Phone => &["phone", "telephone", "phonenumber", "tel", "mobile"],
            Field::Email => &["email", "emailaddress"],
            Field::Truth => &[],
        }
    }

    fn configured(self, map: &ColumnMap) -> Option<&String> {
        match self {
            Field::Id => map.id.as_ref(),
            Field::Source => map.source.as_ref(),
            Field::FirstName => map.first_name.as_ref(),
            Field::Surname => map.surname.as_ref(),
            Field::Dob => map.dob.as_ref(),
            Field::Sex => map.sex.as_ref(),
            Field::Postcode => map.postcode.as_ref(),
            Field::Address => map.address.as_ref(),
            Field::NhsNumber => map.nhs_number.as_ref(),
            Field::Phone => map.phone.as_ref(),
            Field::Email => map.email.as_ref(),
            Field::Truth => map.truth.as_ref(),
        }
    }
}

/// Extra columns picked up without a config: compared as text.
const EXTRA_SYNONYMS: &[&str] = &[
    "address2",
    "addressline2",
    "suburb",
    "town",
    "city",
    "locality",
    "streetnumber",
    "housenumber",
];

fn header_key(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Standardised records, one vector per field (column-wise: comparisons touch a few fields of
/// many records, so each field's values sit together in memory).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub ids: Vec<Box<str>>,
    /// Index into [`Dataset::sources`].
    pub source: Vec<u16>,
    pub first: Vec<Sym>,
    /// The formal name a nickname stands for, interned; 0 when not in the nickname table.
    pub first_canon: Vec<Sym>,
    /// Nickname groups of the forename ([`standardise::nickname_groups`]).
    pub first_nick: Vec<u128>,
    /// Soundex packed into a `u32`; 0 when missing.
    pub first_sdx: Vec<u32>,
    pub surname: Vec<Sym>,
    pub surname_sdx: Vec<u32>,
    /// `yyyymmdd`; 0 when missing.
    pub dob: Vec<u32>,
    /// 1 male, 2 female, 3 other; 0 missing.
    pub sex: Vec<u8>,
    /// Full postcode (UK format "LS1 4AP", or the compact text of a non-UK code).
    pub postcode: Vec<Sym>,
    pub sector: Vec<Sym>,
    pub district: Vec<Sym>,
    pub address: Vec<Sym>,
    /// The ten digits plus one (so that 0 can mean missing).
    pub nhs: Vec<u64>,
    pub phone: Vec<Sym>,
    pub email: Vec<Sym>,
    /// One vector per [`Dataset::extra_names`] entry.
    pub extra: Vec<Vec<Sym>>,
    pub truth: Vec<Sym>,
}

impl Records {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Counts of values that standardisation could not use, so an analyst sees data quality.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct QualityCounts {
    pub invalid_nhs_numbers: u64,
    pub impossible_dates: u64,
    pub unreadable_dates: u64,
    pub non_uk_postcodes: u64,
    /// Missing values per field, in [`Field`] name order.
    pub missing: Vec<(String, u64)>,
}

/// Which column of one input was used for each field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub records: u64,
    /// (field, column) pairs actually used.
    pub columns: Vec<(String, String)>,
    /// Fields that were detected from the header rather than set in the config.
    pub detected: Vec<String>,
}

/// A loaded, standardised set of records from one or more inputs.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub records: Records,
    pub strings: Interner,
    pub sources: Vec<String>,
    pub extra_names: Vec<String>,
    /// Fields present in at least one input.
    pub present: Vec<Field>,
    pub files: Vec<FileReport>,
    pub quality: QualityCounts,
}

/// One record as text, before standardisation: the in-memory entry point for callers that do
/// not read CSV (tests, generators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    pub id: String,
    pub source: String,
    pub first_name: String,
    pub surname: String,
    pub dob: String,
    pub sex: String,
    pub postcode: String,
    pub address: String,
    pub nhs_number: String,
    pub phone: String,
    pub email: String,
    pub extra: Vec<String>,
    pub truth: String,
}

/// Standardised values of one record, before interning.
#[derive(Default)]
struct Std {
    first: Option<String>,
    surname: Option<String>,
    dob: DateParse,
    sex: Option<u8>,
    postcode: Option<(String, Option<(String, String)>)>,
    address: Option<String>,
    nhs: Option<std::result::Result<u64, ()>>,
    phone: Option<String>,
    email: Option<String>,
    extra: Vec<Option<String>>,
}

fn standardise_fields<'a>(
    get: &dyn Fn(Field) -> Option<&'a str>,
    extras: &[Option<&'a str>],
) -> Std {
    let s = |f| get(f).map(str::trim).filter(|v| !v.is_empty());
    Std {
        first: s(Field::FirstName).and_then(standardise::forename),
        surname: s(Field::Surname).and_then(standardise::surname),
        dob: s(Field::Dob).map_or(DateParse::Missing, standardise::parse_date),
        sex: s(Field::Sex).and_then(standardise::sex),
        postcode: s(Field::Postcode).and_then(|p| match Postcode::parse(p) {
            Ok(pc) => Some((
                pc.as_str().to_owned(),
                Some((pc.sector().to_owned(), pc.district().to_owned())),
            )),
            Err(_) => {
                let compact: String = p
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                (!compact.is_empty()).then_some((compact, None))
            }
        }),
        address: s(Field::Address).and_then(standardise::address),
        nhs: s(Field::NhsNumber).map(|n| {
            NhsNumber::parse(n)
                .ok()
                .and_then(|n| n.digits().parse::<u64>().ok())
                .map(|v| v + 1)
                .ok_or(())
        }),
        phone: s(Field::Phone).and_then(standardise::phone),
        email: s(Field::Email).and_then(standardise::email),
        extra: extras
            .iter()
            .map(|e| e.map(str::trim).and_then(standardise::text))
            .collect(),
    }
}

fn sdx(s: &Option<String>) -> u32 {
    s.as_deref()
        .and_then(standardise::soundex)
        .map_or(0, u32::from_le_bytes)
}

/// Builds datasets record by record; shared by the CSV loader and [`Dataset::from_raw`].
struct Builder {
    ds: Dataset,
    source_index: FxMap<String, u16>,
}

impl Builder {
    fn new(extra_names: Vec<String>) -> Self {
        let n_extra = extra_names.len();
        let mut ds = Dataset {
            extra_names,
            ..Default::default()
        };
        ds.records.extra = vec![Vec::new(); n_extra];
        Self {
            ds,
            source_index: FxMap::default(),
        }
    }

    fn source(&mut self, name: &str) -> Result<u16> {
        if let Some(&k) = self.source_index.get(name) {
            return Ok(k);
        }
        let k = u16::try_from(self.ds.sources.len())
            .map_err(|_| LinkError::Input("more than 65,535 distinct sources".into()))?;
        self.ds.sources.push(name.to_owned());
        self.source_index.insert(name.to_owned(), k);
        Ok(k)
    }

    fn push(&mut self, id: Box<str>, source: u16, st: Std, truth: Option<&str>) {
        let ds = &mut self.ds;
        let r = &mut ds.records;
        let q = &mut ds.quality;
        let strings = &mut ds.strings;
        r.ids.push(id);
        r.source.push(source);
        r.first_sdx.push(sdx(&st.first));
        r.first_nick
            .push(st.first.as_deref().map_or(0, standardise::nickname_groups));
        r.surname_sdx.push(sdx(&st.surname));
        r.first_canon.push(
            st.first
                .as_deref()
                .and_then(standardise::canonical_forename)
                .map_or(0, |c| strings.intern(c)),
        );
        r.first
            .push(strings.intern(st.first.as_deref().unwrap_or("")));
        r.surname
            .push(strings.intern(st.surname.as_deref().unwrap_or("")));
        r.dob.push(match st.dob {
            DateParse::Ok(d) => d.0,
            DateParse::Impossible => {
                q.impossible_dates += 1;
                0
            }
            DateParse::Unreadable => {
                q.unreadable_dates += 1;
                0
            }
            DateParse::Missing => 0,
        });
        r.sex.push(st.sex.unwrap_or(0));
        match st.postcode {
            Some((full, Some((sector, district)))) => {
                r.postcode.push(strings.intern(&full));
                r.sector.push(strings.intern(&sector));
                r.district.push(strings.intern(&district));
            }
            Some((full, None)) => {
                q.non_uk_postcodes += 1;
                r.postcode.push(strings.intern(&full));
                r.sector.push(0);
                r.district.push(0);
            }
            None => {
                r.postcode.push(0);
                r.sector.push(0);
                r.district.push(0);
            }
        }
        r.address
            .push(strings.intern(st.address.as_deref().unwrap_or("")));
        r.nhs.push(match st.nhs {
            Some(Ok(v)) => v,
            Some(Err(())) => {
                q.invalid_nhs_numbers += 1;
                0
            }
            None => 0,
        });
        r.phone
            .push(strings.intern(st.phone.as_deref().unwrap_or("")));
        r.email
            .push(strings.intern(st.email.as_deref().unwrap_or("")));
        for (col, v) in r.extra.iter_mut().zip(st.extra) {
            col.push(strings.intern(v.as_deref().unwrap_or("")));
        }
        r.truth.push(strings.intern(truth.map_or("", str::trim)));
    }

    fn finish(mut self) -> Dataset {
        let r = &self.ds.records;
        let missing = [
            ("first_name", r.first.iter().filter(|&&v| v == 0).count()),
            ("surname", r.surname.iter().filter(|&&v| v == 0).count()),
            ("dob", r.dob.iter().filter(|&&v| v == 0).count()),
            ("sex", r.sex.iter().filter(|&&v| v == 0).count()),
            ("postcode", r.postcode.iter().filter(|&&v| v == 0).count()),
            ("address", r.address.iter().filter(|&&v| v == 0).count()),
            ("nhs_number", r.nhs.iter().filter(|&&v| v == 0).count()),
            ("phone", r.phone.iter().filter(|&&v| v == 0).count()),
            ("email", r.email.iter().filter(|&&v| v == 0).count()),
        ];
        self.ds.quality.missing = missing
            .iter()
            .map(|(f, n)| ((*f).to_owned(), *n as u64))
            .collect();
        self.ds
    }
}

/// How one file's columns map to fields.
struct FileMapping {
    fields: Vec<(Field, usize)>,
    extras: Vec<Option<usize>>,
    report: FileReport,
}

fn map_columns(
    path: &Path,
    header: &[String],
    cfg: &LinkConfig,
    extra_names: &[String],
) -> Result<FileMapping> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let header_list = header.join(", ");
    let mut fields = Vec::new();
    let mut report = FileReport {
        path: path.to_path_buf(),
        records: 0,
        columns: Vec::new(),
        detected: Vec::new(),
    };
    for f in Field::ALL {
        if let Some(col) = f.configured(&cfg.columns) {
            let idx = header
                .iter()
                .position(|h| h == col)
                .or_else(|| keys.iter().position(|k| *k == header_key(col)))
                .ok_or_else(|| LinkError::MissingColumn {
                    file: path.to_path_buf(),
                    field: f.name().into(),
                    column: col.clone(),
                    header: header_list.clone(),
                })?;
            fields.push((f, idx));
            report.columns.push((f.name().into(), header[idx].clone()));
        } else if cfg.detect_columns {
            let found = f
                .synonyms()
                .iter()
                .find_map(|syn| keys.iter().position(|k| k == syn));
            if let Some(idx) = found {
                // A column claimed by an explicit mapping is not detected again for another field.
                if fields.iter().all(|(_, i)| *i != idx) {
                    fields.push((f, idx));
                    report.columns.push((f.name().into(), header[idx].clone()));
                    report.detected.push(f.name().into());
                }
            }
        }
    }
    let mut extras = Vec::new();
    for name in extra_names {
        let idx = header
            .iter()
            .position(|h| h == name)
            .or_else(|| keys.iter().position(|k| *k == header_key(name)));
        if idx.is_none() && cfg.columns.extra.contains(name) {
            return Err(LinkError::MissingColumn {
                file: path.to_path_buf(),
                field: "extra".into(),
                column: name.clone(),
                header: header_list,
            });
        }
        if let Some(i) = idx {
            report
                .columns
                .push((format!("extra:{name}"), header[i].clone()));
        }
        extras.push(idx);
    }
    let linkable = fields
        .iter()
        .any(|(f, _)| !matches!(f, Field::Id | Field::Source | Field::Truth))
        || extras.iter().any(Option::is_some);
    if !linkable {
        return Err(LinkError::NoLinkColumns {
            file: path.to_path_buf(),
            header: header_list,
        });
    }
    Ok(FileMapping {
        fields,
        extras,
        report,
    })
}

/// Fails on the first record id used twice, naming both places (`at` gives a record's place).
/// Repeated ids would be repeated in the output, where nobody could tell the records apart.
pub(crate) fn check_unique_ids(ids: &[Box<str>], at: impl Fn(usize) -> Location) -> Result<()> {
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.par_sort_unstable_by(|&x, &y| ids[x as usize].cmp(&ids[y as usize]).then(x.cmp(&y)));
    // The earliest repeat in file order is the one reported.
    let mut worst: Option<(u32, u32)> = None;
    for w in order.windows(2) {
        if ids[w[0] as usize] == ids[w[1] as usize] && worst.is_none_or(|(_, s)| w[1] < s) {
            worst = Some((w[0], w[1]));
        }
    }
    match worst {
        None => Ok(()),
        Some((first, second)) => Err(LinkError::DuplicateId {
            at: Box::new(at(second as usize)),
            id: ids[second as usize].to_string(),
            first: Box::new(at(first as usize)),
        }),
    }
}

/// Reads a CSV header, with the errors for empty and non-UTF-8 files.
pub(crate) fn open_csv(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>)> {
    let file = std::fs::File::open(path).map_err(|e| LinkError::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(file);
    let header = rdr.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(LinkError::EmptyFile(path.to_path_buf()));
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let s = std::str::from_utf8(h).map_err(|_| LinkError::NotUtf8 {
            at: Location {
                file: path.to_path_buf(),
                line: 1,
                column: Some(format!("#{}", i + 1)),
            },
        })?;
        let s = if i == 0 {
            s.trim_start_matches('\u{feff}')
        } else {
            s
        };
        names.push(s.trim().to_owned());
    }
    // Two columns with one name (case and punctuation ignored, as columns are matched): the first
    // would silently win, so a blank first "surname" would switch off every surname comparison.
    let keys: Vec<String> = names.iter().map(|h| header_key(h)).collect();
    for (j, k) in keys.iter().enumerate() {
        if k.is_empty() {
            continue;
        }
        if let Some(i) = keys[..j].iter().position(|x| x == k) {
            return Err(LinkError::DuplicateColumn {
                file: path.to_path_buf(),
                column: names[j].clone(),
                first: i + 1,
                second: j + 1,
            });
        }
    }
    Ok((rdr, names))
}

/// Turns a csv error into one that names the file and line.
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> LinkError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => LinkError::Ragged {
            at: Location {
                file: path.to_path_buf(),
                line: pos.map_or(line, |p| p.line()),
                column: None,
            },
            expected: expected_len,
            found: len,
        },
        csv::ErrorKind::Io(source) => LinkError::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::Utf8 { pos, .. } => LinkError::NotUtf8 {
            at: Location {
                file: path.to_path_buf(),
                line: pos.map_or(line, |p| p.line()),
                column: None,
            },
        },
        other => LinkError::Csv {
            at: Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            message: format!("{other:?}"),
        },
    }
}

/// Reads rows as UTF-8 text fields, in chunks, reporting the line and column of bad bytes.
pub(crate) struct TextRows {
    path: PathBuf,
    header: Vec<String>,
    rdr: csv::Reader<std::fs::File>,
}

/// One row of text with its line number.
pub(crate) struct TextRow {
    pub line: u64,
    pub fields: Vec<String>,
}

impl TextRows {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let (rdr, header) = open_csv(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            header,
            rdr,
        })
    }
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }
    /// Up to `n` rows; empty at the end of the file.
    pub(crate) fn chunk(&mut self, n: usize) -> Result<Vec<TextRow>> {
        let mut out = Vec::with_capacity(n.min(1 << 16));
        let mut rec = csv::ByteRecord::new();
        while out.len() < n {
            if !self
                .rdr
                .read_byte_record(&mut rec)
                .map_err(|e| csv_error(&self.path, e))?
            {
                break;
            }
            let line = rec.position().map_or(0, csv::Position::line);
            let mut fields = Vec::with_capacity(rec.len());
            for (i, f) in rec.iter().enumerate() {
                let s = std::str::from_utf8(f).map_err(|_| LinkError::NotUtf8 {
                    at: Location {
                        file: self.path.clone(),
                        line,
                        column: Some(
                            self.header
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", i + 1)),
                        ),
                    },
                })?;
                fields.push(s.to_owned());
            }
            out.push(TextRow { line, fields });
        }
        Ok(out)
    }
}

const CHUNK: usize = 65_536;

impl Dataset {
    /// Loads and standardises CSV files. Each file's columns are mapped by the config, then
    /// (when `detect_columns` is on) by their usual names; [`Dataset::files`] says which were used.
    pub fn load(paths: &[PathBuf], cfg: &LinkConfig) -> Result<Self> {
        Self::load_with_progress(paths, cfg, &crate::progress::Progress::hidden())
    }

    pub(crate) fn load_with_progress(
        paths: &[PathBuf],
        cfg: &LinkConfig,
        progress: &crate::progress::Progress,
    ) -> Result<Self> {
        cfg.validate()?;
        if paths.is_empty() {
            return Err(LinkError::Input("no input files given".into()));
        }
        // Extra columns: configured ones, then recognised ones found in any file.
        let mut extra_names = cfg.columns.extra.clone();
        let mut headers = Vec::new();
        for p in paths {
            let (_, header) = open_csv(p)?;
            if cfg.detect_columns {
                for h in &header {
                    let k = header_key(h);
                    if EXTRA_SYNONYMS.contains(&k.as_str())
                        && !extra_names.iter().any(|e| header_key(e) == k)
                    {
                        extra_names.push(h.clone());
                    }
                }
            }
            headers.push(header);
        }
        let mut b = Builder::new(extra_names.clone());
        let mut present = Vec::new();
        // Where each record came from (file, line), to name both lines of a repeated id.
        let mut origin: Vec<(u16, u64)> = Vec::new();
        let bar = progress.bar("reading", None);
        for (p, header) in paths.iter().zip(&headers) {
            let mapping = map_columns(p, header, cfg, &extra_names)?;
            for (f, _) in &mapping.fields {
                if !present.contains(f) {
                    present.push(*f);
                }
            }
            let stem = p
                .file_stem()
                .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into());
            let col = |f: Field| {
                mapping
                    .fields
                    .iter()
                    .find(|(g, _)| *g == f)
                    .map(|(_, i)| *i)
            };
            let (id_col, src_col, truth_col) =
                (col(Field::Id), col(Field::Source), col(Field::Truth));
            let mut rows = TextRows::open(p)?;
            let mut count = 0u64;
            loop {
                let chunk = rows.chunk(CHUNK)?;
                if chunk.is_empty() {
                    break;
                }
                let stds: Vec<Std> = chunk
                    .par_iter()
                    .map(|row| {
                        let get =
                            |f: Field| col(f).and_then(|i| row.fields.get(i).map(String::as_str));
                        let extras: Vec<Option<&str>> = mapping
                            .extras
                            .iter()
                            .map(|e| e.and_then(|i| row.fields.get(i).map(String::as_str)))
                            .collect();
                        standardise_fields(&get, &extras)
                    })
                    .collect();
                for (row, st) in chunk.iter().zip(stds) {
                    let id: Box<str> = match id_col.map(|i| row.fields[i].trim()) {
                        Some(v) if !v.is_empty() => v.into(),
                        _ => format!("{stem}:{}", row.line).into(),
                    };
                    let src_name = match src_col.map(|i| row.fields[i].trim()) {
                        Some(v) if !v.is_empty() => v,
                        _ => stem.as_str(),
                    };
                    let source = b.source(src_name)?;
                    b.push(id, source, st, truth_col.map(|i| row.fields[i].as_str()));
                    origin.push((b.ds.files.len() as u16, row.line));
                }
                count += chunk.len() as u64;
                bar.inc(chunk.len() as u64);
            }
            if count == 0 {
                return Err(LinkError::NoRecords(p.clone()));
            }
            let mut report = mapping.report;
            report.records = count;
            b.ds.files.push(report);
        }
        bar.finish_and_clear();
        check_unique_ids(&b.ds.records.ids, |i| {
            let (f, line) = origin[i];
            Location {
                file: paths[f as usize].clone(),
                line,
                column: b.ds.files[f as usize]
                    .columns
                    .iter()
                    .find(|(field, _)| field == Field::Id.name())
                    .map(|(_, c)| c.clone()),
            }
        })?;
        let mut ds = b.finish();
        ds.present = present;
        Ok(ds)
    }

    /// Builds a dataset from records already in memory. `present` lists the fields to link on;
    /// `extra_names` names the entries of [`RawRecord::extra`].
    pub fn from_raw(
        records: &[RawRecord],
        present: &[Field],
        extra_names: &[String],
    ) -> Result<Self> {
        let mut b = Builder::new(extra_names.to_vec());
        let stds: Vec<Std> = records
            .par_iter()
            .map(|r| {
                let get = |f: Field| -> Option<&str> {
                    if !present.contains(&f) {
                        return None;
                    }
                    Some(match f {
                        Field::FirstName => &r.first_name,
                        Field::Surname => &r.surname,
                        Field::Dob => &r.dob,
                        Field::Sex => &r.sex,
                        Field::Postcode => &r.postcode,
                        Field::Address => &r.address,
                        Field::NhsNumber => &r.nhs_number,
                        Field::Phone => &r.phone,
                        Field::Email => &r.email,
                        Field::Id | Field::Source | Field::Truth => return None,
                    })
                };
                let extras: Vec<Option<&str>> = (0..extra_names.len())
                    .map(|i| r.extra.get(i).map(String::as_str))
                    .collect();
                standardise_fields(&get, &extras)
            })
            .collect();
        for (i, (r, st)) in records.iter().zip(stds).enumerate() {
            let source = b.source(if r.source.is_empty() {
                "input"
            } else {
                &r.source
            })?;
            let id: Box<str> = if r.id.is_empty() {
                format!("record:{}", i + 1).into()
            } else {
                r.id.as_str().into()
            };
            b.push(id, source, st, Some(&r.truth));
        }
        let mut ds = b.finish();
        ds.present = present.to_vec();
        Ok(ds)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    pub fn has(&self, f: Field) -> bool {
        self.present.contains(&f)
    }

    /// The truth column as integer labels per record (records without a value get their own
    /// label), or `None` when no truth column was loaded.
    pub fn truth_labels(&self) -> Option<Vec<u64>> {
        if !self.has(Field::Truth) && self.records.truth.iter().all(|&t| t == 0) {
            return None;
        }
        Some(
            self.records
                .truth
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    if t == 0 {
                        (1 << 40) + i as u64
                    } else {
                        u64::from(t)
                    }
                })
                .collect(),
        )
    }
}
