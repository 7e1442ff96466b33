//! Privacy-preserving linkage: each agency turns its records into Bloom-filter encodings
//! (1,024-bit CLKs in the spirit of clkhash) with a shared secret; the linker compares
//! encodings by Dice similarity and never sees a name.
//!
//! Encoding: each field is split into tokens (padded bigrams of names and addresses; day,
//! month and year of a date of birth; district, sector and full postcode). Each token sets
//! `k` bits (configurable per field) at positions from double hashing of
//! HMAC-SHA256(secret, field label, token). Blocking uses keyed hashes the encoder also
//! emits (HMAC of date of birth, of surname Soundex and birth year, …): equal plaintext keys
//! give equal hashes, but without the secret they cannot be reversed by a dictionary.

use crate::block::{Blocking, BlockingRule};
use crate::cluster::{self, ScoredPair};
use crate::config::{ClusterMethod, EncodeConfig, LinkConfig};
use crate::dataset::{Dataset, TextRows};
use crate::error::{LinkError, Location, Result};
use crate::pipeline::{self, Clusters, Mode, Summary};
use crate::privacy_fs::{FIELD_BITS, FIELD_COLUMNS, FieldBf, FieldSet};
use crate::progress::Progress;
use crate::standardise::Dob;
use crate::util::FxMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rayon::prelude::*;
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// Bits in one encoding.
pub const BITS: usize = 1024;
const WORDS: usize = BITS / 64;

/// A 1,024-bit Bloom filter.
pub type Clk = [u64; WORDS];

/// The blocking keys the encoder emits, by column name. The last two (keyed hashes of the NHS
/// number and of the phone number) were added later: files without them still load, with those
/// keys empty.
pub const BLOCK_COLUMNS: [&str; 6] = [
    "bk_dob",
    "bk_surname_year",
    "bk_postcode_initial",
    "bk_names",
    "bk_nhs",
    "bk_phone",
];

/// Blocking columns an encoding file may lack (see [`BLOCK_COLUMNS`]).
const OPTIONAL_BLOCK_COLUMNS: [&str; 2] = ["bk_nhs", "bk_phone"];

/// Index of the NHS-number key in [`BLOCK_COLUMNS`].
const NHS_KEY: usize = 4;

/// How far below the link threshold the Dice similarity of a pair whose keyed NHS-number hashes
/// agree may fall and still link. A valid NHS number (mistyped ones fail the check digit and are
/// left out) shared by chance is rare, so agreement on it is strong evidence of its own: in the
/// plaintext model it is worth more than any other single field.
pub const NHS_DICE_MARGIN: f64 = 0.3;

/// How far below the link threshold the average Dice similarity inside a group may fall in the
/// strict method: individual links must reach the threshold, groups only on average minus this.
pub const STRICT_DICE_MARGIN: f64 = 0.1;

/// A shared secret read from a key file.
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Reads a key file: at least 32 bytes (256 bits) and at most 4 KiB.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| LinkError::io(path, e))?;
        Self::new(bytes).map_err(|len| LinkError::KeyLength {
            path: path.to_path_buf(),
            len,
        })
    }
    /// A secret from bytes; `Err(len)` when shorter than 32 or longer than 4,096 bytes.
    pub fn new(bytes: Vec<u8>) -> std::result::Result<Self, usize> {
        if bytes.len() < 32 || bytes.len() > 4096 {
            Err(bytes.len())
        } else {
            Ok(Self(bytes))
        }
    }

    fn mac(&self, label: &str, token: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail; the fallback keeps it total.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return [0; 32];
        };
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn block_key(&self, label: &str, value: &str) -> String {
        let h = self.mac(label, value);
        h[..10].iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn bigrams(s: &str) -> Vec<String> {
    let padded: Vec<char> = std::iter::once('_')
        .chain(s.chars())
        .chain(std::iter::once('_'))
        .collect();
    padded.windows(2).map(|w| w.iter().collect()).collect()
}

fn set_bits(clk: &mut Clk, secret: &Secret, label: &str, token: &str, k: u32) {
    let h = secret.mac(label, token);
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&h[0..8]);
    b.copy_from_slice(&h[8..16]);
    let (h1, h2) = (u64::from_le_bytes(a), u64::from_le_bytes(b) | 1);
    for i in 0..u64::from(k) {
        let pos = (h1.wrapping_add(i.wrapping_mul(h2)) % BITS as u64) as usize;
        clk[pos / 64] |= 1 << (pos % 64);
    }
}

