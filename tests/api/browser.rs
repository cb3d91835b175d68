//! The pages in a real browser (headless Chromium through `chromedriver`, spoken to over
//! the W3C WebDriver protocol): the customer tables fit at 1280 px with the status in
//! view, become cards with the status first at 390 px, the filter's search box keeps a
//! usable width, no page scrolls sideways, and the scripts log no error, in both
//! languages. `.ci/run` installs `chromium` and `chromium-driver`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;

/// A chromedriver process and one headless browser session.
struct Chrome {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
}

/// Whether the browser tests can run here: `chromedriver` on the PATH. Without it they
/// say so and pass, unless `SMM_BROWSER_TESTS=required` (set by `.ci/run`), where a
/// missing browser fails them.
fn browser_available() -> bool {
    let found = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("SMM_BROWSER_TESTS").as_deref() != Ok("required"),
            "chromedriver is missing: apt install chromium chromium-driver"
        );
        eprintln!("SKIPPED: no chromedriver on this machine (apt install chromium chromium-driver)");
    }
    found
}

impl Chrome {
    fn start(width: u32, height: u32) -> Chrome {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt install chromium chromium-driver)");
        smm_panel::provider::client::install_crypto_provider();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http
            .get(format!("{base}/status"))
            .send()
            .map(|r| !r.status().is_success())
            .unwrap_or(true)
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                format!("--window-size={width},{height}"),
            ]},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Chrome {
            driver,
            base,
            session,
            http,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let response: Value = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if response["value"]["error"].is_string() {
            panic!("webdriver {path}: {response}");
        }
        response["value"].clone()
    }

    fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }));
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    /// Signs in through the login form, as a person would.
    fn sign_in(&self, app: &TestApp, email: &str, password: &str) {
        self.open(&app.url("/login"));
        self.eval(&format!(
            "document.getElementById('email').value = {email:?};
             document.getElementById('password').value = {password:?};
             document.querySelector('form[action=\"/login\"]').submit();"
        ));
        let started = Instant::now();
        while self.eval("return location.pathname").as_str() == Some("/login") {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sign-in did not leave /login"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Severe messages the page's console logged since the last call.
    fn console_errors(&self) -> Vec<String> {
        let logs = self.call(reqwest::Method::POST, "/se/log", json!({ "type": "browser" }));
        logs.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Facts about the first table of the page, measured by the browser.
const MEASURE: &str = r#"
const table = document.querySelector('table.stack');
const wrap = table.closest('.table-wrap');
const row = table.querySelector('tbody tr');
const cells = [...row.children];
const status = row.querySelector('.status-cell');
const statusHead = [...table.querySelectorAll('thead th')].pop();
const search = document.querySelector('form.search input[type=search]');
return {
  pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
  tableScrolls: wrap.scrollWidth > wrap.clientWidth + 1,
  statusHeadRight: statusHead.getBoundingClientRect().right,
  statusVisible: statusHead.getBoundingClientRect().right <= window.innerWidth && getComputedStyle(statusHead).display !== 'none',
  viewport: window.innerWidth,
  cellsAsCards: getComputedStyle(cells[0]).display === 'block' || getComputedStyle(row).display === 'block' || getComputedStyle(row).display === 'grid' || getComputedStyle(row).display === 'flex',
  statusFirst: !status || cells.every(c => c === status || status.getBoundingClientRect().top <= c.getBoundingClientRect().top),
  linkTitle: row.querySelector('.link-cell') ? row.querySelector('.link-cell').title : null,
  searchWidth: search ? search.getBoundingClientRect().width : null,
};
"#;

fn customer_with_orders() -> (TestApp, i64) {
    let app = spawn_app();
    app.stop_workers();
    let shop = app.shop(sim_args("browser-key-1"));
    let service = app.service_id(&shop, "1");
    let (_, token) = app.customer("looker@example.com", "5000");
    let long_link = format!("https://www.instagram.com/p/{}/", "C0ffee-very-long-post-id-".repeat(4));
    let placed = json(
        app.api().post(
            "/api/user/create-orders",
            &json!({"orders": [
                {"serviceId": service, "link": long_link, "qty": 1000},
                {"serviceId": service, "link": "https://x.com/short", "qty": 250},
            ]}),
            Some(&token),
        ),
        201,
    );
    let order = placed["orders"][0]["id"].as_i64().unwrap();
    (app, order)
}

#[test]
fn customer_tables_fit_wide_screens_and_become_cards_on_phones() {
    if !browser_available() {
        return;
    }
    let (app, _) = customer_with_orders();
    for (lang, width) in [("en", 1280), ("bn", 1280), ("en", 390), ("bn", 390)] {
        let chrome = Chrome::start(width, 900);
        chrome.sign_in(&app, "looker@example.com", "correct-horse");
        // The choice is kept on the account: switch only when the page is not in `lang` yet.
        if chrome.eval("return document.documentElement.lang") != lang {
            chrome.eval("document.querySelector('form.lang-switch button').click();");
            let started = Instant::now();
            while chrome.eval("return document.documentElement.lang") != lang {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the switch did not turn the page to {lang}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        for path in ["/orders", "/transactions", "/"] {
            chrome.open(&app.url(path));
            let m = chrome.eval(MEASURE);
            let at = format!("{path} at {width} px in {lang}: {m}");
            assert_eq!(m["pageScrolls"], false, "the page scrolls sideways: {at}");
            if width == 1280 {
                assert_eq!(m["tableScrolls"], false, "the table scrolls sideways: {at}");
                assert_eq!(m["statusVisible"], true, "the status column is out of view: {at}");
                assert_eq!(m["cellsAsCards"], false, "{at}");
            } else {
                assert_eq!(m["cellsAsCards"], true, "rows are not cards: {at}");
                assert_eq!(m["statusFirst"], true, "the status is not first: {at}");
            }
            if path == "/orders" {
                assert!(
                    m["linkTitle"].as_str().unwrap_or_default().starts_with("https://"),
                    "{at}"
                );
                let search = m["searchWidth"].as_f64().unwrap();
                assert!(search >= 150.0, "the search box is {search} px wide: {at}");
            }
            let errors = chrome.console_errors();
            assert!(errors.is_empty(), "console errors on {at}: {errors:?}");
        }
    }
}

#[test]
fn no_page_scrolls_sideways_on_a_phone_or_a_laptop() {
    if !browser_available() {
        return;
    }
    let (app, order) = customer_with_orders();
    app.create_user("chief@example.com", "chief-pass-1", smm_panel::domain::Role::SuperAdmin);
    let admin_pages: Vec<&str> = ADMIN_PAGES
        .iter()
        .copied()
        .chain(["/admin/orders/manual?user=looker"])
        .collect();
    for width in [390, 1280] {
        let chrome = Chrome::start(width, 900);
        for (email, password, pages) in [
            ("looker@example.com", "correct-horse", CUSTOMER_PAGES),
            ("chief@example.com", "chief-pass-1", &admin_pages[..]),
        ] {
            chrome.sign_in(&app, email, password);
            // Bengali words are the longer ones.
            if chrome.eval("return document.documentElement.lang") != "bn" {
                chrome.eval("document.querySelector('form.lang-switch button').click();");
                let started = Instant::now();
                while chrome.eval("return document.documentElement.lang") != "bn" {
                    assert!(started.elapsed() < Duration::from_secs(10), "no switch to Bengali");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            let order_page = format!("/orders/{order}");
            let admin_order = format!("/admin/orders/{order}");
            let extra = if email.starts_with("chief") {
                admin_order
            } else {
                order_page
            };
            for path in pages.iter().copied().chain([extra.as_str()]) {
                chrome.open(&app.url(path));
                let area = chrome.eval("return [document.querySelector('.topbar.admin') !== null, document.querySelector('.error-message') === null]");
                assert_eq!(area[0], email.starts_with("chief"), "{path}: the wrong area");
                assert_eq!(area[1], true, "{path}: an error page");
                let wide = chrome.eval(
                    "return [document.documentElement.scrollWidth, window.innerWidth, \
                     [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                       && !e.closest('.table-wrap')).slice(0, 3).map(e => e.tagName + '.' + e.className).join(' ')]",
                );
                assert!(
                    wide[0].as_f64() <= wide[1].as_f64(),
                    "{path} scrolls sideways at {width} px: {wide}"
                );
                let errors = chrome.console_errors();
                assert!(errors.is_empty(), "console errors on {path} at {width} px: {errors:?}");
            }
            chrome.eval("document.querySelector('form[action=\"/logout\"]').submit();");
            let started = Instant::now();
            while chrome.eval("return document.querySelector('form[action=\"/logout\"]') !== null") == true {
                assert!(started.elapsed() < Duration::from_secs(10), "sign-out did not finish");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
