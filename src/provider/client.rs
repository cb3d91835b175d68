//! The API v2 client (SPEC §7) and the outcome classes the forwarder relies on (§4).
//!
//! Every failure is one of three kinds, and the difference decides whether an
//! order may be sent again:
//! - [`CallError::Provider`]: the provider answered `{"error": …}`; nothing was bought.
//! - [`CallError::BeforeSend`]: the request never reached the provider; safe to resend.
//! - [`CallError::AfterSend`]: the request left and no usable answer came back; the
//!   provider may have acted on it, so resending could buy the order twice.
//!
//! The rule: only a JSON error object (HTTP 2xx/4xx) is a definite refusal, only a
//! failure to connect is a definite non-delivery, everything else is ambiguous.
//!
//! `reqwest::blocking` must not be used on an async executor: call these methods
//! from worker threads or inside `web::block`.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use super::outbound::{OutboundPolicy, PolicyResolver};

use super::reply::{
    self, CancelResults, OrderStatusReply, ProviderBalance, ProviderService, ReplyError, StatusResults,
};

/// Installs ring as rustls' process-wide crypto provider (reqwest is built with
/// `rustls-no-provider`). Idempotent; called by [`ProviderClient::new`].
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err only means another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A provider API key. Never printed: `Debug` shows `••••` and, for keys long
/// enough that it gives nothing away, the last 4 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `••••abcd` (or `••••` for keys shorter than 12 characters).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "••••".to_owned();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("••••{tail}")
    }

    /// Replaces every occurrence of the key in `text` (error pages, provider
    /// messages) with its masked form.
    fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, &self.masked())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// What kind of refusal a provider's `{"error": …}` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The key was refused (SPEC §1 "authentication" error class).
    Authentication,
    Other,
}

impl ProviderErrorKind {
    /// Classifies a provider's error message.
    pub fn of_message(message: &str) -> Self {
        let m = message.to_lowercase();
        let about_key = m.contains("api key")
            || m.contains("api_key")
            || m.contains("apikey")
            || m.contains("invalid key")
            || (m.contains("key") && (m.contains("invalid") || m.contains("incorrect") || m.contains("wrong")));
        if about_key {
            ProviderErrorKind::Authentication
        } else {
            ProviderErrorKind::Other
        }
    }
}

/// Why a provider call failed. See the module docs for what each class allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("provider refused: {message}")]
    Provider { message: String, kind: ProviderErrorKind },
    #[error("request not sent: {0}")]
    BeforeSend(String),
    #[error("no usable answer (the provider may have processed the request): {0}")]
    AfterSend(String),
}

impl CallError {
    /// A provider refusal, classified by its message.
    pub fn provider(message: impl Into<String>) -> Self {
        let message = message.into();
        let kind = ProviderErrorKind::of_message(&message);
        CallError::Provider { message, kind }
    }

    /// `provider_error`, `auth_error`, `before_send` or `after_send` (metric and log label).
    pub fn class(&self) -> &'static str {
        match self {
            CallError::Provider {
                kind: ProviderErrorKind::Authentication,
                ..
            } => "auth_error",
            CallError::Provider { .. } => "provider_error",
            CallError::BeforeSend(_) => "before_send",
            CallError::AfterSend(_) => "after_send",
        }
    }

    /// True when the provider may have acted on the request (never resend an `add` blindly).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, CallError::AfterSend(_))
    }

    /// The provider's or the transport's message, without the class prefix.
    pub fn message(&self) -> &str {
        match self {
            CallError::Provider { message, .. } => message,
            CallError::BeforeSend(m) | CallError::AfterSend(m) => m,
        }
    }
}

/// One finished call, handed to the observer (metrics) after every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRecord<'a> {
    pub provider: &'a str,
    /// The API action: `services`, `add`, `status`, `multi_status`, `refill`,
    /// `refill_status`, `cancel`, `balance`.
    pub action: &'static str,
    pub latency: Duration,
    /// `None` when the call succeeded, else [`CallError::class`].
    pub error_class: Option<&'static str>,
}

impl CallRecord<'_> {
    pub fn is_ok(&self) -> bool {
        self.error_class.is_none()
    }
}

/// Called after every call with its record.
pub type CallObserver = Arc<dyn Fn(&CallRecord<'_>) + Send + Sync>;

/// An `add` request. `quantity` is per run for drip-feed (`runs`, `interval` minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProviderOrder {
    /// The provider's service id.
    pub service: String,
    pub link: String,
    pub quantity: i64,
    pub runs: Option<i64>,
    pub interval: Option<i64>,
    /// Custom comments, one per line.
    pub comments: Option<String>,
}

/// The most order ids one multi-status or cancel call may carry (SPEC §7).
pub const MAX_IDS_PER_CALL: usize = 100;

