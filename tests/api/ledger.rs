//! A property test of the ledger and settlement rules over random sequences of
//! deposits, admin adjustments, orders and status changes, on the real database.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use smm_panel::domain::{settlement, Money, OrderStatus, Role};
use smm_panel::service::admin_orders::{self, OrderEdit};
use smm_panel::service::audit::Actor;
use smm_panel::service::balance::{self, AdjustmentDraft};
use smm_panel::service::orders::{self, OrderDraft};

use crate::helpers::*;

#[derive(Debug, Clone)]
enum Op {
    Deposit(i64),
    Adjust(i64),
    Place(i64),
    SetStatus { order: usize, status: usize, remains: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..50_000).prop_map(Op::Deposit),
        (-30_000i64..30_000).prop_map(Op::Adjust),
        (50i64..3_000).prop_map(Op::Place),
        (0usize..8, 0usize..6, -10i64..3_100).prop_map(|(order, status, remains)| Op::SetStatus {
            order,
            status,
            remains
        }),
    ]
}

#[test]
fn balances_always_equal_the_ledger_and_orders_settle_exactly() {
    let app = spawn_app();
    let token = app.admin_token();
    let api = app.api();
    let category = json(
        api.post("/api/admin/categories", &json!({"name": "Prop"}), Some(&token)),
        201,
    )["id"]
        .clone();
    // A manual service: nothing is forwarded, statuses change only by settlement here.
    let body = json!({"categoryId": category, "name": "Prop likes", "rateUsdPer1000": "0.37", "min": 50, "max": 3000, "mode": "manual"});
    let service = json(api.post("/api/admin/services", &body, Some(&token)), 201)["id"]
        .as_i64()
        .unwrap();
    let actor = Actor {
        user_id: None,
        ip: Some("proptest".into()),
    };
    let cases = std::sync::atomic::AtomicUsize::new(0);

    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..25), |ops| {
            let case = cases.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let email = format!("prop{case}@example.com");
            let user_id = app.create_user(&email, "prop-pass-1", Role::User);
            let user = {
                let mut conn = app.state.conn().unwrap();
                smm_panel::service::accounts::find(&mut conn, user_id).unwrap().unwrap()
            };
            let mut placed: Vec<i64> = Vec::new();
            for op in ops {
                let before = app.balance_and_ledger_sum(user_id).0;
                let refused = match op {
                    Op::Deposit(cents) => {
                        app.deposit(user_id, &Money::from_micros(cents * 10_000).to_string());
                        false
                    }
                    Op::Adjust(cents) => {
                        let draft = AdjustmentDraft {
                            amount: Some(Money::from_micros(cents * 10_000).to_string()),
                            note: Some("prop".into()),
                        };
                        let mut conn = app.state.conn().unwrap();
                        balance::adjust(&mut conn, &actor, user_id, &draft).is_err()
                    }
                    Op::Place(qty) => {
                        let draft = OrderDraft {
                            service_id: Some(service.to_string()),
                            link: Some(format!("https://x.com/{case}/{qty}")),
                            qty: Some(qty.to_string()),
                            ..Default::default()
                        };
                        match orders::place(&app.state, &user, &[draft], orders::Numbering::Orders) {
                            Ok(p) => {
                                placed.push(p.orders[0].id);
                                false
                            }
                            Err(e) => {
                                prop_assert_eq!(e.code(), "insufficient_balance");
                                true
                            }
                        }
                    }
                    Op::SetStatus { order, status, remains } => {
                        if let Some(id) = placed.get(order % placed.len().max(1)).copied() {
                            let edit = OrderEdit {
                                status: Some(OrderStatus::ALL[status].as_str().into()),
                                remains: Some(remains.to_string()),
                                ..Default::default()
                            };
                            if let Err(e) = admin_orders::edit(&app.state, &actor, id, &edit) {
                                // Remains out of range, or a worker is sending the order:
                                // either way the edit is refused whole.
                                prop_assert!(matches!(e.code(), "validation_error" | "order_changed"), "{}", e);
                            }
                        }
                        false
                    }
                };
                let (balance, ledger) = app.balance_and_ledger_sum(user_id);
                prop_assert_eq!(balance, ledger, "balance equals the sum of the ledger");
                if refused {
                    prop_assert_eq!(balance, before, "a refused operation changes nothing");
                }
                for id in &placed {
                    let mut conn = app.state.conn().unwrap();
                    let row = smm_panel::db::orders::find(&mut conn, *id).unwrap().unwrap();
                    let status = OrderStatus::parse(&row.status).unwrap();
                    let net = settlement::net_charge(Money::from_micros(row.charge), row.quantity, status, row.remains);
                    let sum = smm_panel::db::ledger::sum_for_order(&mut conn, *id).unwrap();
                    prop_assert_eq!(sum, -net.micros(), "order {} settles to minus its net charge", id);
                }
            }
            Ok(())
        })
        .unwrap();
    app.assert_ledger_reconciles();
}
