//! Secrets: the panel's `SECRET_KEY`, authenticated encryption of stored secrets
//! (ChaCha20-Poly1305, a random nonce per value), signatures for bearer tokens, and a
//! `Secret` wrapper that never prints its content.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;
/// Values encrypted before they were bound to their place (read only to upgrade them).
const ENCRYPTION_PREFIX: &str = "v1:";
/// Values bound to `table:id:column` as associated data.
const BOUND_PREFIX: &str = "v2:";

/// A value that must not appear in logs or pages: `Debug` and `Display` mask it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself: call only where it is sent or checked, never to print it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

/// Shows the last four characters of a secret, e.g. `••••abcd`.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "••••".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the stored secret is damaged or was encrypted with another SECRET_KEY")]
    Undecryptable,
    #[error("the random number generator failed")]
    Random,
}

/// The panel's master key. Separate keys for each use are derived from it with HKDF.
#[derive(Clone)]
pub struct SecretKey {
    encryption: [u8; 32],
    signing: [u8; 32],
    session: [u8; 64],
    /// Keys the index under which user API keys are looked up.
    index: [u8; 32],
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(••••)")
    }
}

impl SecretKey {
    pub fn from_bytes(master: &[u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"smm-panel"), master);
        let mut encryption = [0u8; 32];
        let mut signing = [0u8; 32];
        let mut session = [0u8; 64];
        let mut index = [0u8; 32];
        // Expanding at most 255 × 32 bytes cannot fail.
        let _ = hk.expand(b"encryption", &mut encryption);
        let _ = hk.expand(b"signing", &mut signing);
        let _ = hk.expand(b"session", &mut session);
        let _ = hk.expand(b"api-key-index", &mut index);
        Self {
            encryption,
            signing,
            session,
            index,
        }
    }

    /// Parses 64 hex digits (32 bytes).
    pub fn from_hex(hex_str: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_str.trim()).map_err(|_| "must be 64 hex digits (32 bytes)".to_string())?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 64 hex digits (32 bytes)".to_string())?;
        Ok(Self::from_bytes(&master))
    }

    /// A fresh random master key, as hex (what `DATA_DIR/secret.key` holds).
    pub fn generate_hex() -> Result<String, CryptoError> {
        Ok(hex::encode(random_bytes::<32>()?))
    }

    /// The key that signs and encrypts the session cookie.
    pub fn session_key(&self) -> actix_web::cookie::Key {
        actix_web::cookie::Key::from(&self.session)
    }

    /// Encrypts `plaintext` for one place: `context` (`table:id:column`) is bound in as
    /// associated data, so the ciphertext decrypts only there — copied into another row
    /// or column it is an error, not a secret. `v2:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn encrypt_for(&self, plaintext: &str, context: &str) -> Result<String, CryptoError> {
        let cipher = ChaCha20Poly1305::new(&self.encryption.into());
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = Nonce::from(nonce_bytes);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!("{BOUND_PREFIX}{}", STANDARD.encode(out)))
    }

    /// Decrypts what `encrypt_for` produced for the same `context`; another context,
    /// tampering, a different key or an unbound (`v1:`) value is an error.
    pub fn decrypt_for(&self, stored: &str, context: &str) -> Result<String, CryptoError> {
        self.open(stored, BOUND_PREFIX, context.as_bytes())
    }

    /// Reads a value stored before ciphertexts were bound to their place (`v1:`), only
    /// to re-encrypt it with `encrypt_for` (the start-up upgrade does).
    pub fn decrypt_unbound(&self, stored: &str) -> Result<String, CryptoError> {
        self.open(stored, ENCRYPTION_PREFIX, b"")
    }

    fn open(&self, stored: &str, prefix: &str, aad: &[u8]) -> Result<String, CryptoError> {
        let encoded = stored.strip_prefix(prefix).ok_or(CryptoError::Undecryptable)?;
        let raw = STANDARD.decode(encoded).map_err(|_| CryptoError::Undecryptable)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Undecryptable);
        }
        let (nonce_bytes, sealed) = raw.split_at(NONCE_LEN);
        let nonce_bytes: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| CryptoError::Undecryptable)?;
        let cipher = ChaCha20Poly1305::new(&self.encryption.into());
        let plain = cipher
            .decrypt(&Nonce::from(nonce_bytes), Payload { msg: sealed, aad })
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }

    /// The index a user API key is stored and looked up under: HMAC-SHA256 with a key
    /// derived from `SECRET_KEY` (a leaked database alone cannot test guesses), hex.
    pub fn api_key_index(&self, api_key: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("HMAC takes any key length");
        mac.update(api_key.trim().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 of `message`, base64url.
    pub fn sign(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(message).finalize().into_bytes())
    }

    /// Checks a signature from `sign` in constant time.
    pub fn verify(&self, message: &str, signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(tag) => self.mac(message).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }

    fn mac(&self, message: &str) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.signing).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac
    }
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// A random token of `N` bytes, base64url (for API keys and CSRF tokens).
pub fn random_token<const N: usize>() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>()?))
}

