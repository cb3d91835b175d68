//! Bengali and English: both catalogues complete, every page in both languages with no
//! key left untranslated and no English left on a Bengali page, and the language switch
//! remembered per account and per visitor.

use std::collections::{BTreeMap, BTreeSet};

use smm_panel::domain::Role;
use smm_panel::i18n::message_key;

use crate::helpers::*;

/// Keys of every `.ftl` file of one language, by file name.
fn catalogue(lang: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang);
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut keys = BTreeMap::new();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(" = ") else {
                continue;
            };
            if key.starts_with(|c: char| c.is_ascii_lowercase())
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                assert!(
                    keys.insert(key.to_string(), value.to_string()).is_none(),
                    "{lang}/{}: {key} twice",
                    path.display()
                );
            }
        }
        files.insert(path.file_name().unwrap().to_string_lossy().into_owned(), keys);
    }
    files
}

#[test]
fn both_catalogues_have_every_key() {
    let (en, bn) = (catalogue("en"), catalogue("bn"));
    assert_eq!(
        en.keys().collect::<Vec<_>>(),
        bn.keys().collect::<Vec<_>>(),
        "the same files in locales/en and locales/bn"
    );
    let mut seen = BTreeSet::new();
    for (file, keys) in &en {
        let en_keys: BTreeSet<_> = keys.keys().collect();
        let bn_keys: BTreeSet<_> = bn[file].keys().collect();
        assert_eq!(
            en_keys.difference(&bn_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "{file}: keys missing in bn"
        );
        assert_eq!(
            bn_keys.difference(&en_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "{file}: keys missing in en"
        );
        for key in keys.keys() {
            assert!(seen.insert(key.clone()), "{key} is in two files");
        }
        // A message's key is what the code's English text turns into: the English entry
        // with its arguments filled in must give its own key back.
        for (key, value) in keys.iter().filter(|(k, _)| k.starts_with("msg-")) {
            let mut english = value.clone();
            for name in smm_panel::i18n::ARG_NAMES {
                english = english.replace(&format!("{{ ${name} }}"), "7");
            }
            assert_eq!(&message_key(&english).0, key, "{file}: {value}");
            let bn_value = &bn[file][key];
            for name in smm_panel::i18n::ARG_NAMES {
                let arg = format!("{{ ${name} }}");
                assert_eq!(value.contains(&arg), bn_value.contains(&arg), "{file}: {key} and {arg}");
            }
        }
    }
}

/// The words a reader sees: text between tags and the `title`, `placeholder`, `alt` and
/// `aria-label` of elements; `<code>` (ids, URLs, JSON) and `<script>`/`<style>` skipped.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let after = &rest[open..];
        let close = after.find('>').map_or(after.len(), |c| c + 1);
        let tag = &after[..close];
        for attr in ["title=\"", "placeholder=\"", "alt=\"", "aria-label=\""] {
            if let Some(start) = tag.find(attr) {
                let value = &tag[start + attr.len()..];
                out.push(' ');
                out.push_str(&value[..value.find('"').unwrap_or(0)]);
                out.push(' ');
            }
        }
        rest = &after[close..];
        for skipped in ["code", "script", "style", "pre"] {
            if tag.starts_with(&format!("<{skipped}")) && !tag.ends_with("/>") {
                let end = format!("</{skipped}>");
                rest = rest.find(&end).map_or("", |e| &rest[e + end.len()..]);
            }
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

/// Words a Bengali page may show in Latin letters: names and codes.
const LATIN_ALLOWED: &[&str] = &[
    "smm-panel",
    "smm",
    "panel",
    "api",
    "v2",
    "bkash",
    "nagad",
    "rocket",
    "bdt",
    "usd",
    "id",
    "url",
    "csv",
    "json",
    "http",
    "https",
    "p50",
    "p95",
    "p99",
    "ms",
    "english",
    "cpu",
    "rss",
    "ok",
    "bearer",
    "csrf",
];

/// Latin words on a page that are not data the test put there and not allowed names.
fn english_words(text: &str, data: &[String]) -> Vec<String> {
    let mut text = text.to_string();
    // Longest first, so a service name is removed before a word inside it.
    let mut data: Vec<&String> = data.iter().filter(|d| !d.is_empty()).collect();
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in data {
        text = text.replace(d.as_str(), " ");
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '@' || c == '.' || c == '/' || c == ':'))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ':' || c == '-' || c == '/'))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .filter(|w| !LATIN_ALLOWED.contains(&w.to_ascii_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

fn has_bengali_digit(text: &str) -> bool {
    text.chars().any(|c| ('০'..='৯').contains(&c))
}

/// Everything the test created whose text is data, not the panel's words.
fn data_strings(app: &TestApp, admin: &str) -> Vec<String> {
    let mut data = vec![];
    let api = app.api();
    let services = json(api.get("/api/admin/services?perPage=200", Some(admin)), 200);
    for s in services["items"].as_array().unwrap() {
        for field in ["name", "category", "description", "providerServiceId", "type"] {
            if let Some(v) = s[field].as_str() {
                data.push(v.to_string());
            }
        }
    }
    // The customers' catalogue names the categories.
    let catalogue = json(api.get("/api/services", Some(admin)), 200);
    for c in catalogue["categories"].as_array().unwrap() {
        data.extend(c["name"].as_str().map(String::from));
    }
    let providers = json(api.get("/api/admin/providers", Some(admin)), 200);
    for p in providers.as_array().or(providers["items"].as_array()).unwrap() {
        for field in ["name", "apiUrl", "lastError"] {
            if let Some(v) = p[field].as_str() {
                data.push(v.to_string());
            }
        }
    }
    let orders = json(api.get("/api/admin/orders?perPage=200", Some(admin)), 200);
    for o in orders["items"].as_array().unwrap() {
        for field in ["providerStatus", "link", "serviceName", "lastError", "note"] {
            if let Some(v) = o[field].as_str() {
                data.push(v.to_string());
            }
        }
    }
    data
}

/// Every page a customer and an admin can open, with the data that fills them.
struct Scene {
    app: TestApp,
    admin_token: String,
    order: i64,
    provider: i64,
    service: i64,
}

fn scene(default_language: &str) -> Scene {
    let app = spawn_app_with(&[("DEFAULT_LANGUAGE", default_language)]);
    let shop = app.shop(sim_args("i18n-key-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("kunde@example.com", "2500");
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &serde_json::json!({"orders": [{"serviceId": service, "link": "https://x.com/i18n-post", "qty": 1234}]}),
            Some(&token),
        ),
        201,
    );
    let order = placed["orders"][0]["id"].as_i64().unwrap();
    app.wait_for_order(&token, order, &["accepted"]);
    // A payment method and a payment waiting for approval fill both funds pages.
    let method = json(
        app.api().post(
            "/api/admin/payment-methods",
            &serde_json::json!({"name": "bKash", "kind": "bkash", "account": "01711000000", "minAmount": "100", "maxAmount": "25000"}),
            Some(&shop.admin_token),
        ),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    json(
        app.api().post(
            "/api/user/funds",
            &serde_json::json!({"methodId": method, "amount": "1500", "txnId": "8N7A6B5C4D"}),
            Some(&token),
        ),
        201,
    );
    Scene {
        admin_token: shop.admin_token.clone(),
        provider: shop.provider_id,
        app,
        order,
        service,
    }
}

fn admin_pages(s: &Scene) -> Vec<String> {
    let mut pages: Vec<String> = ADMIN_PAGES.iter().map(|p| p.to_string()).collect();
    pages.push("/admin/orders/manual?user=kunde".into());
    pages.push(format!("/admin/orders/{}", s.order));
    pages.push(format!("/admin/providers/{}", s.provider));
    pages.push(format!("/admin/services/{}", s.service));
    pages
}

/// Checks one page in Bengali; returns what is wrong with it.
fn bengali_faults(path: &str, html: &str, data: &[String]) -> Vec<String> {
    let mut faults = vec![];
    if let Some(at) = html.find('⟦') {
        faults.push(format!(
            "{path}: untranslated key {}",
            &html[at..(at + 60).min(html.len())]
        ));
    }
    if !html.contains("<html lang=\"bn\"") {
        faults.push(format!("{path}: not marked lang=bn"));
    }
    let words = english_words(&visible_text(html), data);
    if !words.is_empty() {
        faults.push(format!("{path}: English words {words:?}"));
    }
    faults
}

#[test]
fn every_page_renders_in_both_languages() {
    let s = scene("bn");
    let app = &s.app;
    let data = {
        let mut d = data_strings(app, &s.admin_token);
        d.extend(
            [
                "kunde@example.com",
                "admin@example.com",
                "chief@example.com",
                "test deposit",
            ]
            .map(String::from),
        );
        d
    };
    let mut faults = vec![];

    // Visitors: the sign-in and registration pages, and a page that is not there.
    let visitor = app.browser();
    for path in ["/login", "/register", "/no-such-page"] {
        let html = visitor.get(path).text().unwrap();
        faults.extend(bengali_faults(path, &html, &data));
    }

    let customer = app.browser();
    assert_eq!(customer.login("kunde@example.com", "correct-horse").status(), 303);
    // A super admin sees every admin page (Admins included).
    app.create_user("chief@example.com", "chief-pass-1", Role::SuperAdmin);
    let admin = app.browser();
    assert_eq!(admin.login("chief@example.com", "chief-pass-1").status(), 303);
    let mut pages: Vec<(&Browser, String)> = CUSTOMER_PAGES.iter().map(|p| (&customer, p.to_string())).collect();
    pages.push((&customer, format!("/orders/{}", s.order)));
    pages.extend(admin_pages(&s).into_iter().map(|p| (&admin, p)));

    for (browser, path) in &pages {
        let response = browser.get(path);
        if response.status() != 200 {
            faults.push(format!("{path}: status {}", response.status()));
            continue;
        }
        let html = response.text().unwrap();
        faults.extend(bengali_faults(path, &html, &data));
        if CUSTOMER_PAGES.contains(&path.as_str()) && !(html.contains('৳') && has_bengali_digit(&html)) {
            faults.push(format!("{path}: no balance in taka with Bengali digits"));
        }
    }
    // A form re-shown with an error, in Bengali.
    let refused = customer.submit(
        "/orders/new",
        "/orders",
        &[
            ("serviceId", &s.service.to_string()),
            ("link", "https://x.com/a"),
            ("quantity", "1"),
        ],
    );
    let html = refused.text().unwrap();
    faults.extend(bengali_faults("/orders (refused)", &html, &data));
    assert!(faults.is_empty(), "{} faults:\n{}", faults.len(), faults.join("\n"));

    // The same pages in English: every key there, no Bengali but the switch's own name.
    for browser in [&customer, &admin] {
        let switched = browser.submit("/", "/language", &[("lang", "en"), ("next", "/")]);
        assert_eq!(switched.status(), 303);
    }
    for (browser, path) in &pages {
        let html = browser.get(path).text().unwrap();
        assert!(html.contains("<html lang=\"en\""), "{path}");
        assert!(!html.contains('⟦'), "{path}: untranslated key");
        let bengali: String = visible_text(&html)
            .replace("বাংলা", "")
            .chars()
            .filter(|c| ('\u{0980}'..='\u{09FF}').contains(c))
            .collect();
        assert!(bengali.is_empty(), "{path}: Bengali on an English page: {bengali}");
    }
}

#[test]
fn the_language_is_kept_per_account_and_per_visitor() {
    let app = spawn_app_with(&[("DEFAULT_LANGUAGE", "en")]);
    // A visitor: English by default, Bengali from the browser, then their own choice.
    let visitor = app.browser();
    assert!(visitor.get("/login").text().unwrap().contains("<html lang=\"en\""));
    let asks_bengali = visitor
        .client
        .get(app.url("/login"))
        .header("Accept-Language", "bn-BD,bn;q=0.9,en;q=0.5")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(asks_bengali.contains("<html lang=\"bn\""));
    assert!(asks_bengali.contains("সাইন ইন"));
    let switched = visitor.submit("/login", "/language", &[("lang", "bn"), ("next", "/login")]);
    assert_eq!(switched.status(), 303);
    assert_eq!(location(&switched), "/login");
    let cookie = switched
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("lang="))
        .expect("the choice is kept in a cookie");
    assert!(cookie.starts_with("lang=bn") && cookie.contains("Max-Age="), "{cookie}");
    // The cookie wins over the browser's own preference.
    let chosen = visitor
        .client
        .get(app.url("/login"))
        .header("Accept-Language", "en")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(chosen.contains("<html lang=\"bn\""));
    // An unknown language changes nothing.
    let bad = visitor.submit("/login", "/language", &[("lang", "fr"), ("next", "/login")]);
    assert_eq!(bad.status(), 400);
    assert!(visitor.get("/login").text().unwrap().contains("<html lang=\"bn\""));

    // An account: the choice is stored on it and follows it to a new browser.
    let id = app.create_user("bhasha@example.com", "bhasha-pass-1", Role::User);
    app.deposit(id, "123456.78");
    let first = app.browser();
    first.login("bhasha@example.com", "bhasha-pass-1");
    assert!(first.get("/").text().unwrap().contains("<html lang=\"en\""));
    assert_eq!(
        first
            .submit("/", "/language", &[("lang", "bn"), ("next", "/orders?page=2")])
            .status(),
        303
    );
    let stored: Option<String> = {
        use diesel::prelude::*;
        use smm_panel::db::schema::users;
        let mut conn = app.state.conn().unwrap();
        users::table
            .find(id)
            .select(users::language)
            .first(&mut **conn)
            .unwrap()
    };
    assert_eq!(stored.as_deref(), Some("bn"));
    let second = app.browser();
    let signed_in = second.login("bhasha@example.com", "bhasha-pass-1");
    assert!(
        signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("lang=bn")),
        "signing in brings the account's language to this browser"
    );
    let home = second.get("/").text().unwrap();
    assert!(home.contains("<html lang=\"bn\""));
    // Money in taka with Bengali digits and 2-2-3 grouping.
    assert!(home.contains("৳১,২৩,৪৫৬.৭৮"), "the balance in Bengali");
    // A choice made in one browser wins in another that still holds the old cookie.
    assert_eq!(
        second
            .submit("/", "/language", &[("lang", "en"), ("next", "/")])
            .status(),
        303
    );
    assert!(
        first.get("/").text().unwrap().contains("<html lang=\"en\""),
        "the account's choice wins"
    );
    // The JSON API stays language-neutral.
    let token = app.api().token("bhasha@example.com", "bhasha-pass-1");
    let me = json(app.api().get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["balance"], "123456.78");
}
