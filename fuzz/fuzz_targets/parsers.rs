//! Standardisation must be total: any text in, a value or "missing" out, never a panic.
#![no_main]

use concordat_link::standardise;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = standardise::parse_date(s);
    let _ = standardise::forename(s);
    let _ = standardise::surname(s);
    let _ = standardise::address(s);
    let _ = standardise::phone(s);
    let _ = standardise::email(s);
    let _ = standardise::sex(s);
    let _ = standardise::soundex(s);
    let _ = standardise::nickname_groups(s);
    let n = standardise::normalise_text(s);
    assert_eq!(standardise::normalise_text(&n), n);
});