/// One encoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub id: String,
    pub source: String,
    pub clk: Clk,
    /// Keyed blocking hashes in [`BLOCK_COLUMNS`] order; empty when a part is missing.
    pub blocks: [String; 6],
    /// One filter per field in [`crate::privacy_fs::FIELD_COLUMNS`] order; all zero when missing.
    pub fields: [FieldBf; 5],
}

fn set_field_bits(bf: &mut FieldBf, secret: &Secret, label: &str, token: &str, k: u32) {
    let h = secret.mac(label, token);
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&h[0..8]);
    b.copy_from_slice(&h[8..16]);
    let (h1, h2) = (u64::from_le_bytes(a), u64::from_le_bytes(b) | 1);
    for i in 0..u64::from(k) {
        let pos = (h1.wrapping_add(i.wrapping_mul(h2)) % FIELD_BITS as u64) as usize;
        bf[pos / 64] |= 1 << (pos % 64);
    }
}

/// Bits per token in the per-field filters: names and addresses as bigrams, date of birth as
/// day, month and year, postcode as district, sector and full code.
const FIELD_K: [u32; 5] = [10, 10, 20, 20, 5];

/// Encodes every record of a dataset (after the usual standardisation).
pub fn encode(ds: &Dataset, secret: &Secret, cfg: &EncodeConfig) -> Vec<Encoded> {
    let r = &ds.records;
    (0..ds.len())
        .into_par_iter()
        .map(|i| {
            let s = |k| ds.strings.resolve(k);
            let mut clk = [0u64; WORDS];
            // Nicknames are encoded as the formal name, so Bill and William agree.
            let first = if r.first_canon[i] != 0 {
                s(r.first_canon[i])
            } else {
                s(r.first[i])
            };
            if !first.is_empty() {
                for t in bigrams(first) {
                    set_bits(&mut clk, secret, "first_name", &t, cfg.first_name);
                }
            }
            let surname = s(r.surname[i]);
            if !surname.is_empty() {
                for t in bigrams(surname) {
                    set_bits(&mut clk, secret, "surname", &t, cfg.surname);
                }
            }
            let dob = (r.dob[i] != 0).then(|| Dob(r.dob[i]));
            if let Some(d) = dob {
                for t in [
                    format!("d{}", d.day()),
                    format!("m{}", d.month()),
                    format!("y{}", d.year()),
                ] {
                    set_bits(&mut clk, secret, "dob", &t, cfg.dob);
                }
            }
            if r.sex[i] != 0 {
                set_bits(&mut clk, secret, "sex", &r.sex[i].to_string(), cfg.sex);
            }
            if r.postcode[i] != 0 {
                for t in [s(r.postcode[i]), s(r.sector[i]), s(r.district[i])] {
                    if !t.is_empty() {
                        set_bits(&mut clk, secret, "postcode", t, cfg.postcode);
                    }
                }
            }
            if cfg.address > 0 && r.address[i] != 0 {
                for t in bigrams(s(r.address[i])) {
                    set_bits(&mut clk, secret, "address", &t, cfg.address);
                }
            }
            if cfg.nhs_number > 0 && r.nhs[i] != 0 {
                set_bits(
                    &mut clk,
                    secret,
                    "nhs_number",
                    &(r.nhs[i] - 1).to_string(),
                    cfg.nhs_number,
                );
            }
            if cfg.phone > 0 && r.phone[i] != 0 {
                set_bits(&mut clk, secret, "phone", s(r.phone[i]), cfg.phone);
            }
            // Per-field filters, keyed under other labels than the CLK's.
            let mut fields = [[0u64; 4]; 5];
            if !first.is_empty() {
                for t in bigrams(first) {
                    set_field_bits(&mut fields[0], secret, "f:first_name", &t, FIELD_K[0]);
                }
            }
            if !surname.is_empty() {
                for t in bigrams(surname) {
                    set_field_bits(&mut fields[1], secret, "f:surname", &t, FIELD_K[1]);
                }
            }
            if let Some(d) = dob {
                for t in [
                    format!("d{}", d.day()),
                    format!("m{}", d.month()),
                    format!("y{}", d.year()),
                ] {
                    set_field_bits(&mut fields[2], secret, "f:dob", &t, FIELD_K[2]);
                }
            }
            if r.postcode[i] != 0 {
                for t in [s(r.postcode[i]), s(r.sector[i]), s(r.district[i])] {
                    if !t.is_empty() {
                        set_field_bits(&mut fields[3], secret, "f:postcode", t, FIELD_K[3]);
                    }
                }
            }
            if r.address[i] != 0 {
                for t in bigrams(s(r.address[i])) {
                    set_field_bits(&mut fields[4], secret, "f:address", &t, FIELD_K[4]);
                }
            }
            let sdx = |v: u32| {
                if v == 0 {
                    String::new()
                } else {
                    String::from_utf8_lossy(&v.to_le_bytes()).into_owned()
                }
            };
            let initial = first.chars().next().map(String::from).unwrap_or_default();
            let key = |label: &str, parts: &[&str]| {
                if parts.iter().any(|p| p.is_empty()) {
                    String::new()
                } else {
                    secret.block_key(label, &parts.join("|"))
                }
            };
            let dob_s = dob.map(|d| d.to_string()).unwrap_or_default();
            let year = dob.map(|d| d.year().to_string()).unwrap_or_default();
            let nhs = if r.nhs[i] != 0 {
                (r.nhs[i] - 1).to_string()
            } else {
                String::new()
            };
            let blocks = [
                key("bk_dob", &[&dob_s]),
                key("bk_surname_year", &[&sdx(r.surname_sdx[i]), &year]),
                key("bk_postcode_initial", &[s(r.postcode[i]), &initial]),
                key("bk_names", &[&sdx(r.first_sdx[i]), &sdx(r.surname_sdx[i])]),
                key("bk_nhs", &[&nhs]),
                key("bk_phone", &[s(r.phone[i])]),
            ];
            Encoded {
                id: r.ids[i].to_string(),
                source: ds.sources[r.source[i] as usize].clone(),
                clk,
                blocks,
                fields,
            }
        })
        .collect()
}

