//! Text as people type it: Unicode normalised to NFC on the way in, control characters refused, and a
//! case-folded key for matching names (SQL's `lower()` folds ASCII only on SQLite, so the key is
//! computed here, on write and on search, and stored beside the name).

use unicode_normalization::UnicodeNormalization;

/// The text in Unicode normalisation form C (composed), so "Ø" typed two ways is stored one way.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The key a name is matched on: NFC, lower-cased by Unicode's rules (not ASCII's), NFC again, and
/// trimmed. "Ødegård", "ØDEGÅRD" and "O\u{308}degard"-style decomposed input all meet on one key.
pub fn search_key(s: &str) -> String {
    let lower: String = s.trim().nfc().flat_map(char::to_lowercase).collect();
    lower.nfc().collect()
}

/// The first control character in the text (NUL, escape, line breaks and the like), if any.
pub fn control_char(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// The message for a field that holds a control character: names what was found, never the text.
pub fn control_char_message(c: char) -> String {
    format!(
        "remove the control character (U+{:04X}): use letters, numbers, spaces and punctuation only",
        c as u32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_composition_fold_to_one_key() {
        let composed = "Ødegård";
        let decomposed = "O\u{338}dega\u{30a}rd"; // "å" as a + combining ring above
        assert_eq!(search_key(composed), "ødegård");
        assert_eq!(search_key("ØDEGÅRD"), "ødegård");
        assert_eq!(search_key("  ødegård "), "ødegård");
        assert_eq!(search_key("a\u{30a}"), search_key("Å"));
        assert_eq!(nfc("a\u{30a}"), "å");
        // O + combining long solidus overlay does not compose to Ø in Unicode; still one key for its own forms.
        assert_eq!(
            search_key(decomposed),
            search_key(&decomposed.to_uppercase())
        );
        assert_eq!(search_key("Ñúñez"), search_key("ÑÚÑEZ"));
        assert_eq!(search_key("O'Brien"), "o'brien");
    }

    #[test]
    fn control_characters_are_found() {
        assert_eq!(control_char("Smith\0"), Some('\0'));
        assert_eq!(control_char("Smi\u{1b}th"), Some('\u{1b}'));
        assert_eq!(control_char("line\nbreak"), Some('\n'));
        assert_eq!(control_char("Ødegård-O'Neil Jr."), None);
        assert!(control_char_message('\0').contains("U+0000"));
    }
}
