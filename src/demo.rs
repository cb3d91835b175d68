//! `smm-panel demo`: the whole system on one machine, seeded so a newcomer can sign in.

use std::net::{SocketAddr, TcpListener};

use crate::config::{Config, DatabaseUrl};
use crate::db;
use crate::domain::{Email, LedgerKind, Money, Password, Role};
use crate::service::accounts;
use crate::startup::Application;

pub const ADMIN_EMAIL: &str = "admin@demo.local";
pub const ADMIN_PASSWORD: &str = "demo-admin-pass";
pub const USER_EMAIL: &str = "user@demo.local";
pub const USER_PASSWORD: &str = "demo-user-pass";
/// What the demo user starts with.
const USER_STARTING_BALANCE: &str = "5000";

/// Binds `addr`, or a free port on the same interface when it is taken.
fn bind_or_any(addr: SocketAddr) -> std::io::Result<TcpListener> {
    match TcpListener::bind(addr) {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            log::warn!("{addr} is taken; picking a free port");
            TcpListener::bind(SocketAddr::new(addr.ip(), 0))
        }
        Err(e) => Err(e),
    }
}

pub async fn run(mut config: Config) -> anyhow::Result<()> {
    if matches!(config.database_url, DatabaseUrl::Postgres(_)) {
        log::warn!("demo ignores DATABASE_URL and uses its own SQLite file");
    }
    config.database_url = DatabaseUrl::Sqlite(config.data_dir.join("demo.db"));
    let listener = bind_or_any(config.bind)?;
    let app = Application::build_with_listener(config, listener)?;
    let state = app.state().clone();
    let seeded = state.run(seed).await.map_err(|e| anyhow::anyhow!("seeding the demo failed: {e}"))?;

    let url = format!("http://127.0.0.1:{}/", app.port());
    println!();
    println!("smm-panel demo is running at {url}");
    println!("  super admin: {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    println!("  user:        {USER_EMAIL} / {USER_PASSWORD}{seeded}");
    println!("  database:    {}", state.config.database_url.redacted());
    println!("Press Ctrl+C to stop.");
    println!();
    app.run_until_stopped().await?;
    Ok(())
}

/// Creates (or resets the passwords of) the demo admin and user.
fn seed(state: &crate::state::AppState) -> crate::error::AppResult<String> {
    let parse = |email: &str, password: &str| {
        Ok::<_, crate::error::AppError>((
            Email::parse(email).map_err(crate::error::AppError::internal)?,
            Password::parse(password).map_err(crate::error::AppError::internal)?,
        ))
    };
    let (admin_email, admin_password) = parse(ADMIN_EMAIL, ADMIN_PASSWORD)?;
    accounts::ensure_account(state, &admin_email, &admin_password, Role::SuperAdmin)?;
    let (user_email, user_password) = parse(USER_EMAIL, USER_PASSWORD)?;
    let (user_id, created) = accounts::ensure_account(state, &user_email, &user_password, Role::User)?;
    if !created {
        return Ok(String::new());
    }
    let amount = Money::parse(USER_STARTING_BALANCE).map_err(crate::error::AppError::internal)?;
    let mut conn = state.conn()?;
    diesel::Connection::transaction(&mut *conn, |c| {
        db::ledger::post(
            c,
            &db::ledger::Posting {
                user_id,
                kind: LedgerKind::Deposit,
                amount,
                order_id: None,
                actor_id: None,
                note: Some("Demo starting balance"),
                allow_negative: false,
            },
        )
    })?;
    Ok(format!(" (balance {amount} {})", state.config.panel_currency))
}
