//! Password rules as the NCSC advises: long enough, not a common password, no composition rules.
//! (NCSC, "Password administration for system owners": use a deny list, avoid complexity requirements.)

/// The shortest password accepted.
pub const MIN_LEN: usize = 12;
/// The longest: long enough for passphrases, short enough to bound hashing work.
pub const MAX_LEN: usize = 256;

/// Common passwords of 12 or more characters from public breach lists (shorter ones fail the length rule anyway).
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "111111111111",
    "000000000000",
    "password1234",
    "password12345",
    "password123456",
    "password123!",
    "passwordpassword",
    "password@123",
    "qwertyuiopas",
    "qwerty123456",
    "qwertyuiop123",
    "qwertyuiop[]",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "1q2w3e4r5t6y7u",
    "zaq12wsxcde3",
    "iloveyou1234",
    "iloveyouforever",
    "administrator",
    "administrator1",
    "welcome12345",
    "welcome123456",
    "letmein12345",
    "letmeinplease",
    "changeme1234",
    "changemenow!",
    "trustno1trustno1",
    "football1234",
    "baseball1234",
    "liverpool1234",
    "manchesterunited",
    "chelsea12345",
    "arsenal12345",
    "sunshine1234",
    "princess1234",
    "whatever1234",
    "monkey123456",
    "dragon123456",
    "superman1234",
    "batman123456",
    "starwars1234",
    "computer1234",
    "internet1234",
    "abcdefghijkl",
    "abc123456789",
    "abcd12345678",
    "abcdefgh1234",
    "asdfghjkl123",
    "asdfghjkl;'",
    "zxcvbnm12345",
    "myspace12345",
    "summer2024!!",
    "winter2024!!",
    "spring2025!!",
    "autumn2025!!",
    "january12345",
    "nhspassword1",
    "nhspassword123",
    "policepassword",
    "mentalhealth1",
    "mentalhealth123",
    "concordat123",
    "concordat1234",
    "correcthorsebatterystaple",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "pa55word1234",
    "secret123456",
    "secretpassword",
    "mypassword123",
    "newpassword1",
    "newpassword123",
];

/// Why a password is refused, in words for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least 12 characters: three random words work well")]
    TooShort,
    #[error("use at most 256 characters")]
    TooLong,
    #[error("this password is too common and easy to guess: choose another")]
    Common,
    #[error("do not use your username in your password")]
    ContainsUsername,
}

/// Checks a new password. There are deliberately no rules about digits, symbols or case.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || is_trivial(&lower) {
        return Err(PasswordError::Common);
    }
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 4 && lower.contains(&user) {
        return Err(PasswordError::ContainsUsername);
    }
    Ok(())
}

/// One repeated character, or a run of consecutive characters ("abcdefghijkl", "234567890123").
fn is_trivial(p: &str) -> bool {
    let b = p.as_bytes();
    let repeated = b.iter().all(|c| *c == b[0]);
    let ascending = b
        .windows(2)
        .all(|w| w[1] == w[0].wrapping_add(1) || (w[0] == b'9' && w[1] == b'0'));
    repeated || ascending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, user: &str, expect: Result<(), PasswordError>) {
        assert_eq!(check_new_password(pw, user), expect, "{pw:?}");
    }

    #[test]
    fn rules() {
        check("short", "amy", Err(PasswordError::TooShort));
        check("elevenchars", "amy", Err(PasswordError::TooShort));
        check("Password1234", "amy", Err(PasswordError::Common));
        check("aaaaaaaaaaaaaa", "amy", Err(PasswordError::Common));
        check("345678901234", "amy", Err(PasswordError::Common));
        check(
            "amy.jones-harbour-kettle",
            "amy.jones",
            Err(PasswordError::ContainsUsername),
        );
        check(&"x".repeat(257), "amy", Err(PasswordError::TooLong));
        // No composition rules: lower-case words are fine.
        check("harbour kettle violet", "amy", Ok(()));
        check("ünïcödé pässwörd", "amy", Ok(()));
    }
}