/// Writes encodings as CSV: `record_id,source,clk` (base64) and the blocking-key columns.
pub fn write_encoded(path: &Path, rows: &[Encoded]) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| LinkError::io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    let err = |e: csv::Error| LinkError::Input(format!("{}: cannot write: {e}", path.display()));
    let mut header = vec!["record_id", "source", "clk"];
    header.extend(BLOCK_COLUMNS);
    header.extend(FIELD_COLUMNS);
    w.write_record(&header).map_err(err)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    for r in rows {
        let bytes: Vec<u8> = r.clk.iter().flat_map(|w| w.to_le_bytes()).collect();
        let clk = b64.encode(bytes);
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|f| {
                if f.iter().all(|w| *w == 0) {
                    String::new()
                } else {
                    b64.encode(f.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>())
                }
            })
            .collect();
        let mut rec = vec![r.id.as_str(), r.source.as_str(), clk.as_str()];
        rec.extend(r.blocks.iter().map(String::as_str));
        rec.extend(fields.iter().map(String::as_str));
        w.write_record(&rec).map_err(err)?;
    }
    w.flush().map_err(|e| LinkError::io(path, e))
}

/// Whether a CSV file holds encodings (its header has a `clk` column).
pub fn is_encoded(path: &Path) -> Result<bool> {
    let rows = TextRows::open(path)?;
    Ok(rows.header().iter().any(|h| h == "clk"))
}

