//! Settings from the environment (and `.env`), each with a default that works on a
//! fresh machine. A bad value stops start-up with one line naming the variable.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::crypto::SecretKey;

/// A refused setting: `Display` is the one line printed before exiting.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

/// Which database, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let url = url::Url::parse(raw).map_err(|e| format!("is not a valid PostgreSQL URL ({e})"))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err("a PostgreSQL URL needs a host, e.g. postgres://user@127.0.0.1:5432/panel".into());
            }
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.contains("://") {
            return Err("only postgres:// URLs or SQLite file paths (sqlite://path/to/file.db) are supported".into());
        }
        if path.is_empty() {
            return Err("names no SQLite file".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// What Diesel's connection manager is given.
    pub fn connection_string(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => url.clone(),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "SQLite",
            Self::Postgres(_) => "PostgreSQL",
        }
    }

    /// The URL with any password replaced, for log lines.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("••••"));
                    }
                    url.to_string()
                }
                Err(_) => "postgres://…".into(),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// `None` until `ensure_secret_key` reads or generates it.
    pub secret_key: Option<SecretKey>,
    pub workers: usize,
    pub sync_interval: Duration,
    pub sync_batch_size: usize,
    pub provider_call_spacing: Duration,
    pub forward_retry_delays: Vec<Duration>,
    pub provider_timeout: Duration,
    pub rate_limit_per_min: u32,
    pub allow_http_providers: bool,
    /// Hosts (names or addresses) provider calls may reach even when they resolve to a
    /// private, loopback or link-local address (`PROVIDER_ALLOWED_HOSTS`, comma list).
    pub provider_allowed_hosts: Vec<String>,
    /// Proxies in front of the panel (`TRUSTED_PROXIES`, comma list of addresses).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub cookie_secure: bool,
    pub panel_currency: String,
    /// bcrypt work factor (`BCRYPT_COST`, default 12; tests lower it to keep the suite fast).
    pub bcrypt_cost: u32,
    /// Whether the panel measures itself (`METRICS`, default on): `/metrics`, the
    /// request counters and the System page's history.
    pub metrics: bool,
    /// A bearer token a Prometheus scraper presents at `/metrics` (`METRICS_TOKEN`).
    pub metrics_token: Option<MetricsToken>,
    /// The language of a visitor who chose none and whose browser asks for neither
    /// (`DEFAULT_LANGUAGE`, `bn` or `en`; default `bn`).
    pub default_language: crate::i18n::Lang,
}

/// `METRICS_TOKEN`: compared in constant time, never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Whether `given` is this token.
    pub fn matches(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(given.as_bytes()).into()
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|p| ConfigError::new("DATABASE_URL", p))?,
            None => DatabaseUrl::Sqlite(data_dir.join("smm-panel.db")),
        };
        let bind = parse_bind(&get("BIND").unwrap_or_else(|| "127.0.0.1:8080".into()))?;
        let secret_key = match get("SECRET_KEY") {
            Some(hex) => Some(SecretKey::from_hex(&hex).map_err(|p| ConfigError::new("SECRET_KEY", p))?),
            None => None,
        };
        let workers = parse_number::<usize>(&get, "WORKERS", 4, 1, 256)?;
        let sync_interval = Duration::from_secs(parse_number(&get, "SYNC_INTERVAL_SECS", 900, 1, 86_400 * 7)?);
        let sync_batch_size = parse_number::<usize>(&get, "SYNC_BATCH_SIZE", 100, 1, 100)?;
        let provider_call_spacing =
            Duration::from_millis(parse_number(&get, "PROVIDER_CALL_SPACING_MS", 2000, 0, 600_000)?);
        let forward_retry_delays = match get("FORWARD_RETRY_DELAYS_SECS") {
            None => vec![Duration::from_secs(5), Duration::from_secs(10), Duration::from_secs(20)],
            Some(raw) => parse_delays(&raw).map_err(|p| ConfigError::new("FORWARD_RETRY_DELAYS_SECS", p))?,
        };
        let provider_timeout = Duration::from_secs(parse_number(&get, "PROVIDER_TIMEOUT_SECS", 30, 1, 600)?);
        let rate_limit_per_min = parse_number::<u32>(&get, "RATE_LIMIT_PER_MIN", 100, 1, 1_000_000)?;
        let allow_http_providers = parse_bool(&get, "ALLOW_HTTP_PROVIDERS", false)?;
        let provider_allowed_hosts: Vec<String> = get("PROVIDER_ALLOWED_HOSTS")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().trim_matches(['[', ']']).to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let trusted_proxies = get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<std::net::IpAddr>()
                    .map_err(|_| ConfigError::new("TRUSTED_PROXIES", format!("'{p}' is not an IP address")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Secure cookies unless plainly local: behind a TLS proxy the panel often binds
        // loopback, so naming a proxy turns them on too.
        let cookie_secure = parse_bool(
            &get,
            "COOKIE_SECURE",
            !bind.ip().is_loopback() || !trusted_proxies.is_empty(),
        )?;
        let panel_currency = get("PANEL_CURRENCY")
            .unwrap_or_else(|| "BDT".into())
            .trim()
            .to_uppercase();
        if panel_currency.len() != 3 || !panel_currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigError::new(
                "PANEL_CURRENCY",
                "must be a three-letter currency code such as BDT",
            ));
        }

        let bcrypt_cost = parse_number::<u32>(&get, "BCRYPT_COST", 12, 4, 16)?;
        let metrics = parse_bool(&get, "METRICS", true)?;
        let metrics_token = get("METRICS_TOKEN").map(|t| MetricsToken(t.trim().to_string()));
        if metrics_token.as_ref().is_some_and(|t| t.0.len() < 16) {
            return Err(ConfigError::new(
                "METRICS_TOKEN",
                "must be at least 16 characters (a random string, e.g. `openssl rand -hex 16`)",
            ));
        }

        let default_language = match get("DEFAULT_LANGUAGE") {
            None => crate::i18n::Lang::Bn,
            Some(code) => crate::i18n::Lang::parse(&code)
                .ok_or_else(|| ConfigError::new("DEFAULT_LANGUAGE", "must be `bn` (Bengali) or `en` (English)"))?,
        };

        Ok(Self {
            data_dir,
            database_url,
            bind,
            secret_key,
            workers,
            sync_interval,
            sync_batch_size,
            provider_call_spacing,
            forward_retry_delays,
            provider_timeout,
            rate_limit_per_min,
            allow_http_providers,
            provider_allowed_hosts,
            trusted_proxies,
            cookie_secure,
            panel_currency,
            bcrypt_cost,
            metrics,
            metrics_token,
            default_language,
        })
    }

    /// Uses `SECRET_KEY`, or reads `DATA_DIR/secret.key`, or generates that file (mode 0600).
    pub fn ensure_secret_key(&mut self) -> Result<SecretKey, ConfigError> {
        if let Some(key) = &self.secret_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("secret.key");
        let key = load_or_create_key_file(&path).map_err(|p| ConfigError::new("SECRET_KEY", p))?;
        self.secret_key = Some(key.clone());
        Ok(key)
    }

    /// The key; call after `ensure_secret_key`.
    pub fn key(&self) -> &SecretKey {
        self.secret_key.as_ref().expect("ensure_secret_key runs at start-up")
    }
}

