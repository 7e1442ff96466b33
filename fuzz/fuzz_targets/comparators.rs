//! Comparators on arbitrary records: levels stay in range and similarity stays in [0, 1].
#![no_main]

use concordat_link::compare::{CompareKind, Comparer, jaro_winkler, level, within_one_edit};
use concordat_link::{Dataset, Field, RawRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let parts: Vec<&str> = s.split('|').collect();
    let get = |i: usize| parts.get(i).copied().unwrap_or("").to_owned();
    let (a, b) = (get(0), get(1));
    let sim = jaro_winkler(&a, &b);
    assert!((0.0..=1.0 + 1e-9).contains(&sim));
    assert_eq!(within_one_edit(&a, &b), within_one_edit(&b, &a));
    let rec = |o: usize| RawRecord {
        first_name: get(o),
        surname: get(o + 1),
        dob: get(o + 2),
        sex: get(o + 3),
        postcode: get(o + 4),
        address: get(o + 5),
        nhs_number: get(o + 6),
        phone: get(o + 7),
        email: get(o + 8),
        ..Default::default()
    };
    let fields = [
        Field::FirstName,
        Field::Surname,
        Field::Dob,
        Field::Sex,
        Field::Postcode,
        Field::Address,
        Field::NhsNumber,
        Field::Phone,
        Field::Email,
    ];
    let Ok(ds) = Dataset::from_raw(&[rec(0), rec(9)], &fields, &[]) else {
        return;
    };
    let kinds = CompareKind::for_dataset(&ds);
    let cmp = Comparer::new(&ds, &kinds);
    let g = cmp.gamma(0, 1);
    for (k, kind) in kinds.iter().enumerate() {
        assert!(usize::from(level(g, k)) <= kind.labels().len());
    }
});