/// Encodings loaded for linking.
#[derive(Debug, Clone, Default)]
pub struct EncodedSet {
    pub ids: Vec<Box<str>>,
    pub source: Vec<u16>,
    pub sources: Vec<String>,
    pub clks: Vec<Clk>,
    pub popcount: Vec<u32>,
    /// Per blocking column, per record: the key hash (0 when empty).
    pub keys: Vec<Vec<u64>>,
    /// Per-field filters, when every input has them (older encodings do not).
    pub fields: Option<FieldSet>,
}

/// Reads encoding files written by [`write_encoded`]. The source is the `source` column.
pub fn load_encoded(paths: &[PathBuf]) -> Result<EncodedSet> {
    let mut set = EncodedSet {
        keys: vec![Vec::new(); BLOCK_COLUMNS.len()],
        ..Default::default()
    };
    let mut source_index: FxMap<String, u16> = FxMap::default();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut origin: Vec<(usize, u64)> = Vec::new();
    let mut has_fields = true;
    set.fields = Some(FieldSet::default());
    for (file_no, path) in paths.iter().enumerate() {
        let mut rows = TextRows::open(path)?;
        let header = rows.header().to_vec();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| LinkError::MissingColumn {
                    file: path.clone(),
                    field: "encoding".into(),
                    column: name.into(),
                    header: header.join(", "),
                })
        };
        let (ci, si, ki) = (col("record_id")?, col("source")?, col("clk")?);
        let bcols: Vec<Option<usize>> = BLOCK_COLUMNS
            .iter()
            .map(|c| match col(c) {
                Ok(i) => Ok(Some(i)),
                Err(_) if OPTIONAL_BLOCK_COLUMNS.contains(c) => Ok(None),
                Err(e) => Err(e),
            })
            .collect::<Result<_>>()?;
        let fcols: Option<Vec<usize>> = FIELD_COLUMNS
            .iter()
            .map(|c| header.iter().position(|h| h == c))
            .collect();
        if fcols.is_none() {
            // One file without per-field filters: the whole set is linked by Dice.
            set.fields = None;
            has_fields = false;
        }
        let mut count = 0usize;
        loop {
            let chunk = rows.chunk(65_536)?;
            if chunk.is_empty() {
                break;
            }
            for row in chunk {
                let bytes = b64
                    .decode(row.fields[ki].trim())
                    .map_err(|_| LinkError::Csv {
                        at: Location {
                            file: path.clone(),
                            line: row.line,
                            column: Some("clk".into()),
                        },
                        message: "not a base64 encoding".into(),
                    })?;
                if bytes.len() != BITS / 8 {
                    return Err(LinkError::Csv {
                        at: Location {
                            file: path.clone(),
                            line: row.line,
                            column: Some("clk".into()),
                        },
                        message: format!(
                            "an encoding has {} bytes; expected {}",
                            bytes.len(),
                            BITS / 8
                        ),
                    });
                }
                let mut clk = [0u64; WORDS];
                for (w, c) in clk.iter_mut().zip(bytes.chunks_exact(8)) {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    *w = u64::from_le_bytes(a);
                }
                let src = row.fields[si].trim().to_owned();
                let n = source_index.len();
                let s = *source_index.entry(src.clone()).or_insert_with(|| {
                    set.sources.push(src);
                    n as u16
                });
                if has_fields && let Some(fc) = &fcols {
                    let mut f = [[0u64; 4]; 5];
                    for (slot, &c) in f.iter_mut().zip(fc) {
                        let text = row.fields[c].trim();
                        if text.is_empty() {
                            continue;
                        }
                        let bytes = b64.decode(text).ok().filter(|b| b.len() == FIELD_BITS / 8);
                        let Some(bytes) = bytes else {
                            return Err(LinkError::Csv {
                                at: Location {
                                    file: path.clone(),
                                    line: row.line,
                                    column: Some(header[c].clone()),
                                },
                                message: format!(
                                    "not a base64 encoding of {} bytes; re-encode the file",
                                    FIELD_BITS / 8
                                ),
                            });
                        };
                        for (w, ch) in slot.iter_mut().zip(bytes.chunks_exact(8)) {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(ch);
                            *w = u64::from_le_bytes(a);
                        }
                    }
                    if let Some(fs) = set.fields.as_mut() {
                        fs.push(f);
                    }
                }
                set.ids.push(row.fields[ci].trim().into());
                origin.push((file_no, row.line));
                set.source.push(s);
                set.popcount.push(clk.iter().map(|w| w.count_ones()).sum());
                set.clks.push(clk);
                for (k, &c) in bcols.iter().enumerate() {
                    let v = c.map_or("", |c| row.fields[c].trim());
                    set.keys[k].push(if v.is_empty() { 0 } else { hash_str(v) });
                }
                count += 1;
            }
        }
        if count == 0 {
            return Err(LinkError::NoRecords(path.clone()));
        }
    }
    crate::dataset::check_unique_ids(&set.ids, |i| Location {
        file: paths[origin[i].0].clone(),
        line: origin[i].1,
        column: Some("record_id".into()),
    })?;
    Ok(set)
}