/// SHA-256 hex digest: how API keys are indexed without storing them in clear.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Constant-time equality of two strings (CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&[byte; 32])
    }

    const HERE: &str = "providers:1:api_key_enc";

    #[test]
    fn encryption_round_trips_with_a_fresh_nonce_each_time() {
        let k = key(7);
        let a = k.encrypt_for("provider-key-123456", HERE).unwrap();
        let b = k.encrypt_for("provider-key-123456", HERE).unwrap();
        assert_ne!(a, b, "a random nonce per value");
        assert!(!a.contains("provider-key"));
        assert_eq!(k.decrypt_for(&a, HERE).unwrap(), "provider-key-123456");
        assert_eq!(k.decrypt_for(&b, HERE).unwrap(), "provider-key-123456");
    }

    #[test]
    fn tampering_another_key_or_another_place_is_an_error_not_garbage() {
        let k = key(7);
        let sealed = k.encrypt_for("secret", HERE).unwrap();
        assert_eq!(key(8).decrypt_for(&sealed, HERE), Err(CryptoError::Undecryptable));
        assert_eq!(
            k.decrypt_for(&sealed, "users:1:api_key_enc"),
            Err(CryptoError::Undecryptable),
            "moved to another row or column"
        );
        assert_eq!(k.decrypt_unbound(&sealed), Err(CryptoError::Undecryptable));
        let mut raw = STANDARD.decode(&sealed[3..]).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = format!("v2:{}", STANDARD.encode(raw));
        assert_eq!(k.decrypt_for(&tampered, HERE), Err(CryptoError::Undecryptable));
        assert_eq!(k.decrypt_for("v2:short", HERE), Err(CryptoError::Undecryptable));
        assert_eq!(k.decrypt_for("plain", HERE), Err(CryptoError::Undecryptable));
    }

    #[test]
    fn the_api_key_index_is_keyed() {
        assert_eq!(key(1).api_key_index("smk_abc"), key(1).api_key_index(" smk_abc "));
        assert_ne!(key(1).api_key_index("smk_abc"), key(2).api_key_index("smk_abc"));
        assert_ne!(key(1).api_key_index("smk_abc"), sha256_hex("smk_abc"));
    }

    #[test]
    fn signatures_verify_only_the_signed_message_under_the_same_key() {
        let k = key(1);
        let sig = k.sign("v1.5.1700000000");
        assert!(k.verify("v1.5.1700000000", &sig));
        assert!(!k.verify("v1.6.1700000000", &sig));
        assert!(!key(2).verify("v1.5.1700000000", &sig));
        assert!(!k.verify("v1.5.1700000000", "not-base64!"));
    }

    #[test]
    fn masks_and_hex_keys() {
        assert_eq!(mask("abcdefgh12345678"), "••••5678");
        assert_eq!(mask("short"), "••••");
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{:?}", Secret::new("pw")), "Secret(••••)");
    }
}
