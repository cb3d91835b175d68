//! Phase `v2` (issue 11): the same customer's orders through `/api/v2` `action=add` with
//! the customer's API key, beside `create-orders`.

use crate::app::{blocking_client, call, App, Shop};
use crate::knobs::Knobs;
use crate::loadgen::{drive, LoadResult};

pub fn run(app: &App, shop: &Shop, knobs: &Knobs) -> LoadResult {
    let client = blocking_client();
    let me = call(
        &client,
        reqwest::Method::GET,
        &format!("{}/api/user/me", app.base),
        Some(&shop.customer_token),
        None,
        200,
    );
    let key = me["apiKey"].as_str().expect("the customer's API key").to_string();
    drive(
        "intake, 1 customer (API v2 add)",
        &format!("{}/api/v2", app.base),
        &[key],
        shop.service_id,
        "v",
        knobs,
    )
}
