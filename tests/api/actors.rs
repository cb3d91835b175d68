//! A property test of the order state machine: random interleavings of every actor —
//! forwarding workers (claim, call, report, a lease that expires mid-call), a sync
//! round split into read, call and apply, admin edits and review resolutions — over a
//! few orders, against the real database and a real provider-sim. After every step:
//! each order's ledger rows sum to minus its net charge, the balance equals the
//! ledger, no order was bought twice, and no admin decision that answered 2xx was
//! silently reverted.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use smm_panel::db::models::OrderRow;
use smm_panel::db::schema::orders;
use smm_panel::domain::{settlement, Money, OrderStatus, Role};
use smm_panel::provider::client::{NewProviderOrder, ProviderClient};
use smm_panel::service::admin_orders::{self, OrderEdit, Resolution};
use smm_panel::service::audit::Actor;
use smm_panel::service::orders::{self as order_service, OrderDraft};
use smm_panel::service::providers::OnAmbiguous;
use smm_panel::service::sync::{self, Replies};
use smm_panel::worker::forwarder::{self, Attempt};

use crate::helpers::*;

const ORDERS: usize = 3;
const WORKERS: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    Claim(usize),
    /// 0: the provider takes it; 1: it refuses; 2: not sent; 3: it takes it but the
    /// answer is lost (no usable answer after sending).
    Call(usize, u8),
    Report(usize),
    /// The worker's lease runs out while its call is out; the recovery pass runs.
    ExpireLease(usize),
    SyncRead,
    SyncCall,
    SyncApply,
    Edit {
        order: usize,
        status: usize,
        remains: i64,
    },
    Resolve {
        order: usize,
        action: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..WORKERS).prop_map(Op::Claim),
        3 => (0..WORKERS, 0u8..4).prop_map(|(w, fate)| Op::Call(w, fate)),
        3 => (0..WORKERS).prop_map(Op::Report),
        1 => (0..WORKERS).prop_map(Op::ExpireLease),
        2 => Just(Op::SyncRead),
        2 => Just(Op::SyncCall),
        2 => Just(Op::SyncApply),
        2 => (0..ORDERS, 0usize..6, 0i64..1_100).prop_map(|(order, status, remains)| Op::Edit { order, status, remains }),
        2 => (0..ORDERS, 0usize..4).prop_map(|(order, action)| Op::Resolve { order, action }),
    ]
}

#[derive(Default)]
struct Worker {
    claimed: Option<OrderRow>,
    outcome: Option<Attempt>,
}

#[derive(Default)]
struct Round {
    batch: Vec<OrderRow>,
    replies: Option<Replies>,
}

fn order_row(app: &TestApp, id: i64) -> OrderRow {
    smm_panel::db::orders::find(&mut app.state.conn().unwrap(), id)
        .unwrap()
        .unwrap()
}

