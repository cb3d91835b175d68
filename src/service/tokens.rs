//! Signed, expiring bearer tokens: `smm2.<user id>.<session epoch>.<expires unix>.<HMAC>`.
//! Short-lived, and void as soon as the user's session epoch moves on (sign-out,
//! password change, disable, role change).

use crate::crypto::SecretKey;

/// One hour: a script asks for a new token when its own expires.
pub const TOKEN_TTL_SECS: i64 = 60 * 60;
const PREFIX: &str = "smm2";

pub fn issue(key: &SecretKey, user_id: i64, epoch: i64, now_unix: i64, ttl_secs: i64) -> String {
    let body = format!("{PREFIX}.{user_id}.{epoch}.{}", now_unix + ttl_secs);
    let signature = key.sign(&body);
    format!("{body}.{signature}")
}

/// The user id and session epoch of a valid, unexpired token (the caller compares the
/// epoch with the user's).
pub fn verify(key: &SecretKey, token: &str, now_unix: i64) -> Option<(i64, i64)> {
    let (body, signature) = token.trim().rsplit_once('.')?;
    if !key.verify(body, signature) {
        return None;
    }
    let parts: Vec<&str> = body.split('.').collect();
    let [PREFIX, user, epoch, expires] = parts.as_slice() else {
        return None;
    };
    let expires: i64 = expires.parse().ok()?;
    (now_unix < expires).then_some((user.parse().ok()?, epoch.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_resist_forgery() {
        let key = SecretKey::from_bytes(&[3; 32]);
        let token = issue(&key, 42, 7, 1_000, 60);
        assert_eq!(verify(&key, &token, 1_000), Some((42, 7)));
        assert_eq!(verify(&key, &token, 1_059), Some((42, 7)));
        assert_eq!(verify(&key, &token, 1_060), None, "expired");
        assert_eq!(
            verify(&SecretKey::from_bytes(&[4; 32]), &token, 1_000),
            None,
            "other key"
        );
        let forged = token.replacen(".7.", ".8.", 1);
        assert_eq!(verify(&key, &forged, 1_000), None, "changed epoch");
        let forged = token.replacen(".42.", ".1.", 1);
        assert_eq!(verify(&key, &forged, 1_000), None, "changed user id");
        assert_eq!(verify(&key, "garbage", 1_000), None);
    }
}
