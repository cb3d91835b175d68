//! Balances: admin adjustments (one ledger row, refused below zero, audited), and a
//! user's ledger page by page.

use serde::Deserialize;
use serde_json::json;

use crate::db::{self, DbConnection};
use crate::domain::{LedgerKind, Money};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::service::pagination::{CursorPage, ListRequest};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AdjustmentDraft {
    #[serde(default, deserialize_with = "lenient_string")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub note: Option<String>,
}

/// Credits (positive) or debits (negative) a user's balance; returns the new balance.
pub fn adjust(conn: &mut DbConnection, actor: &Actor, user_id: i64, draft: &AdjustmentDraft) -> AppResult<Money> {
    let raw = draft.amount.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(AppError::validation("amount", "Enter an amount (negative to deduct)."));
    }
    let amount = Money::parse_signed(raw).map_err(|e| AppError::validation("amount", format!("The amount {e}.")))?;
    if amount.is_zero() {
        return Err(AppError::validation("amount", "The amount cannot be zero."));
    }
    if amount.micros().abs() > Money::MAX.micros() {
        return Err(AppError::Business {
            code: "balance_limit",
            message: format!("The amount can be at most {} either way.", Money::MAX),
        });
    }
    if !amount.is_whole_cents() {
        return Err(AppError::validation(
            "amount",
            "The amount can have at most 2 decimals.",
        ));
    }
    let note = input::required_text("note", "A note", draft.note.as_deref(), 500)?;
    db::write_transaction(conn, |c| {
        let user =
            db::users::find(c, user_id)?.ok_or_else(|| AppError::NotFound(format!("There is no user {user_id}.")))?;
        let posted = db::ledger::post(
            c,
            &db::ledger::Posting {
                user_id,
                kind: if amount.is_negative() {
                    LedgerKind::Adjustment
                } else {
                    LedgerKind::Deposit
                },
                amount,
                order_id: None,
                actor_id: actor.user_id,
                note: Some(&note),
                allow_negative: false,
            },
        )?;
        let balance_after = match posted {
            db::ledger::PostingOutcome::Posted { balance_after, .. } => balance_after,
            db::ledger::PostingOutcome::Refused => {
                return Err(AppError::business(
                    "insufficient_balance",
                    format!(
                        "The balance is {}; deducting {} would take it below zero.",
                        Money::from_micros(user.balance),
                        amount.checked_neg().unwrap_or(amount)
                    ),
                ))
            }
            db::ledger::PostingOutcome::OverLimit => return Err(crate::service::orders::over_limit()),
        };
        audit::record(
            c,
            actor,
            "user.balance",
            Some(&format!("user:{user_id}")),
            Some(&json!({ "balance": Money::from_micros(user.balance) })),
            Some(&json!({ "balance": balance_after, "amount": amount, "note": note })),
        )?;
        Ok(balance_after)
    })
}

/// A page of the user's own ledger rows, newest first (`/api/user/transactions` and the
/// transactions page).
pub fn transactions(
    conn: &mut DbConnection,
    user_id: i64,
    request: ListRequest,
) -> AppResult<CursorPage<db::models::LedgerRow>> {
    let page = db::ledger::page_for_user(conn, user_id, request.position, request.per_page)?;
    Ok(CursorPage::new(page.rows, request, &page.window, page.count))
}