impl EncodedSet {
    /// The linker's similarity of two records: the Dice similarity of their encodings, raised by
    /// [`NHS_DICE_MARGIN`] (at most to 1) when their keyed NHS-number hashes agree.
    pub fn similarity(&self, x: usize, y: usize) -> f64 {
        let d = dice(
            &self.clks[x],
            &self.clks[y],
            self.popcount[x],
            self.popcount[y],
        );
        let nhs = &self.keys[NHS_KEY];
        if nhs[x] != 0 && nhs[x] == nhs[y] {
            (d + NHS_DICE_MARGIN).min(1.0)
        } else {
            d
        }
    }
}

fn hash_str(s: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::util::FxHasher::default();
    h.write(s.as_bytes());
    crate::util::mix64(h.finish()).max(1)
}

/// Dice similarity of two encodings.
#[inline]
pub fn dice(a: &Clk, b: &Clk, pa: u32, pb: u32) -> f64 {
    if pa + pb == 0 {
        return 0.0;
    }
    let common: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    2.0 * f64::from(common) / f64::from(pa + pb)
}

/// Result of linking encodings.
#[derive(Debug, Clone)]
pub struct EncodedResult {
    /// Pairs at or above the threshold: match weight and probability from the per-field model,
    /// or the Dice similarity twice for encodings without per-field filters.
    pub pairs: Vec<ScoredPair>,
    /// Whether the per-field model was used (false: single Dice threshold).
    pub per_field: bool,
    pub clusters: Clusters,
    pub summary: Summary,
}

