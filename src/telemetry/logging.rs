//! The log: `env_logger` with `RUST_LOG` filters, in one of two formats chosen by
//! `LOG_FORMAT` — `text` (default; one line per event) or `json` (one object per line
//! for log shippers: `ts`, `level`, `target`, `msg`, `requestId`). A line written while
//! a request is served carries that request's id.

use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// `LOG_FORMAT`'s value; anything else is an error naming the choices.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(Self::Json),
            Some(v) => Err(format!("LOG_FORMAT: '{v}' is not a log format; use text or json")),
        }
    }
}

/// Installs the process's logger.
pub fn init(format: Format) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,actix_server=warn"));
    builder.format(move |buf, record| {
        let request_id = crate::web::request_id::current();
        let ts = buf.timestamp_millis();
        match format {
            Format::Json => {
                let mut line = serde_json::json!({
                    "ts": ts.to_string(),
                    "level": record.level().as_str(),
                    "target": record.target(),
                    "msg": record.args().to_string(),
                });
                if let Some(id) = request_id {
                    line["requestId"] = serde_json::Value::String(id);
                }
                serde_json::to_writer(&mut *buf, &line)?;
                writeln!(buf)
            }
            Format::Text => {
                write!(
                    buf,
                    "[{ts} {:<5} {}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                )?;
                match request_id {
                    Some(id) => writeln!(buf, " id={id}"),
                    None => writeln!(buf),
                }
            }
        }
    });
    builder.init();
}
