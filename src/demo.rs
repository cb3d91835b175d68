//! `smm-panel demo`: the whole system on one machine, seeded so a newcomer can sign in
//! and order at once: a simulated provider, its catalogue imported, an admin and a user.

use std::net::{SocketAddr, TcpListener};

use crate::config::{Config, DatabaseUrl};
use crate::db;
use crate::domain::{Email, LedgerKind, Money, Password, Role};
use crate::error::{AppError, AppResult};
use crate::provider::sim::{self, SimArgs, SimHandle};
use crate::service::accounts;
use crate::service::audit::Actor;
use crate::service::catalog::{self, ImportDraft};
use crate::service::providers::{self, ProviderDraft};
use crate::startup::Application;
use crate::state::AppState;

pub const ADMIN_EMAIL: &str = "admin@demo.local";
pub const ADMIN_PASSWORD: &str = "demo-admin-pass";
pub const USER_EMAIL: &str = "user@demo.local";
pub const USER_PASSWORD: &str = "demo-user-pass";
const PROVIDER_NAME: &str = "Simulated provider";
const SIM_KEY: &str = "demo-sim-key-0001";
/// What the demo user starts with.
const USER_STARTING_BALANCE: &str = "5000";
const MARKUP_PERCENT: &str = "25";

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
    // The demo's provider is a simulator on this machine.
    config.allow_http_providers = true;
    let simulator = sim::spawn(SimArgs {
        key: SIM_KEY.into(),
        balance: Money::from_micros(1_000_000 * 1_000_000),
        ..SimArgs::ephemeral()
    })?;
    let listener = bind_or_any(config.bind)?;
    let app = Application::build_with_listener(config, listener)?;
    let state = app.state().clone();
    let sim_url = simulator.api_url();
    let seeded = state
        .run(move |s| seed(s, &sim_url))
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo failed: {e}"))?;

    let url = format!("http://127.0.0.1:{}/", app.port());
    println!();
    println!("smm-panel demo is running at {url}");
    println!("  super admin: {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    println!(
        "  user:        {USER_EMAIL} / {USER_PASSWORD} (balance {} {})",
        seeded.balance, state.config.panel_currency
    );
    println!(
        "  provider:    {PROVIDER_NAME} at {} ({} services)",
        simulator.api_url(),
        seeded.services
    );
    println!("  database:    {}", state.config.database_url.redacted());
    println!("Press Ctrl+C to stop.");
    println!();
    app.run_until_stopped().await?;
    drop::<SimHandle>(simulator);
    Ok(())
}

struct Seeded {
    balance: Money,
    services: usize,
}

/// bKash and Nagad to pay with, and one payment of the demo user waiting for approval
/// (first run only), so both add-funds pages have something to show.
fn seed_payment_methods(state: &AppState, actor: &Actor, user_id: i64) -> AppResult<()> {
    use crate::service::funds::{self, MethodDraft, RequestDraft};
    let mut conn = state.conn()?;
    if !funds::methods(&mut conn, false)?.is_empty() {
        return Ok(());
    }
    let method = |name: &str, kind: &str, account: &str, instructions: &str| MethodDraft {
        name: Some(name.into()),
        kind: Some(kind.into()),
        account: Some(account.into()),
        instructions: Some(instructions.into()),
        min_amount: Some("100".into()),
        max_amount: Some("50000".into()),
        enabled: Some("true".into()),
    };
    let bkash = funds::save_method(
        &mut conn,
        actor,
        None,
        &method(
            "bKash",
            "bkash",
            "01700-000000",
            "বিকাশ অ্যাপ থেকে এই নম্বরে Send Money করুন।",
        ),
    )?;
    funds::save_method(
        &mut conn,
        actor,
        None,
        &method(
            "Nagad",
            "nagad",
            "01800-000000",
            "নগদ অ্যাপ থেকে এই নম্বরে Send Money করুন।",
        ),
    )?;
    funds::submit(
        &mut conn,
        user_id,
        &RequestDraft {
            method_id: Some(bkash.row.id.to_string()),
            amount: Some("1000".into()),
            txn_id: Some("DEMO7K3M9Q".into()),
        },
    )?;
    crate::service::dashboard::refresh_badges(state);
    Ok(())
}

/// Creates (or resets the passwords of) the demo admin and user, points the demo
/// provider at this run's simulator and imports its catalogue.
fn seed(state: &AppState, sim_url: &str) -> AppResult<Seeded> {
    let parse = |email: &str, password: &str| {
        Ok::<_, AppError>((
            Email::parse(email).map_err(AppError::internal)?,
            Password::parse(password).map_err(AppError::internal)?,
        ))
    };
    let (admin_email, admin_password) = parse(ADMIN_EMAIL, ADMIN_PASSWORD)?;
    let (admin_id, _) = accounts::ensure_account(state, &admin_email, &admin_password, Role::SuperAdmin)?;
    let (user_email, user_password) = parse(USER_EMAIL, USER_PASSWORD)?;
    let (user_id, created) = accounts::ensure_account(state, &user_email, &user_password, Role::User)?;
    if created {
        let amount = Money::parse(USER_STARTING_BALANCE).map_err(AppError::internal)?;
        let mut conn = state.conn()?;
        db::write_transaction(&mut conn, |c| {
            db::ledger::post(
                c,
                &db::ledger::Posting {
                    user_id,
                    kind: LedgerKind::Deposit,
                    amount,
                    order_id: None,
                    actor_id: Some(admin_id),
                    note: Some("Demo starting balance"),
                    allow_negative: false,
                },
            )
        })?;
    }

    let actor = Actor {
        user_id: Some(admin_id),
        ip: Some("demo".into()),
    };
    let draft = ProviderDraft {
        name: Some(PROVIDER_NAME.into()),
        api_url: Some(sim_url.into()),
        api_key: Some(SIM_KEY.into()),
        ..Default::default()
    };
    let existing = providers::list(&mut *state.conn()?)?
        .into_iter()
        .find(|p| p.name == PROVIDER_NAME);
    let provider = match existing {
        Some(p) => providers::update(state, &actor, p.id, &draft)?,
        None => providers::create(state, &actor, &draft)?,
    };
    let import = ImportDraft {
        markup_percent: Some(MARKUP_PERCENT.into()),
        category_id: None,
    };
    let summary = catalog::import_services(state, &actor, provider.id, &import)?;
    seed_payment_methods(state, &actor, user_id)?;
    let balance = accounts::find(&mut *state.conn()?, user_id)?
        .map(|a| a.balance)
        .unwrap_or_default();
    Ok(Seeded {
        balance,
        services: summary.imported,
    })
}
