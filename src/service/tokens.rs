//! Signed, expiring bearer tokens: `smm1.<user id>.<expires unix>.<HMAC-SHA256>`.

use crate::crypto::SecretKey;

pub const TOKEN_TTL_SECS: i64 = 12 * 60 * 60;
const PREFIX: &str = "smm1";

pub fn issue(key: &SecretKey, user_id: i64, now_unix: i64, ttl_secs: i64) -> String {
    let body = format!("{PREFIX}.{user_id}.{}", now_unix + ttl_secs);
    let signature = key.sign(&body);
    format!("{body}.{signature}")
}

/// The user id of a valid, unexpired token.
pub fn verify(key: &SecretKey, token: &str, now_unix: i64) -> Option<i64> {
    let (body, signature) = token.trim().rsplit_once('.')?;
    if !key.verify(body, signature) {
        return None;
    }
    let mut parts = body.split('.');
    let (Some(PREFIX), Some(user), Some(expires), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let user_id = user.parse().ok()?;
    let expires: i64 = expires.parse().ok()?;
    (now_unix < expires).then_some(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_resist_forgery() {
        let key = SecretKey::from_bytes(&[3; 32]);
        let token = issue(&key, 42, 1_000, 60);
        assert_eq!(verify(&key, &token, 1_000), Some(42));
        assert_eq!(verify(&key, &token, 1_059), Some(42));
        assert_eq!(verify(&key, &token, 1_060), None, "expired");
        assert_eq!(
            verify(&SecretKey::from_bytes(&[4; 32]), &token, 1_000),
            None,
            "other key"
        );
        let forged = token.replacen(".42.", ".1.", 1);
        assert_eq!(verify(&key, &forged, 1_000), None, "changed user id");
        assert_eq!(verify(&key, "garbage", 1_000), None);
    }
}
