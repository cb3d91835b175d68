//! Order intake through `POST /api/user/create-orders` (phases `intake` and `spread`),
//! with the service in manual mode so nothing is forwarded.

use crate::app::{blocking_client, customer, App, Shop};
use crate::knobs::Knobs;
use crate::loadgen::{drive, LoadResult};

fn intake_url(app: &App) -> String {
    format!("{}/api/user/create-orders", app.base)
}

/// Phase `intake`: every client orders as the same customer.
pub fn one_customer(app: &App, shop: &Shop, knobs: &Knobs) -> LoadResult {
    let tokens = [shop.customer_token.clone()];
    drive(
        "intake, 1 customer (create-orders)",
        &intake_url(app),
        &tokens,
        shop.service_id,
        "b",
        knobs,
    )
}

/// Phase `spread`: client `i` orders as customer `i`, so no two transactions update the
/// same balance row.
pub fn spread(app: &App, shop: &Shop, knobs: &Knobs) -> LoadResult {
    let client = blocking_client();
    let tokens: Vec<String> = (0..knobs.concurrency)
        .map(|i| customer(app, &client, &format!("bench-customer-{i}@example.com")).1)
        .collect();
    let label = format!("intake, {} customers (create-orders)", tokens.len());
    drive(&label, &intake_url(app), &tokens, shop.service_id, "s", knobs)
}