/// Links (or dedupes) encodings: blocking on the keyed hashes, Dice similarity at or above
/// `cfg.encode.threshold`, then clustering.
pub fn link_encoded(
    set: &EncodedSet,
    cfg: &LinkConfig,
    mode: Mode,
    progress: &Progress,
) -> Result<EncodedResult> {
    cfg.validate()?;
    if set.ids.len() < 2 {
        return Err(LinkError::Input("at least two records are needed".into()));
    }
    if mode == Mode::LinkOnly && set.sources.len() < 2 {
        return Err(LinkError::Input(
            "linking needs at least two sources".into(),
        ));
    }
    let t0 = std::time::Instant::now();
    let rules: Vec<BlockingRule> = BLOCK_COLUMNS
        .iter()
        .map(|c| BlockingRule {
            text: (*c).to_owned(),
            parts: Vec::new(),
        })
        .collect();
    let blocking = Blocking::from_keys(
        rules,
        set.keys.clone(),
        None,
        &set.source,
        cfg.block_limits(set.source.len()),
        mode == Mode::LinkOnly,
    );
    let per_field = set.fields.as_ref();
    let threshold = if per_field.is_some() {
        cfg.threshold
    } else {
        cfg.encode.threshold
    };
    let bar = progress.bar("comparing", Some(blocking.total_rule_pairs()));
    let mut fs_model = None;
    let (mut pairs, compared, new_per_rule) = if let Some(fs) = per_field {
        let (model, cands) = crate::privacy_fs::train(
            fs,
            &set.keys,
            NHS_KEY,
            &set.source,
            &blocking,
            cfg,
            mode == Mode::LinkOnly,
        );
        let scored = crate::privacy_fs::score(&model, &cands, threshold);
        fs_model = Some(model);
        scored
    } else {
        blocking.fold_pairs(
            || (Vec::new(), 0u64, [0u64; 16]),
            |(kept, n, per_rule), a, b, mask| {
                let d = set.similarity(a as usize, b as usize);
                *n += 1;
                // A pair counts as new for the first rule that generates it, as in the plaintext summary.
                let first = mask.trailing_zeros() as usize & 7;
                per_rule[first] += 1;
                if *n % 65_536 == 0 {
                    bar.inc(65_536);
                }
                if d >= threshold {
                    per_rule[8 + first] += 1;
                    kept.push(ScoredPair {
                        a,
                        b,
                        weight: d as f32,
                        probability: d as f32,
                    });
                }
            },
            |(mut k1, n1, r1), (k2, n2, r2)| {
                k1.extend(k2);
                let mut r = r1;
                for (x, y) in r.iter_mut().zip(r2) {
                    *x += y;
                }
                (k1, n1 + n2, r)
            },
        )
    };
    bar.finish_and_clear();
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    let t_score = t0.elapsed().as_secs_f64();
    let n = set.ids.len();
    // Per-field encodings carry a model, so they cluster like plain records (strict unless set);
    // encodings linked by Dice alone cluster by connected components.
    let method = cfg.cluster_for(fs_model.is_none());
    let labels = match (method, &fs_model) {
        (ClusterMethod::Connected, _) => cluster::connected_components(n, &pairs, threshold),
        (ClusterMethod::Strict, Some(model)) => {
            let fs = per_field.unwrap_or_else(|| unreachable!("a model implies per-field filters"));
            cluster::strict(n, &pairs, threshold, |a, b| {
                crate::model::probability(model.weight(crate::privacy_fs::gamma(
                    fs, &set.keys, NHS_KEY, a as usize, b as usize,
                )))
            })
        }
        (ClusterMethod::Strict, None) => cluster::strict_with(
            n,
            &pairs,
            threshold,
            threshold - STRICT_DICE_MARGIN,
            |a, b| set.similarity(a as usize, b as usize),
        ),
    };
    let clusters = pipeline::finish_clusters(labels, &pairs);
    let mut counts = vec![0u64; set.sources.len()];
    for &s in &set.source {
        counts[s as usize] += 1;
    }
    let mut warnings = Vec::new();
    if per_field.is_none() {
        warnings.push(
            "these encodings have no per-field filters (written by an older encoder), so they were linked by a single Dice threshold; re-encode with `concordat link encode` to link them with the per-field model, which is more accurate".to_owned(),
        );
    }
    let summary = Summary {
        mode: format!(
            "{} (encodings, {})",
            if mode == Mode::LinkOnly {
                "link"
            } else {
                "dedupe"
            },
            if per_field.is_some() {
                "per-field Fellegi-Sunter model over Dice bands"
            } else {
                "Dice similarity"
            }
        ),
        prior: fs_model.as_ref().map_or(0.0, |m| m.prior),
        warnings,
        records: n as u64,
        sources: set.sources.iter().cloned().zip(counts).collect(),
        rules: blocking
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| crate::block::RuleReport {
                new_pairs: new_per_rule[i],
                new_links: new_per_rule[8 + i],
                ..r.clone()
            })
            .collect(),
        pairs_compared: compared,
        pairs_above_threshold: pairs.len() as u64,
        threshold,
        cluster_method: format!("{method:?}").to_lowercase(),
        clusters: clusters.count as u64,
        cluster_sizes: pipeline::size_histogram(&clusters.labels),
        largest_cluster: clusters
            .labels
            .iter()
            .fold(vec![0u64; clusters.count], |mut v, &l| {
                v[l as usize] += 1;
                v
            })
            .into_iter()
            .max()
            .unwrap_or(0),
        timings: vec![
            ("blocking and scoring".into(), t_score),
            ("clustering".into(), t0.elapsed().as_secs_f64() - t_score),
        ],
        blocking: blocking.plan.clone(),
        threads: rayon::current_num_threads(),
        cpu_seconds: crate::util::process_cpu_seconds(),
        ..Default::default()
    };
    Ok(EncodedResult {
        pairs,
        per_field: fs_model.is_some(),
        clusters,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Field, RawRecord};

    fn secret() -> Secret {
        Secret::new(vec![7u8; 32]).unwrap()
    }

    #[test]
    fn key_length_is_checked() {
        assert_eq!(Secret::new(vec![0; 31]).err(), Some(31));
        assert!(Secret::new(vec![0; 32]).is_ok());
        assert_eq!(Secret::new(vec![0; 5000]).err(), Some(5000));
    }

    #[test]
    fn similar_people_have_similar_encodings() {
        let raw = |f: &str, s: &str, d: &str| RawRecord {
            first_name: f.into(),
            surname: s.into(),
            dob: d.into(),
            ..Default::default()
        };
        let ds = Dataset::from_raw(
            &[
                raw("Bill", "Smith", "1980-01-02"),
                raw("William", "Smyth", "1980-01-02"),
                raw("Jane", "Doe", "1975-06-07"),
            ],
            &[Field::FirstName, Field::Surname, Field::Dob],
            &[],
        )
        .unwrap();
        let enc = encode(&ds, &secret(), &EncodeConfig::default());
        let d = |i: usize, j: usize| {
            let p = |k: usize| enc[k].clk.iter().map(|w| w.count_ones()).sum::<u32>();
            dice(&enc[i].clk, &enc[j].clk, p(i), p(j))
        };
        assert!(d(0, 1) > 0.8, "{}", d(0, 1));
        assert!(d(0, 2) < 0.5, "{}", d(0, 2));
        assert_eq!(enc[0].blocks[0], enc[1].blocks[0]);
        assert_ne!(enc[0].blocks[0], enc[2].blocks[0]);
        // Another secret gives unrelated encodings.
        let other = encode(
            &ds,
            &Secret::new(vec![8u8; 32]).unwrap(),
            &EncodeConfig::default(),
        );
        assert_ne!(other[0].clk, enc[0].clk);
        assert_ne!(other[0].blocks[0], enc[0].blocks[0]);
    }

    #[test]
    fn agreeing_nhs_numbers_raise_the_similarity_and_old_files_still_load() {
        // 943 476 5919 passes the modulus-11 check; 401 023 2137 does too.
        let raw = |f: &str, s: &str, nhs: &str, phone: &str| RawRecord {
            id: format!("{f}-{nhs}"),
            first_name: f.into(),
            surname: s.into(),
            dob: "1980-01-02".into(),
            nhs_number: nhs.into(),
            phone: phone.into(),
            ..Default::default()
        };
        let fields = [
            Field::Id,
            Field::FirstName,
            Field::Surname,
            Field::Dob,
            Field::NhsNumber,
            Field::Phone,
        ];
        let ds = Dataset::from_raw(
            &[
                raw("Margaret", "Okafor", "9434765919", "07700900123"),
                raw("Peggy", "Okafor-Jones", "943 476 5919", "07700 900123"),
                raw("Peggy", "Okafor-Jones", "4010232137", ""),
            ],
            &fields,
            &[],
        )
        .unwrap();
        let enc = encode(&ds, &secret(), &EncodeConfig::default());
        assert_eq!(enc[0].blocks.len(), BLOCK_COLUMNS.len());
        assert!(!enc[0].blocks[NHS_KEY].is_empty());
        assert_eq!(enc[0].blocks[NHS_KEY], enc[1].blocks[NHS_KEY]);
        assert_ne!(enc[1].blocks[NHS_KEY], enc[2].blocks[NHS_KEY]);
        assert_eq!(enc[0].blocks[5], enc[1].blocks[5], "phone key");
        assert!(enc[2].blocks[5].is_empty(), "no phone, no key");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enc.csv");
        write_encoded(&path, &enc).unwrap();
        let set = load_encoded(std::slice::from_ref(&path)).unwrap();
        let plain =
            |x: usize, y: usize| dice(&set.clks[x], &set.clks[y], set.popcount[x], set.popcount[y]);
        // Records 1 and 2 share every encoded field, so only the NHS number tells them apart.
        assert!((set.similarity(1, 2) - plain(1, 2)).abs() < 1e-12);
        let raised = set.similarity(0, 1);
        assert!(
            (raised - (plain(0, 1) + NHS_DICE_MARGIN).min(1.0)).abs() < 1e-12,
            "{raised} vs {}",
            plain(0, 1)
        );

        assert!(
            set.fields.is_some(),
            "new encodings carry per-field filters"
        );

        // Files written before the NHS and phone keys existed (7 columns), or before the
        // per-field filters (9 columns), still load; they are linked by Dice with a warning.
        let text = std::fs::read_to_string(&path).unwrap();
        for keep in [7, 9] {
            let old: String = text
                .lines()
                .map(|l| {
                    let cols: Vec<&str> = l.split(',').collect();
                    cols[..keep].join(",") + "\n"
                })
                .collect();
            let old_path = dir.path().join(format!("old{keep}.csv"));
            std::fs::write(&old_path, old).unwrap();
            let old_set = load_encoded(&[old_path]).unwrap();
            assert_eq!(old_set.ids.len(), 3);
            assert!(old_set.fields.is_none());
            if keep == 7 {
                assert!(old_set.keys[NHS_KEY].iter().all(|&k| k == 0));
            }
            if keep == 7 {
                assert!((old_set.similarity(0, 1) - plain(0, 1)).abs() < 1e-12);
            }
            let r = link_encoded(
                &old_set,
                &LinkConfig::default(),
                Mode::Dedupe,
                &Progress::hidden(),
            )
            .unwrap();
            assert!(!r.per_field);
            assert!(
                r.summary.warnings[0].contains("re-encode"),
                "{:?}",
                r.summary.warnings
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn dice_is_a_similarity(a in proptest::collection::vec(proptest::num::u64::ANY, 16), b in proptest::collection::vec(proptest::num::u64::ANY, 16)) {
            let mut x = [0u64; 16];
            let mut y = [0u64; 16];
            x.copy_from_slice(&a);
            y.copy_from_slice(&b);
            let p = |c: &Clk| c.iter().map(|w| w.count_ones()).sum::<u32>();
            let d = dice(&x, &y, p(&x), p(&y));
            proptest::prop_assert!((0.0..=1.0).contains(&d));
            proptest::prop_assert!((d - dice(&y, &x, p(&y), p(&x))).abs() < 1e-12);
            if p(&x) > 0 {
                proptest::prop_assert!((dice(&x, &x, p(&x), p(&x)) - 1.0).abs() < 1e-12);
            }
        }
    }
}
