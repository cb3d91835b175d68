//! Accounts: registration, sign-in, API keys, passwords and the user list.

use std::sync::OnceLock;

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::crypto;
use crate::db::models::{NewUserRow, UserRow};
use crate::db::{self, DbConnection};
use crate::domain::{Email, Password, Role};
use crate::error::{AppError, AppResult};
use crate::service::pagination::{PageRequest, Paged};
use crate::state::AppState;

pub const WRONG_CREDENTIALS: &str = "The email or password is incorrect.";
pub const DISABLED: &str = "This account is disabled. Contact the panel's support.";

/// A user as the rest of the application sees it (no password hash, no key).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: crate::domain::Money,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    /// Sessions and tokens must carry this epoch to be valid.
    pub session_epoch: i64,
    /// The language the user chose with the switch, if any.
    pub language: Option<crate::i18n::Lang>,
}

impl TryFrom<UserRow> for Account {
    type Error = AppError;

    fn try_from(row: UserRow) -> AppResult<Self> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| AppError::internal(format!("user {} has unknown role '{}'", row.id, row.role)))?;
        Ok(Self {
            id: row.id,
            email: row.email,
            role,
            balance: crate::domain::Money::from_micros(row.balance),
            disabled: row.disabled,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
            session_epoch: row.session_epoch,
            language: row.language.as_deref().and_then(crate::i18n::Lang::parse),
        })
    }
}

fn hash_password(state: &AppState, password: &Password) -> AppResult<String> {
    bcrypt::hash(password.expose(), state.config.bcrypt_cost).map_err(AppError::internal)
}

/// A hash to verify against when the email is unknown, so both cases take as long.
fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("not-a-real-password", cost).unwrap_or_default())
}

/// A fresh API key and its keyed lookup index. It is stored as that index plus a
/// ciphertext bound to the user's row (`api_key_context`).
fn new_api_key(state: &AppState) -> AppResult<(String, String)> {
    let key = format!("smk_{}", crypto::random_token::<24>()?);
    let index = state.key.api_key_index(&key);
    Ok((key, index))
}

/// Where a user's API key ciphertext belongs (its associated data).
pub fn api_key_context(user_id: i64) -> String {
    format!("users:{user_id}:api_key_enc")
}

/// Creates an account; 409 `email_taken` when the email exists (case-insensitively).
pub fn register(state: &AppState, email: &Email, password: &Password, role: Role) -> AppResult<i64> {
    let hashed = prepare_account(state, password)?;
    insert_account(&mut *state.conn()?, email, role, &hashed)
}

/// The password hash and API key of a new account (slow: done before any transaction).
pub struct NewAccountSecrets {
    password_hash: String,
    api_key: String,
    api_key_hash: String,
    /// Encrypts the key for the row once its id is known.
    key: crate::crypto::SecretKey,
}

fn prepare_account(state: &AppState, password: &Password) -> AppResult<NewAccountSecrets> {
    let password_hash = hash_password(state, password)?;
    let (api_key, api_key_hash) = new_api_key(state)?;
    Ok(NewAccountSecrets {
        password_hash,
        api_key,
        api_key_hash,
        key: state.key.clone(),
    })
}