#[test]
fn every_interleaving_of_the_actors_keeps_the_money_and_the_decisions() {
    let app = spawn_app_with(&[("WORKERS", "1"), ("FORWARD_RETRY_DELAYS_SECS", "0,0")]);
    // Orders complete at once at the provider; `partial` and `cancel` links end so.
    let shop = app.shop(smm_panel::provider::sim::SimArgs {
        step_secs: 0,
        ..sim_args("actors-key-1")
    });
    let service = app.service_id(&shop, "1");
    // Every actor below is driven by the test; the app's own threads stay out.
    app.stop_workers();
    let client = ProviderClient::new(
        "Sim".into(),
        url::Url::parse(&shop.sim.api_url()).unwrap(),
        "actors-key-1".into(),
        Duration::from_secs(10),
    );
    let actor = Actor {
        user_id: None,
        ip: Some("proptest".into()),
    };
    let cases = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            let case = cases.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let user_id = app.create_user(&format!("actors{case}@example.com"), "prop-pass-1", Role::User);
            app.deposit(user_id, "1000");
            let user = smm_panel::service::accounts::find(&mut app.state.conn().unwrap(), user_id)
                .unwrap()
                .unwrap();
            let links: Vec<String> = ["done", "partial", "cancel"]
                .iter()
                .map(|kind| format!("https://x.com/{kind}-{case}"))
                .collect();
            let drafts: Vec<OrderDraft> = links
                .iter()
                .map(|link| OrderDraft {
                    service_id: Some(service.to_string()),
                    link: Some(link.clone()),
                    qty: Some("1000".into()),
                    ..Default::default()
                })
                .collect();
            // Earlier cases' unfinished orders leave the queue, so claims reach this case's.
            diesel::update(orders::table.filter(orders::forward_state.eq_any(["queued", "in_flight"])))
                .set(orders::forward_state.eq("manual"))
                .execute(&mut **app.state.conn().unwrap())
                .unwrap();
            let placed = order_service::place(&app.state, &user, &drafts, order_service::Numbering::Orders).unwrap();
            let ids: Vec<i64> = placed.orders.iter().map(|o| o.id).collect();
            let mut workers: Vec<Worker> = (0..WORKERS).map(|_| Worker::default()).collect();
            let mut round = Round::default();
            // What an admin last decided, while it should stand: (order, status).
            let mut decided: HashMap<i64, OrderStatus> = HashMap::new();

            for op in ops {
                match op.clone() {
                    Op::Claim(w) if workers[w].claimed.is_none() => {
                        let mut conn = app.state.conn().unwrap();
                        let now = smm_panel::db::now();
                        let claimed = smm_panel::db::write_transaction(&mut conn, |c| {
                            smm_panel::db::orders::claim_next(
                                c,
                                &format!("prop-worker-{w}"),
                                now,
                                now + chrono::TimeDelta::seconds(60),
                            )
                        })
                        .unwrap();
                        workers[w].claimed = claimed.filter(|o| ids.contains(&o.id));
                    }
                    Op::Call(w, fate) if workers[w].claimed.is_some() && workers[w].outcome.is_none() => {
                        let order = workers[w].claimed.clone().unwrap();
                        let call = || {
                            client
                                .add(&NewProviderOrder {
                                    service: "1".into(),
                                    link: order.link.clone(),
                                    quantity: order.quantity,
                                    runs: None,
                                    interval: None,
                                    comments: None,
                                })
                                .unwrap()
                        };
                        workers[w].outcome = Some(match fate {
                            0 => Attempt::Accepted(call()),
                            1 => Attempt::Refused("Incorrect request".into()),
                            2 => Attempt::NotSent("connection refused".into()),
                            _ => {
                                call();
                                Attempt::NoAnswer("HTTP 502".into())
                            }
                        });
                    }
                    Op::Report(w) if workers[w].outcome.is_some() => {
                        let order = workers[w].claimed.take().unwrap();
                        let outcome = workers[w].outcome.take().unwrap();
                        forwarder::report(
                            &app.state,
                            &order,
                            &format!("prop-worker-{w}"),
                            outcome,
                            OnAmbiguous::Review,
                        )
                        .unwrap();
                    }
                    Op::ExpireLease(w) if workers[w].outcome.is_some() => {
                        let id = workers[w].claimed.as_ref().unwrap().id;
                        let mut conn = app.state.conn().unwrap();
                        diesel::update(
                            orders::table
                                .find(id)
                                .filter(orders::lease_owner.eq(format!("prop-worker-{w}"))),
                        )
                        .set(orders::lease_until.eq(smm_panel::db::now() - chrono::TimeDelta::seconds(1)))
                        .execute(&mut **conn)
                        .unwrap();
                        drop(conn);
                        forwarder::recover_expired_leases(&app.state).unwrap();
                    }
                    Op::SyncRead => {
                        let mut conn = app.state.conn().unwrap();
                        let since = smm_panel::db::now() + chrono::TimeDelta::seconds(1);
                        round.batch = smm_panel::db::sync::orders_to_check(&mut conn, shop.provider_id, since, 100)
                            .unwrap()
                            .into_iter()
                            .filter(|o| ids.contains(&o.id))
                            .collect();
                        round.replies = None;
                    }
                    Op::SyncCall if !round.batch.is_empty() => {
                        let ids: Vec<String> = round.batch.iter().filter_map(|o| o.provider_order_id.clone()).collect();
                        round.replies = Some(client.statuses(&ids).unwrap());
                    }
                    Op::SyncApply if round.replies.is_some() => {
                        let replies = round.replies.take().unwrap();
                        sync::apply_replies(&app.state, &round.batch, &replies).unwrap();
                        round.batch.clear();
                    }
                    Op::Edit { order, status, remains } => {
                        let id = ids[order];
                        let status = OrderStatus::ALL[status];
                        let edit = OrderEdit {
                            status: Some(status.as_str().into()),
                            remains: Some(remains.to_string()),
                            ..Default::default()
                        };
                        match admin_orders::edit(&app.state, &actor, id, &edit) {
                            Ok(view) => {
                                prop_assert_eq!(view.status, status);
                                if status.is_terminal() {
                                    decided.insert(id, status);
                                } else {
                                    decided.remove(&id);
                                }
                            }
                            Err(e) => prop_assert!(
                                matches!(e.code(), "not_editable" | "validation_error"),
                                "edit of {}: {}",
                                id,
                                e
                            ),
                        }
                    }
                    Op::Resolve { order, action } => {
                        let id = ids[order];
                        let link = &links[order];
                        let sold: Vec<(i64, String)> =
                            sim_orders(&shop.sim).into_iter().filter(|(_, l)| l == link).collect();
                        // An admin checks the provider's panel before deciding: what the
                        // provider already has is attached, never resent.
                        let action = match (["resend", "attach", "fail", "resume"][action], sold.first()) {
                            ("resend", Some(_)) => "attach",
                            (other, _) => other,
                        };
                        let resolution = Resolution {
                            action: Some(action.into()),
                            provider_order_id: sold.first().map(|(pid, _)| pid.to_string()),
                        };
                        match admin_orders::resolve(&app.state, &actor, id, &resolution) {
                            Ok(view) => {
                                if action == "fail" {
                                    decided.insert(id, OrderStatus::Failed);
                                } else {
                                    decided.remove(&id);
                                }
                                prop_assert!(view.admin.unwrap().review_reason.is_none());
                            }
                            Err(e) => prop_assert!(
                                matches!(e.code(), "not_in_review" | "validation_error"),
                                "{} of {}: {}",
                                action,
                                id,
                                e
                            ),
                        }
                    }
                    _ => {}
                }

                // After every step.
                let (balance, ledger) = app.balance_and_ledger_sum(user_id);
                let sold = sim_orders(&shop.sim);
                prop_assert_eq!(balance, ledger, "balance equals the ledger after {:?}", op);
                for (i, id) in ids.iter().enumerate() {
                    let row = order_row(&app, *id);
                    let status = OrderStatus::parse(&row.status).unwrap();
                    let net = settlement::net_charge(Money::from_micros(row.charge), row.quantity, status, row.remains);
                    let sum = smm_panel::db::ledger::sum_for_order(&mut app.state.conn().unwrap(), *id).unwrap();
                    prop_assert_eq!(
                        sum,
                        -net.micros(),
                        "order {} ({}) settles after {:?}",
                        id,
                        row.status,
                        op
                    );
                    if let Some(decision) = decided.get(id) {
                        prop_assert_eq!(
                            status,
                            *decision,
                            "order {}: the admin's decision stands after {:?}",
                            id,
                            op
                        );
                    }
                    let bought = sold.iter().filter(|(_, l)| *l == links[i]).count();
                    prop_assert!(bought <= 1, "order {} bought {} times", id, bought);
                }
            }
            Ok(())
        })
        .unwrap();
    app.assert_ledger_reconciles();
}
