//! Intake under concurrency (group commit) and the in-memory catalogue: requests
//! written together still succeed or fail alone, and prices follow every change — at
//! once in the process that made it, within a second in another.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

/// Sends every `(token, body)` at once (one thread each, released together) and
/// returns the statuses and bodies in the same order.
fn all_at_once(app: &TestApp, requests: Vec<(String, Value)>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let url = app.url("/api/user/create-orders");
    requests
        .into_iter()
        .map(|(token, body)| {
            let (barrier, url) = (barrier.clone(), url.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                barrier.wait();
                let response = client.post(url).bearer_auth(token).json(&body).send().unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().unwrap_or(Value::Null))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn requests_committed_together_still_succeed_or_fail_each_on_its_own() {
    let app = spawn_app();
    let shop = app.shop(sim_args("intake-key-1"));
    let service = app.service_id(&shop, "1"); // 0.90 USD/1000 at 100 BDT/USD: 90 BDT per 1000
    app.stop_workers();
    // Eight customers; each can pay for exactly three orders of 1000.
    let customers: Vec<(i64, String)> = (0..8)
        .map(|c| app.customer(&format!("batch{c}@example.com"), "270"))
        .collect();
    let mut requests = Vec::new();
    for (c, (_, token)) in customers.iter().enumerate() {
        // Three single orders and one request of two, all at once: the balance covers
        // either the three singles, or the pair and one single.
        for i in 0..3 {
            let body = json!({"serviceId": service, "link": format!("https://x.com/b{c}-single{i}"), "qty": 1000});
            requests.push((token.clone(), body));
        }
        let pair = json!({"orders": [
            {"serviceId": service, "link": format!("https://x.com/b{c}-pair-0"), "qty": 1000},
            {"serviceId": service, "link": format!("https://x.com/b{c}-pair-1"), "qty": 1000},
        ]});
        requests.push((token.clone(), pair));
    }
    // A rich customer's orders in the same batches are never held back by the others.
    let (rich, rich_token) = app.customer("rich@example.com", "100000");
    for i in 0..8 {
        let body = json!({"serviceId": service, "link": format!("https://x.com/rich-{i}"), "qty": 1000});
        requests.push((rich_token.clone(), body));
    }
    let answers = all_at_once(&app, requests);

    for (c, (user, token)) in customers.iter().enumerate() {
        let mine = &answers[c * 4..c * 4 + 4];
        let placed: usize = mine
            .iter()
            .filter(|(status, _)| *status == 201)
            .map(|(_, body)| body["ordersCreated"].as_u64().unwrap() as usize)
            .sum();
        assert_eq!(placed, 3, "customer {c} could pay for three orders exactly: {mine:?}");
        for (status, body) in mine {
            match status {
                201 => {}
                422 => assert_eq!(body["error"]["code"], "insufficient_balance", "{body}"),
                other => panic!("customer {c}: unexpected {other} {body}"),
            }
        }
        assert_eq!(app.balance_and_ledger_sum(*user), (0, 0));
        // The pair is whole or absent: never one of its two orders.
        let listed = json(app.api().get("/api/user/orders?perPage=100", Some(token)), 200);
        let pair_orders = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["link"].as_str().unwrap().contains("-pair-"))
            .count();
        assert!(
            pair_orders == 0 || pair_orders == 2,
            "customer {c}: {pair_orders} of the pair"
        );
        assert_eq!(listed["total"], 3);
    }
    let rich_answers = &answers[32..];
    assert!(rich_answers.iter().all(|(s, _)| *s == 201), "{rich_answers:?}");
    // Every answer names its own orders: ids are distinct and links are the request's.
    let mut ids: Vec<i64> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .flat_map(|(_, b)| b["orders"].as_array().unwrap().clone())
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
    for (i, (_, body)) in rich_answers.iter().enumerate() {
        assert_eq!(body["orders"][0]["link"], format!("https://x.com/rich-{i}"));
    }
    assert_eq!(
        app.balance_and_ledger_sum(rich),
        (100_000_000_000 - 8 * 90_000_000, 100_000_000_000 - 8 * 90_000_000)
    );
    app.assert_ledger_reconciles();
}

/// The total the panel at `port` charges for one order of 1000.
fn price_at(port: u16, token: &str, service: i64) -> String {
    let response = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/user/create-orders"))
        .bearer_auth(token)
        .json(&json!({"serviceId": service, "link": "https://x.com/price", "qty": 1000}))
        .send()
        .unwrap();
    json(response, 201)["totalCost"].as_str().unwrap().to_string()
}

#[test]
fn a_price_change_reaches_this_process_at_once_and_another_within_a_second() {
    let Handover {
        app,
        shop,
        service,
        token,
    } = handover(sim_args("intake-key-2"), "prices@example.com", "100000");
    let here = app.port;
    let other = free_port();
    let mut child = serve(&app.env, other, &[("WORKERS", "1")]);
    assert_eq!(price_at(here, &token, service), "90.00");
    assert_eq!(price_at(other, &token, service), "90.00");

    // The rate, changed here: this process prices with it from the next request on.
    let api = app.api();
    json(
        api.post(
            "/api/admin/settings",
            &json!({"usdToBdt": "120"}),
            Some(&shop.admin_token),
        ),
        200,
    );
    assert_eq!(price_at(here, &token, service), "108.00");
    // The other process asks the database again within `RECHECK` (0.5 s).
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(price_at(other, &token, service), "108.00");

    // The same for the service's own rate, and for switching it off.
    let path = format!("/api/admin/services/{service}");
    json(
        api.patch(&path, &json!({"rateUsdPer1000": "1.50"}), Some(&shop.admin_token)),
        200,
    );
    assert_eq!(price_at(here, &token, service), "180.00");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(price_at(other, &token, service), "180.00");
    json(
        api.patch(&path, &json!({"enabled": false}), Some(&shop.admin_token)),
        200,
    );
    std::thread::sleep(Duration::from_millis(1000));
    let refused = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{other}/api/user/create-orders"))
        .bearer_auth(&token)
        .json(&json!({"serviceId": service, "link": "https://x.com/off", "qty": 1000}))
        .send()
        .unwrap();
    assert_eq!(error_code(refused, 404), "not_found");
    let _ = child.kill();
    let _ = child.wait();
    app.assert_ledger_reconciles();
}
