//! The `smm-panel` command line.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use smm_panel::config::Config;
use smm_panel::domain::{Email, Password, Role};
use smm_panel::service::accounts;
use smm_panel::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "smm-panel",
    version,
    about = "An SMM reseller panel: orders, providers, status sync, ledger."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and the worker pool (migrates the database first).
    Serve,
    /// Run the whole system on this machine with an embedded SQLite file and seeded logins.
    Demo,
    /// Create an admin account; the password is read from standard input.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// Make a super admin (can create other admins).
        #[arg(long = "super")]
        super_admin: bool,
    },
    /// Serve a simulated SMM provider (API v2) with a seeded catalogue and fault switches.
    ProviderSim(smm_panel::provider::sim::SimArgs),
    /// Apply pending database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `.env` may set LOG_FORMAT and RUST_LOG too.
    let _ = dotenvy::dotenv();
    let log_format = match smm_panel::telemetry::logging::Format::parse(std::env::var("LOG_FORMAT").ok().as_deref()) {
        Ok(format) => format,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    smm_panel::telemetry::logging::init(log_format);
    smm_panel::provider::client::install_crypto_provider();
    if let Command::ProviderSim(args) = cli.command {
        // The simulator needs none of the panel's configuration.
        return match smm_panel::provider::sim::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve => actix_web::rt::System::new().block_on(serve(config)),
        Command::Demo => actix_web::rt::System::new().block_on(smm_panel::demo::run(config)),
        Command::CreateAdmin { email, super_admin } => create_admin(config, &email, super_admin),
        Command::Migrate => migrate(config),
        Command::ProviderSim(_) => unreachable!("handled before the configuration is read"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A setting found wrong only at start (an unreadable or exposed key file) is a
        // configuration error like the others.
        Err(e) if e.downcast_ref::<smm_panel::config::ConfigError>().is_some() => {
            eprintln!("configuration error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config)?;
    log::info!(
        "smm-panel listening on http://{}:{}/",
        app.state().config.bind.ip(),
        app.port()
    );
    app.run_until_stopped().await?;
    Ok(())
}

fn migrate(config: Config) -> anyhow::Result<()> {
    let url = config.database_url.redacted();
    startup::prepare(config)?;
    println!("{url}: migrations are up to date");
    Ok(())
}

fn create_admin(config: Config, email: &str, super_admin: bool) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let password = input.lines().next().unwrap_or_default();
    let password = Password::parse(password).map_err(|m| anyhow::anyhow!("password (from standard input): {m}"))?;
    let state = startup::prepare(config)?;
    let role = if super_admin { Role::SuperAdmin } else { Role::Admin };
    let id = accounts::create_admin(
        &state,
        &email,
        &password,
        role,
        &smm_panel::service::audit::Actor::cli(),
    )?;
    println!("created {} {email} (id {id})", role.label().to_lowercase());
    Ok(())
}
