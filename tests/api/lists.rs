//! Long lists (issue 13): cursor pagination of the orders and transactions lists, in
//! JSON and on the pages; totals counted up to a cap.

use serde_json::{json, Value};
use smm_panel::domain::Role;

use crate::helpers::*;

/// An app with the simulator's services, service 1 switched to manual mode (orders
/// stay put, nothing is forwarded), and a customer with a balance.
struct Lists {
    app: TestApp,
    shop: Shop,
    service: i64,
    token: String,
    user: i64,
}

fn lists() -> Lists {
    let app = spawn_app();
    let shop = app.shop(sim_args("lists-key"));
    let service = app.service_id(&shop, "1");
    app.set_service_mode(&shop.admin_token, service, "manual");
    let (user, token) = app.customer("lister@example.com", "100000");
    Lists {
        app,
        shop,
        service,
        token,
        user,
    }
}

/// Places `count` orders (links `https://x.com/<prefix>-<i>`) in one request; their ids.
fn place(app: &TestApp, token: &str, service: i64, prefix: &str, count: usize) -> Vec<i64> {
    let orders: Vec<Value> = (0..count)
        .map(|i| json!({"serviceId": service, "link": format!("https://x.com/{prefix}-{i}"), "qty": 100}))
        .collect();
    json(
        app.api()
            .post("/api/user/create-orders", &json!({"orders": orders}), Some(token)),
        201,
    )["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

/// Every page of `path` (a query string already started), following `nextBefore`.
fn walk_older(app: &TestApp, token: &str, path: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut page = json(app.api().get(path, Some(token)), 200);
    assert_eq!(page["page"], 1);
    loop {
        pages.push(ids(&page));
        let Some(before) = page["nextBefore"].as_i64() else {
            assert_eq!(page["hasMore"], false, "{page}");
            return pages;
        };
        assert_eq!(page["hasMore"], true, "{page}");
        page = json(app.api().get(&format!("{path}&before={before}"), Some(token)), 200);
        assert_eq!(page["page"], Value::Null, "cursor pages have no number");
    }
}

#[test]
fn cursor_pages_neither_overlap_nor_skip_when_orders_arrive_between_requests() {
    let Lists {
        app, service, token, ..
    } = lists();
    let mut placed = place(&app, &token, service, "early", 7);
    placed.reverse();
    let api = app.api();

    let first = json(api.get("/api/user/orders?perPage=3", Some(&token)), 200);
    assert_eq!(ids(&first), placed[..3]);
    assert_eq!((first["page"].as_i64(), first["total"].as_i64()), (Some(1), Some(7)));
    assert_eq!(first["totalExact"], true);
    assert_eq!(first["prevAfter"], Value::Null, "nothing is newer than the first page");
    // Orders arrive between two requests: the older pages stay as they were.
    let late = place(&app, &token, service, "late", 2);
    let second = json(
        api.get(
            &format!("/api/user/orders?perPage=3&before={}", first["nextBefore"]),
            Some(&token),
        ),
        200,
    );
    assert_eq!(ids(&second), placed[3..6]);
    let third = json(
        api.get(
            &format!("/api/user/orders?perPage=3&before={}", second["nextBefore"]),
            Some(&token),
        ),
        200,
    );
    assert_eq!(ids(&third), placed[6..]);
    assert_eq!(
        (third["hasMore"].clone(), third["nextBefore"].clone()),
        (json!(false), Value::Null)
    );
    // An offset page shifts by the new orders; a cursor page does not.
    let offset_second = json(api.get("/api/user/orders?perPage=3&page=2", Some(&token)), 200);
    assert_eq!(ids(&offset_second)[..2], placed[1..3]);

    // Newer pages, from the oldest back to the newest (which now holds the late orders).
    let follow_newer = |page: &Value| {
        json(
            api.get(
                &format!("/api/user/orders?perPage=3&after={}", page["prevAfter"]),
                Some(&token),
            ),
            200,
        )
    };
    let newer = follow_newer(&third);
    assert_eq!(ids(&newer), placed[3..6], "shown newest first");
    assert_eq!(newer["nextBefore"], json!(placed[5]));
    let newer = follow_newer(&newer);
    assert_eq!(ids(&newer), placed[..3]);
    let newest = follow_newer(&newer);
    assert_eq!(ids(&newest), vec![late[1], late[0]]);
    assert_eq!(newest["prevAfter"], Value::Null, "nothing newer than the late orders");

    let pages = walk_older(&app, &token, "/api/user/orders?perPage=4");
    let all: Vec<i64> = pages.concat();
    let mut expected: Vec<i64> = placed.iter().chain(&late).copied().collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(all, expected, "every order once, newest first");
}

#[test]
fn a_bad_cursor_gets_a_400_with_the_error_json() {
    let Lists { app, shop, token, .. } = lists();
    let api = app.api();
    for (path, token) in [
        ("/api/user/orders", &token),
        ("/api/admin/orders", &shop.admin_token),
        ("/api/user/transactions", &token),
    ] {
        for query in [
            "before=abc",
            "before=0",
            "after=-2",
            "before=1.5",
            "before=3&after=1",
            "page=2&before=5",
            "before=5&perPage=501",
        ] {
            let response = api.get(&format!("{path}?{query}"), Some(token));
            assert_eq!(error_code(response, 400), "validation_error", "{path}?{query}");
        }
    }
    // A date-range list reads its cursor's time: an order that does not exist is no cursor.
    let response = api.get(
        "/api/admin/orders?from=2020-01-01&before=999999",
        Some(&shop.admin_token),
    );
    let body = json(response, 400);
    assert_eq!(body["success"], false);
    assert!(body["error"]["message"].as_str().unwrap().contains("999999"), "{body}");
    // The pages answer the same with an error page.
    let browser = app.browser();
    browser.login("lister@example.com", "correct-horse");
    assert_eq!(browser.get("/orders?before=nope").status(), 400);
    assert_eq!(browser.get("/transactions?after=0").status(), 400);
}

#[test]
fn cursors_never_show_another_users_orders() {
    let Lists {
        app, service, token, ..
    } = lists();
    let (_, other) = app.customer("other@example.com", "100000");
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..3 {
        mine.extend(place(&app, &token, service, &format!("mine-{round}"), 2));
        theirs.extend(place(&app, &other, service, &format!("theirs-{round}"), 2));
    }
    mine.sort_unstable_by(|a, b| b.cmp(a));
    let api = app.api();

    assert_eq!(walk_older(&app, &token, "/api/user/orders?perPage=2").concat(), mine);
    // Another user's order ids as cursors: still only the caller's own orders.
    for cursor in &theirs {
        for side in ["before", "after"] {
            let page = json(api.get(&format!("/api/user/orders?{side}={cursor}"), Some(&token)), 200);
            for id in ids(&page) {
                assert!(mine.contains(&id), "{side}={cursor} showed order {id}");
            }
        }
    }
    let newest_theirs = *theirs.iter().max().unwrap();
    let page = json(
        api.get(&format!("/api/user/orders?before={}", newest_theirs + 1), Some(&token)),
        200,
    );
    assert_eq!(ids(&page), mine);
}

#[test]
fn filters_combine_with_the_cursor() {
    let Lists {
        app,
        shop,
        service,
        token,
        user,
    } = lists();
    let admin = shop.admin_token.as_str();
    let api = app.api();
    let customer_orders = place(&app, &token, service, "c", 5);
    let mut manual = Vec::new();
    for i in 0..5 {
        let body = json!({"userId": user, "serviceId": service, "link": format!("https://x.com/m-{i}"), "quantity": 100, "charge": false});
        manual.push(
            json(api.post("/api/admin/orders/manual", &body, Some(admin)), 201)["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // Three of each kind fail.
    let failed: Vec<i64> = [&customer_orders[..3], &manual[..3]].concat();
    for id in &failed {
        json(
            api.patch(
                &format!("/api/admin/orders/{id}"),
                &json!({"status": "failed"}),
                Some(admin),
            ),
            200,
        );
    }
    let newest_first = |mut v: Vec<i64>| {
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    };

    let walk = |path: &str| walk_older(&app, admin, path).concat();
    assert_eq!(
        walk("/api/admin/orders?status=failed&perPage=2"),
        newest_first(failed.clone())
    );
    assert_eq!(
        walk("/api/admin/orders?isManual=true&perPage=2"),
        newest_first(manual.clone())
    );
    assert_eq!(
        walk("/api/admin/orders?isManual=true&status=failed&perPage=2"),
        newest_first(manual[..3].to_vec())
    );
    assert_eq!(
        walk("/api/admin/orders?q=x.com%2Fm-&perPage=2"),
        newest_first(manual.clone()),
        "search by link"
    );
    // A date range orders by time; its cursor pages cover the same orders.
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={}", today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let everything = newest_first([customer_orders.clone(), manual.clone()].concat());
    let dated_pages = walk_older(&app, admin, &format!("/api/admin/orders?{range}&perPage=3"));
    let mut dated = dated_pages.concat();
    dated.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(dated, everything);
    // And back up by time: the page newer than the last is the one before it.
    let last = dated_pages.last().unwrap();
    let newer = json(
        api.get(
            &format!("/api/admin/orders?{range}&perPage=3&after={}", last[0]),
            Some(admin),
        ),
        200,
    );
    assert_eq!(ids(&newer), dated_pages[dated_pages.len() - 2]);
    let mut dated_failed = walk(&format!("/api/admin/orders?{range}&status=failed&perPage=4"));
    dated_failed.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(dated_failed, newest_first(failed.clone()));
    // The customer's own list with a status and a cursor.
    assert_eq!(
        walk_older(&app, &token, "/api/user/orders?status=failed&perPage=1").concat(),
        newest_first(failed)
    );
}

#[test]
fn totals_are_counted_up_to_a_thousand() {
    let Lists { app, token, user, .. } = lists();
    {
        let mut conn = app.state.conn().unwrap();
        smm_panel::db::write_transaction(&mut conn, |c| {
            for _ in 0..1000 {
                smm_panel::db::ledger::post(
                    c,
                    &smm_panel::db::ledger::Posting {
                        user_id: user,
                        kind: smm_panel::domain::LedgerKind::Deposit,
                        amount: smm_panel::domain::Money::parse("1").unwrap(),
                        order_id: None,
                        actor_id: None,
                        note: Some("many"),
                        allow_negative: false,
                    },
                )?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    }
    let list = json(app.api().get("/api/user/transactions", Some(&token)), 200);
    assert_eq!(
        (list["total"].as_i64(), list["totalExact"].as_bool()),
        (Some(1000), Some(false))
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 50);
    let browser = app.browser();
    browser.login("lister@example.com", "correct-horse");
    let html = browser.get("/transactions").text().unwrap();
    assert!(html.contains("1,000+"), "the page says there are more");
    // Another customer's short list is counted exactly.
    let (_, few) = app.customer("few@example.com", "5");
    let list = json(app.api().get("/api/user/transactions", Some(&few)), 200);
    assert_eq!(
        (list["total"].as_i64(), list["totalExact"].as_bool()),
        (Some(1), Some(true))
    );
}

/// The `href` of the link whose text is `label`, its escaped `&` decoded.
fn link(html: &str, label: &str) -> Option<String> {
    let end = html.find(&format!(">{label}</a>"))?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    let stop = html[start..].find('"')? + start;
    Some(html[start..stop].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The order ids a list page shows, top to bottom.
fn listed(html: &str, prefix: &str) -> Vec<i64> {
    html.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &html[at + prefix.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

#[test]
fn the_pages_link_newer_and_older_pages_with_their_filters() {
    let Lists {
        app,
        shop,
        service,
        token,
        ..
    } = lists();
    let mut placed = place(&app, &token, service, "page", 5);
    placed.reverse();
    let browser = app.browser();
    browser.login("lister@example.com", "correct-horse");

    let html = browser.get("/orders?perPage=2&q=x.com").text().unwrap();
    assert_eq!(listed(&html, "<a href=\"/orders/"), placed[..2]);
    assert!(link(&html, "← Newer").is_none(), "the first page has no newer page");
    let older = link(&html, "Older →").expect("an Older link");
    assert_eq!(older, format!("?q=x.com&perPage=2&before={}", placed[1]));
    let html = browser.get(&format!("/orders{older}")).text().unwrap();
    assert_eq!(listed(&html, "<a href=\"/orders/"), placed[2..4]);
    let newer = link(&html, "← Newer").expect("a Newer link");
    assert_eq!(newer, format!("?q=x.com&perPage=2&after={}", placed[2]));
    assert!(link(&html, "« Newest").is_some());
    let back = browser.get(&format!("/orders{newer}")).text().unwrap();
    assert_eq!(listed(&back, "<a href=\"/orders/"), placed[..2]);
    let last = browser
        .get(&format!("/orders{}", link(&html, "Older →").unwrap()))
        .text()
        .unwrap();
    assert_eq!(listed(&last, "<a href=\"/orders/"), placed[4..]);
    assert!(link(&last, "Older →").is_none(), "the oldest page has no older page");

    // The admin list keeps every filter in its links.
    app.create_user("lists-admin@example.com", "correct-horse", Role::Admin);
    let admin = app.browser();
    admin.login("lists-admin@example.com", "correct-horse");
    let html = admin
        .get(&format!(
            "/admin/orders?status=pending&providerId={}&isManual=false&perPage=2",
            shop.provider_id
        ))
        .text()
        .unwrap();
    assert_eq!(listed(&html, "<a href=\"/admin/orders/"), placed[..2]);
    let older = link(&html, "Older →").expect("an Older link");
    assert_eq!(
        older,
        format!(
            "?status=pending&providerId={}&isManual=false&perPage=2&before={}",
            shop.provider_id, placed[1]
        )
    );
    let html = admin.get(&format!("/admin/orders{older}")).text().unwrap();
    assert_eq!(listed(&html, "<a href=\"/admin/orders/"), placed[2..4]);

    // Transactions: a deposit and five charges.
    let html = browser.get("/transactions?perPage=4").text().unwrap();
    let older = link(&html, "Older →").expect("an Older link");
    assert!(older.starts_with("?perPage=4&before="), "{older}");
    let html = browser.get(&format!("/transactions{older}")).text().unwrap();
    assert!(html.contains("test deposit"), "the oldest row is the deposit");
    assert!(link(&html, "Older →").is_none());
    assert!(link(&html, "← Newer").is_some());
}