/// A client for one provider's API v2 endpoint. Cheap to clone (shares the
/// connection pool).
#[derive(Clone)]
pub struct ProviderClient {
    name: String,
    api_url: Url,
    key: ApiKey,
    timeout: Duration,
    /// A client that failed to build turns every call into `BeforeSend`.
    http: Result<reqwest::blocking::Client, String>,
    /// For `add`: no connection reuse (see `new`).
    http_add: Result<reqwest::blocking::Client, String>,
    observer: Option<CallObserver>,
    /// Why the URL's own address may not be dialed (an IP literal the outbound policy
    /// refuses; names are checked after DNS, by the resolver).
    refused: Option<String>,
}

/// The largest reply read from a provider; a longer one is cut off and fails.
pub const MAX_REPLY_BYTES: u64 = 10 * 1024 * 1024;

impl fmt::Debug for ProviderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderClient")
            .field("name", &self.name)
            .field("api_url", &self.api_url.as_str())
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ProviderClient {
    /// `timeout` bounds a whole call. Connecting gets at most 10 s, and always less
    /// than `timeout`, so a slow connect is reported as `BeforeSend` rather than
    /// racing the overall timer (which would make it `AfterSend`).
    pub fn new(name: String, api_url: Url, api_key: String, timeout: Duration) -> ProviderClient {
        Self::with_policy(name, api_url, api_key, timeout, OutboundPolicy::unrestricted())
    }

    /// A client whose calls go only where `policy` allows (the panel's provider calls).
    pub fn with_policy(
        name: String,
        api_url: Url,
        api_key: String,
        timeout: Duration,
        policy: OutboundPolicy,
    ) -> ProviderClient {
        install_crypto_provider();
        let refused = match api_url.host() {
            Some(url::Host::Ipv4(ip)) => policy.refusal(&ip.to_string(), ip.into()),
            Some(url::Host::Ipv6(ip)) => policy.refusal(&ip.to_string(), ip.into()),
            _ => None,
        };
        let resolver = (!policy.unrestricted).then(|| {
            Arc::new(PolicyResolver {
                policy: Arc::new(policy),
            })
        });
        let connect_timeout = (timeout.saturating_mul(9) / 10).min(Duration::from_secs(10));
        let builder = || {
            reqwest::blocking::Client::builder()
                .timeout(timeout)
                .connect_timeout(connect_timeout)
                // A redirect would turn the POST into a GET without the body.
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never())
                // Below the 5 s keep-alive of common server defaults, so a request is
                // never written into a connection the server is closing (that would
                // fail ambiguously, after sending).
                .pool_idle_timeout(Duration::from_secs(4))
                .user_agent(concat!("smm-panel/", env!("CARGO_PKG_VERSION")))
        };
        let builder = || match &resolver {
            Some(resolver) => builder().dns_resolver(resolver.clone()),
            None => builder(),
        };
        let build = |b: reqwest::blocking::ClientBuilder| {
            b.build()
                .map_err(|e| format!("could not build the HTTP client: {}", error_chain(&e)))
        };
        let http = build(builder());
        // `add` never reuses a pooled connection: a request written into a connection
        // the provider has just closed fails ambiguously and would park a good order
        // for review. A fresh connection either connects (then the failure is real) or
        // fails before sending.
        let http_add = build(builder().pool_max_idle_per_host(0));
        ProviderClient {
            name,
            api_url,
            key: ApiKey::new(api_key),
            timeout,
            http,
            http_add,
            observer: None,
            refused,
        }
    }

    /// Calls `observer` after every call (latency and outcome class, for metrics).
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The key, masked, for display.
    pub fn masked_key(&self) -> String {
        self.key.masked()
    }

    /// `action=services`. Rows without an id or with an unreadable rate, min or max
    /// are left out and logged.
    pub fn services(&self) -> Result<Vec<ProviderService>, CallError> {
        let reply = self.call("services", "services", &[], reply::parse_services)?;
        for (id, reason) in &reply.skipped {
            log::warn!("provider {}: services: skipped service {id}: {reason}", self.name);
        }
        Ok(reply.services)
    }

    /// `action=add`; returns the provider's order id.
    pub fn add(&self, order: &NewProviderOrder) -> Result<String, CallError> {
        let mut fields = vec![
            ("service", order.service.clone()),
            ("link", order.link.clone()),
            ("quantity", order.quantity.to_string()),
        ];
        if let Some(runs) = order.runs {
            fields.push(("runs", runs.to_string()));
        }
        if let Some(interval) = order.interval {
            fields.push(("interval", interval.to_string()));
        }
        if let Some(comments) = &order.comments {
            fields.push(("comments", comments.clone()));
        }
        self.call("add", "add", &fields, reply::parse_add)
    }

    /// `action=status&order=ID`.
    pub fn status(&self, order_id: &str) -> Result<OrderStatusReply, CallError> {
        self.call(
            "status",
            "status",
            &[("order", order_id.to_owned())],
            reply::parse_status,
        )
    }

    /// `action=status&orders=1,2,3` (at most [`MAX_IDS_PER_CALL`] ids). Every
    /// requested id gets an entry; a per-order `{"error"}` (or an id the provider
    /// left out) is an `Err` for that order only. A provider that does not support
    /// multi-status typically fails the whole call (`Provider` or `AfterSend`).
    pub fn statuses(&self, ids: &[String]) -> Result<StatusResults, CallError> {
        if ids.is_empty() {
            return Ok(StatusResults::new());
        }
        check_id_count(ids)?;
        self.call("multi_status", "status", &[("orders", ids.join(","))], |value| {
            reply::parse_statuses(value, ids)
        })
    }

    /// `action=refill&order=ID`; returns the refill id.
    pub fn refill(&self, order_id: &str) -> Result<String, CallError> {
        self.call(
            "refill",
            "refill",
            &[("order", order_id.to_owned())],
            reply::parse_refill,
        )
    }

    /// `action=refill_status&refill=ID`; returns the status text as sent.
    pub fn refill_status(&self, refill_id: &str) -> Result<String, CallError> {
        self.call(
            "refill_status",
            "refill_status",
            &[("refill", refill_id.to_owned())],
            reply::parse_refill_status,
        )
    }

    /// `action=cancel&orders=1,2`; one outcome per requested id, in order.
    pub fn cancel(&self, ids: &[String]) -> Result<CancelResults, CallError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        check_id_count(ids)?;
        self.call("cancel", "cancel", &[("orders", ids.join(","))], |value| {
            reply::parse_cancel(value, ids)
        })
    }

    /// `action=balance`.
    pub fn balance(&self) -> Result<ProviderBalance, CallError> {
        self.call("balance", "balance", &[], reply::parse_balance)
    }

    /// Sends one request, turns the reply into `T`, logs it and tells the observer.
    /// `label` names the call in records (`multi_status`); `action` is sent.
    fn call<T>(
        &self,
        label: &'static str,
        action: &'static str,
        fields: &[(&'static str, String)],
        parse: impl FnOnce(&Value) -> Result<T, ReplyError>,
    ) -> Result<T, CallError> {
        let started = Instant::now();
        let result = self.exchange(action, fields).and_then(|value| {
            parse(&value).map_err(|e| match e {
                ReplyError::Provider(message) => CallError::provider(self.key.redact(&message)),
                ReplyError::Unexpected(message) => {
                    CallError::AfterSend(format!("unexpected reply: {}", self.key.redact(&message)))
                }
            })
        });
        let latency = started.elapsed();
        let error_class = result.as_ref().err().map(CallError::class);
        match &result {
            Ok(_) => log::debug!("provider {}: {label} ok in {} ms", self.name, latency.as_millis()),
            Err(e) => log::debug!(
                "provider {}: {label} failed ({}) in {} ms: {e}",
                self.name,
                e.class(),
                latency.as_millis()
            ),
        }
        if let Some(observer) = &self.observer {
            observer(&CallRecord {
                provider: &self.name,
                action: label,
                latency,
                error_class,
            });
        }
        result
    }

    /// The HTTP exchange: POST the form, classify transport failures, read the
    /// body, and return the JSON of a 2xx reply. A 4xx with `{"error"}` is a
    /// refusal; any other status (3xx, 5xx, 4xx without a JSON error) is ambiguous.
    fn exchange(&self, action: &str, fields: &[(&'static str, String)]) -> Result<Value, CallError> {
        if let Some(why) = &self.refused {
            return Err(CallError::BeforeSend(why.clone()));
        }
        let client = if action == "add" { &self.http_add } else { &self.http };
        let http = client.as_ref().map_err(|e| CallError::BeforeSend(e.clone()))?;
        let mut form: Vec<(&str, &str)> = Vec::with_capacity(fields.len() + 2);
        form.push(("key", self.key.expose()));
        form.push(("action", action));
        form.extend(fields.iter().map(|(name, value)| (*name, value.as_str())));

        let response = http
            .post(self.api_url.clone())
            .form(&form)
            .send()
            .map_err(classify_send_error)?;
        let status = response.status();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(response, MAX_REPLY_BYTES + 1), &mut body)
            .map_err(|e| CallError::AfterSend(format!("reading the reply failed: {e}")))?;
        if body.len() as u64 > MAX_REPLY_BYTES {
            return Err(CallError::AfterSend(format!(
                "the reply is larger than {} MB; not read",
                MAX_REPLY_BYTES / 1024 / 1024
            )));
        }

        let parsed = serde_json::from_slice::<Value>(&body);
        if status.is_server_error() {
            return Err(CallError::AfterSend(format!(
                "HTTP {status}: {}",
                self.describe_body(&body)
            )));
        }
        let value = parsed
            .map_err(|_| CallError::AfterSend(format!("HTTP {status}, not JSON: {}", self.describe_body(&body))))?;
        if status.is_success() {
            // The action's parser reads `{"error"}`: what it means can depend on the
            // rest of the reply (an `add` answer with an order id is not a refusal).
            return Ok(value);
        }
        match reply::error_message(&value) {
            Some(message) if status.is_client_error() => Err(CallError::provider(self.key.redact(&message))),
            _ => Err(CallError::AfterSend(format!(
                "HTTP {status}: {}",
                self.describe_body(&body)
            ))),
        }
    }

    /// A short, key-free description of a body for error messages.
    fn describe_body(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return "empty body".to_owned();
        }
        let lower: String = trimmed.chars().take(15).flat_map(char::to_lowercase).collect();
        let kind = if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with('<') {
            "HTML body"
        } else {
            "body"
        };
        let flat = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("{kind} {:?}", reply::shorten(&self.key.redact(&flat)))
    }
}

fn check_id_count(ids: &[String]) -> Result<(), CallError> {
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(CallError::BeforeSend(format!(
            "{} order ids in one call; the limit is {MAX_IDS_PER_CALL}",
            ids.len()
        )));
    }
    Ok(())
}

