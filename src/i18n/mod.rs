//! Bengali and English. Every word a page shows comes from the Fluent catalogues in
//! `locales/{bn,en}/*.ftl`, compiled into the binary; `tests/i18n` checks that both
//! catalogues hold the same keys and that no Bengali page shows an English sentence.
//!
//! The language of a request is, in order: the account's choice (signed in), the `lang`
//! cookie (a visitor's choice, also set on sign-in and on every switch), the browser's
//! `Accept-Language`, and `DEFAULT_LANGUAGE`. The middleware (`localise`) decides it once
//! and keeps it as the request's *current* language, a task-local like the request id;
//! the page extractor replaces it with the account's choice when there is one.
//!
//! Messages built in Rust (validation errors, flashes) are written in English, which is
//! what the JSON API answers with. A page shows them through `Lang::message`: the numbers
//! and quoted values are lifted out as arguments and the remaining words name a `msg-`
//! key (`"Quantity must be at least 10."` → `msg-quantity-must-be-at-least-n`, `$a = 10`).
//! So the English text stays the single source, and the Bengali catalogue follows it.

mod format;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AcceptLanguage, Header};
use actix_web::middleware::Next;
use actix_web::Error;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};

pub use format::{digits, group};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they show as boxes in some fonts
        // and break copy-paste of ids and amounts.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers a visitor's language for a year.
pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Bn,
    #[default]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Bn, Lang::En];

    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "bn" => Some(Lang::Bn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Bn => "bn",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Bn => "বাংলা",
            Lang::En => "English",
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::Bn => Lang::En,
            Lang::En => Lang::Bn,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Bn => fluent_templates::langid!("bn"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The text of `key`; a key no catalogue has shows as `⟦key⟧`, which the page test
    /// looks for.
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(&self.id(), key).unwrap_or_else(|| missing(key))
    }

    /// The text of `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&str, String)]) -> String {
        let args = args.iter().map(|(name, value)| (name.to_string(), value.clone()));
        self.lookup_args(key, args).unwrap_or_else(|| missing(key))
    }

    /// The text of `key` with these arguments, if a catalogue has the key.
    fn lookup_args(self, key: &str, args: impl Iterator<Item = (String, String)>) -> Option<String> {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .map(|(name, value)| (Cow::Owned(name), FluentValue::from(value)))
            .collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &args)
    }

    /// A whole number: Bengali digits grouped 2-2-3 in Bengali, plain digits in English.
    pub fn number(self, n: i64) -> String {
        self.figure(&n.to_string())
    }

    /// Any figure already written with ASCII digits (a price, a rate, a percentage):
    /// its digits in this language.
    pub fn figure(self, text: &str) -> String {
        match self {
            Lang::Bn => digits(self, &group(text)),
            Lang::En => text.to_string(),
        }
    }

    /// An amount in `currency`: `৳১,২৩,৪৫৬.৭৮` in Bengali (the sign for taka, else the
    /// code after the figure), `123456.78 BDT` in English.
    pub fn money(self, amount: &crate::domain::Money, currency: &str) -> String {
        let text = amount.to_string();
        match self {
            Lang::Bn => {
                let (sign, unsigned) = match text.strip_prefix('-') {
                    Some(rest) => ("-", rest),
                    None => ("", text.as_str()),
                };
                let figure = digits(self, &group(unsigned));
                if currency == "BDT" {
                    format!("{sign}৳{figure}")
                } else {
                    format!("{sign}{figure} {currency}")
                }
            }
            Lang::En => format!("{text} {currency}"),
        }
    }

    /// A date and time (UTC, as stored): `2026-11-30 16:41`, `৩০ নভেম্বর ২০২৬, ১৬:৪১`.
    pub fn datetime(self, at: &chrono::NaiveDateTime) -> String {
        let (date, time) = (self.date(&at.date()), digits(self, &at.format("%H:%M").to_string()));
        match self {
            Lang::En => format!("{date} {time}"),
            Lang::Bn => format!("{date}, {time}"),
        }
    }

    /// A date and time to the second (sync rounds, status checks).
    pub fn datetime_secs(self, at: &chrono::NaiveDateTime) -> String {
        format!("{}{}", self.datetime(at), digits(self, &at.format(":%S").to_string()))
    }

    /// The months' names, comma-separated (for the live status script).
    pub fn month_names(self) -> String {
        (1..=12)
            .map(|m| self.t(&format!("month-{m}")))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A date without the time.
    pub fn date(self, at: &chrono::NaiveDate) -> String {
        match self {
            Lang::En => at.format("%Y-%m-%d").to_string(),
            Lang::Bn => {
                use chrono::Datelike;
                let month = self.t(&format!("month-{}", at.month()));
                digits(self, &format!("{} {month} {}", at.day(), at.year()))
            }
        }
    }

    /// The name of a value of a closed set (an order status, a ledger kind, a role):
    /// `{set}-{value}`, e.g. `status-in_progress`.
    pub fn name_of(self, set: &str, value: &str) -> String {
        let key = format!("{set}-{}", value.replace('_', "-"));
        LOCALES
            .try_lookup(&self.id(), &key)
            .unwrap_or_else(|| value.replace('_', " "))
    }

    /// A message written in English by the code (an error, a flash) in this language;
    /// English, or a message the catalogue does not know yet, is shown as written.
    pub fn message(self, english: &str) -> String {
        if self == Lang::En {
            return english.to_string();
        }
        let (key, args) = message_parts(english);
        // Numbers in this language's digits; quoted values (ids, codes) as written.
        let args = ARG_NAMES.iter().zip(args).map(|(name, (value, is_number))| {
            let value = if is_number { digits(self, &value) } else { value };
            (name.to_string(), value)
        });
        match self.lookup_args(&key, args) {
            Some(text) => text,
            None => {
                log::debug!("no {} text for message {key}", self.code());
                english.to_string()
            }
        }
    }
}

impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

fn missing(key: &str) -> String {
    log::warn!("no text for i18n key {key}");
    format!("⟦{key}⟧")
}

/// Names of a message's arguments, in order of appearance.
pub const ARG_NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// The catalogue key of an English message and its arguments: numbers and `'quoted'`
/// values are arguments (`n` and `x` in the key), words join with `-`, lower-cased.
pub fn message_key(english: &str) -> (String, Vec<String>) {
    let (key, args) = message_parts(english);
    (key, args.into_iter().map(|(value, _)| value).collect())
}

/// `message_key`, with whether each argument is a number.
fn message_parts(english: &str) -> (String, Vec<(String, bool)>) {
    let mut key = String::from("msg");
    let mut args = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = english.chars().collect();
    let mut i = 0;
    let flush = |word: &mut String, key: &mut String| {
        if !word.is_empty() {
            key.push('-');
            key.push_str(&word.to_ascii_lowercase());
            word.clear();
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' && word.is_empty() {
            if let Some(len) = chars[i + 1..].iter().position(|&q| q == '\'') {
                args.push((chars[i + 1..i + 1 + len].iter().collect(), false));
                key.push_str("-x");
                i += len + 2;
                continue;
            }
        }
        if c.is_ascii_digit() && word.is_empty() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            if i < chars.len() && chars[i].is_ascii_alphabetic() {
                // A word that starts with digits (`2fa`): a word, not a number.
                word.extend(&chars[start..i]);
                continue;
            }
            args.push((chars[start..i].iter().collect(), true));
            key.push_str("-n");
            continue;
        }
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut key);
        }
        i += 1;
    }
    flush(&mut word, &mut key);
    (key, args)
}

/// The request's language, and its path (where the switch comes back to).
struct Locale {
    lang: Cell<Lang>,
    path: String,
}

tokio::task_local! {
    static CURRENT: Locale;
}

/// The language of the request being served (English outside a request).
pub fn current() -> Lang {
    CURRENT.try_with(|l| l.lang.get()).unwrap_or_default()
}

/// The path and query of the request being served.
pub fn current_path() -> String {
    CURRENT.try_with(|l| l.path.clone()).unwrap_or_else(|_| "/".into())
}

/// Makes `lang` the current request's language (the account's choice, once known).
pub fn set_current(lang: Lang) {
    let _ = CURRENT.try_with(|l| l.lang.set(lang));
}

/// The language a request asks for, before its account is known.
pub fn negotiate(req: &actix_web::HttpRequest, default: Lang) -> Lang {
    if let Some(lang) = req.cookie(COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    if let Ok(accept) = AcceptLanguage::parse(req) {
        for preference in accept.ranked() {
            if let Some(lang) = Lang::parse(&preference.to_string()) {
                return lang;
            }
        }
    }
    default
}

/// Middleware: decides the request's language and serves it under it.
pub async fn localise(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let default = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.config.default_language)
        .unwrap_or_default();
    let lang = negotiate(req.request(), default);
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    let locale = Locale {
        lang: Cell::new(lang),
        path,
    };
    CURRENT.scope(locale, next.call(req)).await
}

/// The cookie that keeps a language for a year.
pub fn cookie(lang: Lang, secure: bool) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(COOKIE, lang.code())
        .path("/")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .http_only(true)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_key_lifts_numbers_and_quoted_values() {
        let (key, args) = message_key("Quantity must be between 10 and 5000.");
        assert_eq!(key, "msg-quantity-must-be-between-n-and-n");
        assert_eq!(args, ["10", "5000"]);
        let (key, args) = message_key("'abc' is not an order status.");
        assert_eq!(key, "msg-x-is-not-an-order-status");
        assert_eq!(args, ["abc"]);
        let (key, args) = message_key("Balance 12.50 BDT is short; use API v2.");
        assert_eq!(key, "msg-balance-n-bdt-is-short-use-api-v2");
        assert_eq!(args, ["12.50"]);
        assert_eq!(
            message_key("Order #42 can't be refilled").0,
            "msg-order-n-can-t-be-refilled"
        );
    }

    #[test]
    fn money_and_numbers_follow_the_language() {
        let m = crate::domain::Money::from_micros(123_456_780_000);
        assert_eq!(Lang::Bn.money(&m, "BDT"), "৳১,২৩,৪৫৬.৭৮");
        assert_eq!(Lang::En.money(&m, "BDT"), "123456.78 BDT");
        assert_eq!(
            Lang::Bn.money(&crate::domain::Money::from_micros(-5_000_000), "USD"),
            "-৫.০০ USD"
        );
        assert_eq!(Lang::Bn.number(12_345_678), "১,২৩,৪৫,৬৭৮");
        assert_eq!(Lang::Bn.number(999), "৯৯৯");
        assert_eq!(Lang::En.number(12_345_678), "12345678");
    }

    #[test]
    fn the_language_comes_from_its_code() {
        assert_eq!(Lang::parse("bn-BD"), Some(Lang::Bn));
        assert_eq!(Lang::parse("EN_us"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
