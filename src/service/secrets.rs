//! Start-up upgrade of stored secrets (issue 12): values written before ciphertexts were
//! bound to their row (`v1:`) are re-encrypted bound to `table:id:column` (`v2:`), and
//! user API keys are re-indexed under the keyed HMAC instead of a plain SHA-256. Runs in
//! one transaction; a value already upgraded is left alone, so running it again (or on
//! several instances) is harmless.

use diesel::prelude::*;

use crate::db::schema::{providers, users};
use crate::db::{self};
use crate::error::AppResult;
use crate::service::accounts::api_key_context;
use crate::service::providers::key_context;
use crate::state::AppState;

/// Upgrades what is left to upgrade; returns how many values were rewritten.
pub fn upgrade(state: &AppState) -> AppResult<usize> {
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let mut rewritten = 0;
        let legacy_users: Vec<(i64, String)> = users::table
            .filter(users::api_key_enc.like("v1:%"))
            .select((users::id, users::api_key_enc))
            .load(c)?;
        for (id, stored) in legacy_users {
            let api_key = state.key.decrypt_unbound(&stored)?;
            let encrypted = state.key.encrypt_for(&api_key, &api_key_context(id))?;
            db::users::set_api_key(c, id, &state.key.api_key_index(&api_key), &encrypted)?;
            rewritten += 1;
        }
        let legacy_providers: Vec<(i64, String, String)> = providers::table
            .filter(providers::api_key_enc.like("v1:%"))
            .select((providers::id, providers::api_key_enc, providers::api_key_hint))
            .load(c)?;
        for (id, stored, hint) in legacy_providers {
            let key = state.key.decrypt_unbound(&stored)?;
            db::providers::set_key(c, id, &state.key.encrypt_for(&key, &key_context(id))?, &hint)?;
            rewritten += 1;
        }
        if rewritten > 0 {
            log::info!("re-encrypted {rewritten} stored keys bound to their rows");
        }
        Ok(rewritten)
    })
}