fn insert_account(conn: &mut DbConnection, email: &Email, role: Role, secrets: &NewAccountSecrets) -> AppResult<i64> {
    // The key's ciphertext is bound to the row, so it is written once the id is known,
    // in the same transaction.
    let inserted = db::write_transaction(conn, |c| {
        let id = db::users::insert(
            c,
            &NewUserRow {
                email: email.as_str(),
                password_hash: &secrets.password_hash,
                role: role.as_str(),
                balance: 0,
                api_key_hash: &secrets.api_key_hash,
                api_key_enc: "",
                disabled: false,
                created_at: db::now(),
            },
        )?;
        let encrypted = secrets
            .key
            .encrypt_for(&secrets.api_key, &api_key_context(id))
            .map_err(|e| DieselError::QueryBuilderError(e.to_string().into()))?;
        db::users::set_api_key(c, id, &secrets.api_key_hash, &encrypted)?;
        Ok::<_, DieselError>(id)
    });
    match inserted {
        Ok(id) => {
            log::info!("account {id} registered ({})", role.as_str());
            Ok(id)
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(AppError::Conflict {
            code: "email_taken",
            message: format!("An account with '{email}' already exists."),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Checks an email and password; `client` (the caller's address) keys the throttle.
pub fn authenticate(state: &AppState, email: &str, password: &str, client: &str) -> AppResult<Account> {
    // Counted before the password is checked: parallel guesses cannot all be judged.
    state.login_throttle.begin(client, email)?;
    let row = match Email::parse(email) {
        Ok(email) => db::users::find_by_email(&mut *state.conn()?, email.as_str())?,
        Err(_) => None,
    };
    let hash = row
        .as_ref()
        .map_or_else(|| dummy_hash(state.config.bcrypt_cost), |r| r.password_hash.as_str());
    let matches = bcrypt::verify(password, hash).unwrap_or(false);
    match row {
        Some(row) if matches => {
            state.login_throttle.success(client, email)?;
            if row.disabled {
                return Err(AppError::Unauthorized(DISABLED.into()));
            }
            db::users::touch_last_login(&mut *state.conn()?, row.id)?;
            Account::try_from(row)
        }
        _ => Err(AppError::Unauthorized(WRONG_CREDENTIALS.into())),
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Account>> {
    db::users::find(conn, id)?.map(Account::try_from).transpose()
}

/// The account an API key belongs to.
pub fn find_by_api_key(
    conn: &mut DbConnection,
    key: &crate::crypto::SecretKey,
    api_key: &str,
) -> AppResult<Option<Account>> {
    db::users::find_by_api_key_hash(conn, &key.api_key_index(api_key))?
        .map(Account::try_from)
        .transpose()
}

/// The user's API key in clear (for the account page and `/api/user/me`).
pub fn api_key(state: &AppState, conn: &mut DbConnection, user_id: i64) -> AppResult<String> {
    let row = db::users::find(conn, user_id)?.ok_or_else(|| AppError::NotFound("No such user.".into()))?;
    Ok(state.key.decrypt_for(&row.api_key_enc, &api_key_context(user_id))?)
}

/// Replaces the user's API key; the old one stops working at once.
pub fn regenerate_api_key(state: &AppState, user_id: i64) -> AppResult<String> {
    let (key, index) = new_api_key(state)?;
    let encrypted = state.key.encrypt_for(&key, &api_key_context(user_id))?;
    db::users::set_api_key(&mut *state.conn()?, user_id, &index, &encrypted)?;
    Ok(key)
}

/// Changes a password after checking the current one. Every session and token of the
/// account ends; returns the new session epoch (the caller's own session moves to it).
pub fn change_password(state: &AppState, user_id: i64, current: &str, new: &Password) -> AppResult<i64> {
    let mut conn = state.conn()?;
    let row = db::users::find(&mut conn, user_id)?.ok_or_else(|| AppError::NotFound("No such user.".into()))?;
    if !bcrypt::verify(current, &row.password_hash).unwrap_or(false) {
        return Err(AppError::validation(
            "current_password",
            "The current password is incorrect.",
        ));
    }
    let hash = hash_password(state, new)?;
    db::users::set_password_hash(&mut conn, user_id, &hash)?;
    Ok(db::users::find(&mut conn, user_id)?.map_or(0, |row| row.session_epoch))
}

/// Ends every session and token of the user ("sign out everywhere", and sign-out: a
/// copied cookie or token is worthless afterwards); returns the new epoch.
pub fn end_sessions(state: &AppState, user_id: i64) -> AppResult<i64> {
    Ok(db::users::bump_session_epoch(&mut *state.conn()?, user_id)?)
}

/// Users, newest first, optionally searched by email.
pub fn list(state: &AppState, search: Option<&str>, page: PageRequest) -> AppResult<Paged<Account>> {
    let (rows, total) = db::users::page(&mut *state.conn()?, search, page.offset(), page.limit())?;
    let items = rows.into_iter().map(Account::try_from).collect::<AppResult<Vec<_>>>()?;
    Ok(Paged::new(items, page, total))
}

/// Creates the account or, when it exists, sets its password and role (used by `demo`).
pub fn ensure_account(state: &AppState, email: &Email, password: &Password, role: Role) -> AppResult<(i64, bool)> {
    let mut conn = state.conn()?;
    let existing = db::users::find_by_email(&mut conn, email.as_str())?;
    drop(conn);
    match existing {
        None => Ok((register(state, email, password, role)?, true)),
        Some(row) => {
            let hash = hash_password(state, password)?;
            let mut conn = state.conn()?;
            db::write_transaction(&mut conn, |c| {
                db::users::set_password_hash(c, row.id, &hash)?;
                db::users::set_role(c, row.id, role.as_str())
            })?;
            Ok((row.id, false))
        }
    }
}

/// Creates an admin account and audits it in the same transaction (the CLI and the
/// super admin's page and route).
pub fn create_admin(
    state: &AppState,
    email: &Email,
    password: &Password,
    role: Role,
    actor: &crate::service::audit::Actor,
) -> AppResult<i64> {
    let secrets = prepare_account(state, password)?;
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let id = insert_account(c, email, role, &secrets)?;
        let after = serde_json::json!({ "id": id, "email": email.as_str(), "role": role.as_str() });
        crate::service::audit::record(
            c,
            actor,
            "admin.create",
            Some(&format!("user:{id}")),
            None,
            Some(&after),
        )?;
        Ok(id)
    })
}

/// Disables or re-enables an account (a disabled user cannot sign in or use tokens).
/// Admins cannot disable themselves, and only a super admin can disable an admin.
pub fn set_disabled(
    state: &AppState,
    actor: &crate::service::audit::Actor,
    by: &Account,
    id: i64,
    disabled: bool,
) -> AppResult<Account> {
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let target = find(c, id)?.ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))?;
        if target.id == by.id {
            return Err(AppError::business(
                "self_disable",
                "You cannot disable your own account.",
            ));
        }
        if target.role.is_admin() && by.role != Role::SuperAdmin {
            return Err(AppError::Forbidden("Only a super admin can disable an admin.".into()));
        }
        db::users::set_disabled(c, id, disabled)?;
        crate::service::audit::record(
            c,
            actor,
            if disabled { "user.disable" } else { "user.enable" },
            Some(&format!("user:{id}")),
            Some(&serde_json::json!({ "disabled": target.disabled })),
            Some(&serde_json::json!({ "disabled": disabled })),
        )?;
        find(c, id)?.ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))
    })
}