fn load_or_create_key_file(path: &Path) -> Result<SecretKey, String> {
    match std::fs::read_to_string(path) {
        Ok(hex) => {
            check_private(path)?;
            SecretKey::from_hex(&hex).map_err(|p| format!("{} {p}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let hex = SecretKey::generate_hex().map_err(|e| e.to_string())?;
            write_private_file(path, &hex).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            SecretKey::from_hex(&hex)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Refuses a key file other users can read or write: whoever reads it can decrypt every
/// provider key and forge sessions.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is open to other users (mode {:o}); run `chmod 600 {}` and start again",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn write_private_file(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

fn parse_bind(raw: &str) -> Result<SocketAddr, ConfigError> {
    let raw = raw.trim();
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // Accept host names such as localhost:8080.
    raw.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ConfigError::new("BIND", format!("'{raw}' is not an address:port such as 127.0.0.1:8080")))
}

fn parse_number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(name) else { return Ok(default) };
    let value: T = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(name, format!("'{raw}' is not a whole number")))?;
    if value < min || value > max {
        return Err(ConfigError::new(
            name,
            format!("{value} is out of range ({min} to {max})"),
        ));
    }
    Ok(value)
}

fn parse_bool(get: &impl Fn(&str) -> Option<String>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    let Some(raw) = get(name) else { return Ok(default) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(name, format!("'{raw}' is not true or false"))),
    }
}

fn parse_delays(raw: &str) -> Result<Vec<Duration>, String> {
    let delays = raw
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= 86_400)
                .map(Duration::from_secs)
                .ok_or_else(|| format!("'{}' is not a number of seconds (e.g. 5,10,20)", part.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if delays.len() > 10 {
        return Err("at most 10 retries".into());
    }
    Ok(delays)
}

/// True when `addr` is this machine (used for the https rule and the metrics guard).
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_work_on_a_fresh_machine() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DatabaseUrl::Sqlite(PathBuf::from("data/smm-panel.db")));
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.workers, 4);
        assert_eq!(c.sync_interval, Duration::from_secs(900));
        assert_eq!(c.sync_batch_size, 100);
        assert_eq!(c.forward_retry_delays.len(), 3);
        assert!(!c.cookie_secure, "loopback BIND serves plain http");
        assert_eq!(c.panel_currency, "BDT");
        assert_eq!(c.default_language, crate::i18n::Lang::Bn, "the panel is for Bangladesh");
        assert_eq!(
            config(&[("DEFAULT_LANGUAGE", "EN")]).unwrap().default_language,
            crate::i18n::Lang::En
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("WORKERS", "abc"),
            ("WORKERS", "0"),
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_URL", "postgres://"),
            ("SECRET_KEY", "abcd"),
            ("BIND", "nowhere"),
            ("SYNC_BATCH_SIZE", "1000"),
            ("FORWARD_RETRY_DELAYS_SECS", "5,x"),
            ("ALLOW_HTTP_PROVIDERS", "maybe"),
            ("PANEL_CURRENCY", "taka"),
            ("DEFAULT_LANGUAGE", "fr"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{var}={value}");
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn public_bind_makes_cookies_secure_and_postgres_urls_are_redacted() {
        let c = config(&[
            ("BIND", "0.0.0.0:80"),
            ("DATABASE_URL", "postgres://u:pw@db:5432/panel"),
        ])
        .unwrap();
        assert!(c.cookie_secure);
        assert!(!c.database_url.redacted().contains("pw"));
    }
}