/// Failed to get any response: certain non-delivery only when the connection was
/// never established (refused, DNS, TLS handshake, connect timeout) or the request
/// could not even be built.
fn classify_send_error(e: reqwest::Error) -> CallError {
    let message = error_chain(&e);
    if e.is_builder() || e.is_connect() {
        CallError::BeforeSend(message)
    } else if e.is_timeout() {
        CallError::AfterSend(format!("timed out waiting for the reply: {message}"))
    } else {
        CallError::AfterSend(message)
    }
}

/// `outer: cause: root cause`, deduplicated (reqwest repeats itself in sources).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_masked_in_debug() {
        let key = ApiKey::new("0123456789abcdefWXYZ");
        assert_eq!(format!("{key:?}"), "••••WXYZ");
        assert_eq!(ApiKey::new("short").masked(), "••••");
        let client = ProviderClient::new(
            "p1".into(),
            Url::parse("http://127.0.0.1:1/api/v2").expect("static url"),
            "0123456789abcdefWXYZ".into(),
            Duration::from_secs(5),
        );
        let debug = format!("{client:?}");
        assert!(!debug.contains("0123456789abcdef"), "{debug}");
        assert!(debug.contains("••••WXYZ"), "{debug}");
        assert_eq!(key.redact("bad key 0123456789abcdefWXYZ!"), "bad key ••••WXYZ!");
    }

    #[test]
    fn authentication_messages_are_recognised() {
        for message in [
            "Invalid API key",
            "invalid key",
            "Incorrect key",
            "The key is invalid",
            "api_key missing",
            "Wrong API Key provided",
        ] {
            assert_eq!(
                ProviderErrorKind::of_message(message),
                ProviderErrorKind::Authentication,
                "{message}"
            );
        }
        for message in [
            "Incorrect service ID",
            "Incorrect request",
            "Not enough funds on balance",
        ] {
            assert_eq!(
                ProviderErrorKind::of_message(message),
                ProviderErrorKind::Other,
                "{message}"
            );
        }
    }

    #[test]
    fn error_classes() {
        assert_eq!(CallError::provider("Invalid API key").class(), "auth_error");
        assert_eq!(CallError::provider("Incorrect request").class(), "provider_error");
        assert_eq!(CallError::BeforeSend("x".into()).class(), "before_send");
        assert_eq!(CallError::AfterSend("x".into()).class(), "after_send");
        assert!(CallError::AfterSend("x".into()).is_ambiguous());
        assert!(!CallError::BeforeSend("x".into()).is_ambiguous());
        assert!(!CallError::provider("x").is_ambiguous());
        assert_eq!(CallError::provider("Incorrect request").message(), "Incorrect request");
    }

    #[test]
    fn too_many_ids_are_refused_locally() {
        let client = ProviderClient::new(
            "p1".into(),
            Url::parse("http://127.0.0.1:1/api/v2").expect("static url"),
            "k".into(),
            Duration::from_secs(5),
        );
        let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert!(matches!(client.statuses(&ids), Err(CallError::BeforeSend(_))));
        assert!(matches!(client.cancel(&ids), Err(CallError::BeforeSend(_))));
        assert_eq!(client.statuses(&[]).ok(), Some(StatusResults::new()));
    }
}
