//! The server's secret key, and the encryption of TOTP secrets with it.
//!
//! The key is 32 bytes in a file that only its owner may read, named by `--secret-key-file` or
//! `CONCORDAT_SECRET_KEY_FILE` ([`SecretKey::load`] is the one place that reads it).
//! TOTP secrets are stored as `v1:` followed by base64 of a random 12-byte nonce and the
//! ChaCha20-Poly1305 ciphertext, with the user id as associated data, so a secret copied to
//! another user's row does not decrypt. A secret without the prefix is base32 in the clear from
//! before encryption: it still works, and is rewritten encrypted when its next code is accepted.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use concordat_domain::model::UserId;
use std::path::Path;

/// The prefix of the current storage format; a later format gets a new prefix.
const V1: &str = "v1:";

/// A 32-byte key. `Debug` never prints it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// A key from 32 bytes (for tests and callers that hold the key already).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        rand::fill(&mut b);
        SecretKey(b)
    }

    /// Reads the key from `path`: exactly 32 bytes, or 64 hexadecimal digits (a trailing newline
    /// is allowed), in a file that neither its group nor others may read or write (on Unix).
    /// The message of an error names the file and says what to do, never the key.
    pub fn load(path: &Path) -> Result<SecretKey, String> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| {
            format!("cannot read the secret key file {shown}: {e}; create one with `head -c 32 /dev/urandom > {shown} && chmod 600 {shown}`")
        })?;
        if !meta.is_file() {
            return Err(format!("the secret key file {shown} is not a file"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!(
                    "the secret key file {shown} can be read or changed by others (mode {mode:o}): run `chmod 600 {shown}`"
                ));
            }
        }
        let raw = std::fs::read(path)
            .map_err(|e| format!("cannot read the secret key file {shown}: {e}"))?;
        if let Ok(bytes) = <[u8; 32]>::try_from(raw.as_slice()) {
            return Ok(SecretKey(bytes));
        }
        let text = std::str::from_utf8(&raw)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r']);
        if text.len() == 64
            && let Ok(bytes) = hex::decode(text)
            && let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok(SecretKey(bytes));
        }
        Err(format!(
            "the secret key file {shown} must hold exactly 32 bytes (or 64 hexadecimal digits); it holds {} bytes",
            raw.len()
        ))
    }

    /// Loads the key at `path`, or, when there is no file there, writes a new random one readable by
    /// the owner only (0600 on Unix). For `concordat demo`, which keeps its key in its data folder.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, String> {
        if !path.exists() {
            let key = SecretKey::generate();
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let mut f = o.open(path).map_err(|e| {
                format!("cannot create the secret key file {}: {e}", path.display())
            })?;
            std::io::Write::write_all(&mut f, &key.0)
                .map_err(|e| format!("cannot write the secret key file {}: {e}", path.display()))?;
            return Ok(key);
        }
        SecretKey::load(path)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// Encrypts a TOTP secret (base32) for `user`.
    pub fn seal_totp(&self, user: UserId, secret_base32: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let aad = aad(user);
        let ct = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret_base32.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!(
            "{V1}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }
}

/// A stored TOTP secret, opened.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedSecret {
    pub base32: String,
    /// Stored in the clear (from before encryption): rewrite it encrypted.
    pub was_clear: bool,
}

/// Decrypts a stored TOTP secret for `user`. A clear (unprefixed) secret is returned as it is;
/// an encrypted one without a key, or one that fails to decrypt, is an error.
pub fn open_totp(
    key: Option<&SecretKey>,
    user: UserId,
    stored: &str,
) -> Result<OpenedSecret, String> {
    let Some(body) = stored.strip_prefix(V1) else {
        if stored.contains(':') {
            return Err("stored TOTP secret has an unknown format".into());
        }
        return Ok(OpenedSecret {
            base32: stored.to_string(),
            was_clear: true,
        });
    };
    let key = key.ok_or("a TOTP secret is encrypted but no secret key is configured")?;
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(body)
        .map_err(|_| "stored TOTP secret is not valid base64".to_string())?;
    if raw.len() < 12 + 16 {
        return Err("stored TOTP secret is too short".into());
    }
    let (nonce, ct) = raw.split_at(12);
    let aad = aad(user);
    let pt = key
        .cipher()
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
        .map_err(|_| {
            "stored TOTP secret does not decrypt: the secret key is not the one it was stored with"
                .to_string()
        })?;
    Ok(OpenedSecret {
        base32: String::from_utf8(pt)
            .map_err(|_| "decrypted TOTP secret is not text".to_string())?,
        was_clear: false,
    })
}

fn aad(user: UserId) -> Vec<u8> {
    format!("concordat totp user {}", user.0).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_are_bound_to_the_user_and_key() {
        let k = SecretKey::generate();
        let sealed = k.seal_totp(UserId(7), "JBSWY3DPEHPK3PXP").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("JBSWY3DP"));
        assert_ne!(
            sealed,
            k.seal_totp(UserId(7), "JBSWY3DPEHPK3PXP").unwrap(),
            "random nonce"
        );
        let o = open_totp(Some(&k), UserId(7), &sealed).unwrap();
        assert_eq!(o.base32, "JBSWY3DPEHPK3PXP");
        assert!(!o.was_clear);
        assert!(
            open_totp(Some(&k), UserId(8), &sealed).is_err(),
            "another user's row"
        );
        assert!(open_totp(Some(&SecretKey::generate()), UserId(7), &sealed).is_err());
        assert!(open_totp(None, UserId(7), &sealed).is_err());
        let clear = open_totp(None, UserId(7), "JBSWY3DPEHPK3PXP").unwrap();
        assert!(clear.was_clear);
        assert!(open_totp(Some(&k), UserId(7), "v9:abc").is_err());
        assert_eq!(format!("{k:?}"), "SecretKey(***)");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("concordat_key_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("key");
        let _ = std::fs::remove_file(&p);
        let missing = SecretKey::load(&p).unwrap_err();
        assert!(
            missing.contains("cannot read") && missing.contains("head -c 32"),
            "{missing}"
        );
        let k = SecretKey::load_or_create(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(SecretKey::load(&p).unwrap().0, k.0);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(SecretKey::load(&p).unwrap_err().contains("chmod 600"));
        std::fs::write(&p, b"short").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(
            SecretKey::load(&p)
                .unwrap_err()
                .contains("exactly 32 bytes")
        );
        std::fs::write(&p, format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(SecretKey::load(&p).unwrap().0, [0xab; 32]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
