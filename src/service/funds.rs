//! Adding funds. The panel owner lists the ways they take payment (bKash, Nagad, Rocket,
//! a bank account); a customer pays outside the panel and asks for the amount to be
//! credited, naming the transaction id they received; an admin checks the payment and
//! approves (the ledger credits the balance in the same transaction) or rejects with a
//! reason (nothing else changes).
//!
//! One payment is credited once: approving is a guarded update from `pending`, and the
//! database refuses a second approved request for the same method and transaction id
//! (a unique index), so two admins approving at once, or two customers claiming one
//! payment, cannot credit it twice.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::funds::{self as q, FundRequestRow, MethodFields, MethodRow};
use crate::db::{self, DbConnection};
use crate::domain::{LedgerKind, Money};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};

/// The kinds of payment method, in the order the form offers them.
pub const KINDS: [&str; 5] = ["bkash", "nagad", "rocket", "bank", "other"];

/// Requests a list shows at most (the newest).
pub const LIST_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FundState {
    Pending,
    Approved,
    Rejected,
}

impl FundState {
    pub fn as_str(self) -> &'static str {
        match self {
            FundState::Pending => "pending",
            FundState::Approved => "approved",
            FundState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(FundState::Pending),
            "approved" => Some(FundState::Approved),
            "rejected" => Some(FundState::Rejected),
            _ => None,
        }
    }
}

/// A payment method as pages and JSON show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    #[serde(flatten)]
    pub row: MethodRow,
    pub min_amount: Money,
    pub max_amount: Money,
}

impl From<MethodRow> for Method {
    fn from(row: MethodRow) -> Self {
        Self {
            min_amount: Money::from_micros(row.min_amount),
            max_amount: Money::from_micros(row.max_amount),
            row,
        }
    }
}

/// An add-funds request as pages and JSON show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundRequest {
    pub id: i64,
    pub user_id: i64,
    /// The customer's email (admin lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub method_id: i64,
    pub method_name: String,
    pub amount: Money,
    pub txn_id: String,
    pub state: FundState,
    pub reason: Option<String>,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    /// Other requests naming the same payment (admin lists only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_payment: Vec<i64>,
}

impl FundRequest {
    fn new(row: FundRequestRow, methods: &[MethodRow], email: Option<String>) -> AppResult<Self> {
        let method_name = methods
            .iter()
            .find(|m| m.id == row.method_id)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        Ok(Self {
            id: row.id,
            user_id: row.user_id,
            email,
            method_id: row.method_id,
            method_name,
            amount: Money::from_micros(row.amount),
            txn_id: row.txn_id,
            state: FundState::parse(&row.state)
                .ok_or_else(|| AppError::internal(format!("fund request {} has state '{}'", row.id, row.state)))?,
            reason: row.reason,
            decided_at: row.decided_at,
            created_at: row.created_at,
            same_payment: vec![],
        })
    }

    pub fn is_pending(&self) -> bool {
        self.state == FundState::Pending
    }
}

/// A payment method as typed into the form or sent as JSON.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodDraft {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub account: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub instructions: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub min_amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub max_amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub enabled: Option<String>,
}

impl MethodDraft {
    /// The form as it shows a stored method (to edit it).
    pub fn of(method: &Method) -> Self {
        Self {
            name: Some(method.row.name.clone()),
            kind: Some(method.row.kind.clone()),
            account: Some(method.row.account.clone()),
            instructions: Some(method.row.instructions.clone()),
            min_amount: Some(method.min_amount.to_string()),
            max_amount: Some(method.max_amount.to_string()),
            enabled: Some(method.row.enabled.to_string()),
        }
    }
}

/// An amount of money a customer pays: more than zero, at most 2 decimals.
fn amount(field: &'static str, label: &str, raw: Option<&str>) -> AppResult<Money> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty());
    let raw = raw.ok_or_else(|| AppError::validation(field, format!("{label} is required.")))?;
    let amount = Money::parse(raw).map_err(|e| AppError::validation(field, format!("{label} {e}.")))?;
    if amount.is_zero() {
        return Err(AppError::validation(field, format!("{label} must be more than zero.")));
    }
    if !amount.is_whole_cents() {
        return Err(AppError::validation(
            field,
            format!("{label} can have at most 2 decimals."),
        ));
    }
    if amount > Money::MAX {
        return Err(crate::service::orders::over_limit());
    }
    Ok(amount)
}

/// Adds a method (`id` None) or changes one; audited.
pub fn save_method(conn: &mut DbConnection, actor: &Actor, id: Option<i64>, draft: &MethodDraft) -> AppResult<Method> {
    let name = input::required_text("name", "The name", draft.name.as_deref(), 60)?;
    let kind = draft
        .kind
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !KINDS.contains(&kind.as_str()) {
        return Err(AppError::validation(
            "kind",
            "Choose bKash, Nagad, Rocket, bank or other.",
        ));
    }
    let account = input::required_text("account", "The account number", draft.account.as_deref(), 120)?;
    let instructions = input::optional_text("instructions", "The instructions", draft.instructions.as_deref(), 1000)?
        .unwrap_or_default();
    let min = amount("minAmount", "The minimum", draft.min_amount.as_deref())?;
    let max = amount("maxAmount", "The maximum", draft.max_amount.as_deref())?;
    if max < min {
        return Err(AppError::validation(
            "maxAmount",
            "The maximum cannot be below the minimum.",
        ));
    }
    let enabled = input::flag("enabled", "Enabled", draft.enabled.as_deref(), true)?;
    let fields = MethodFields {
        name: &name,
        kind: &kind,
        account: &account,
        instructions: &instructions,
        min_amount: min.micros(),
        max_amount: max.micros(),
        enabled,
    };
    db::write_transaction(conn, |c| {
        let (id, before) = match id {
            None => (q::insert_method(c, &fields, db::now())?, None),
            Some(id) => {
                let before = q::find_method(c, id)?
                    .ok_or_else(|| AppError::NotFound(format!("There is no payment method {id}.")))?;
                q::update_method(c, id, &fields)?;
                (id, Some(method_json(&before.into())))
            }
        };
        let method: Method = q::find_method(c, id)?
            .ok_or_else(|| AppError::internal("payment method vanished"))?
            .into();
        let action = if before.is_some() {
            "funds.method.update"
        } else {
            "funds.method.create"
        };
        audit::record(
            c,
            actor,
            action,
            Some(&format!("payment_method:{id}")),
            before.as_ref(),
            Some(&method_json(&method)),
        )?;
        Ok(method)
    })
}

fn method_json(method: &Method) -> serde_json::Value {
    serde_json::to_value(method).unwrap_or_default()
}

pub fn methods(conn: &mut DbConnection, only_enabled: bool) -> AppResult<Vec<Method>> {
    Ok(q::methods(conn, only_enabled)?.into_iter().map(Method::from).collect())
}

/// What a customer types to ask for funds.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDraft {
    #[serde(default, deserialize_with = "lenient_string")]
    pub method_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub txn_id: Option<String>,
}

/// A transaction id as providers print it: 4–40 letters, digits or `-`, upper-cased so
/// `8n7a6b` and `8N7A6B` are one payment.
fn txn_id(raw: Option<&str>) -> AppResult<String> {
    let text = raw.map(str::trim).filter(|s| !s.is_empty());
    let text = text.ok_or_else(|| AppError::validation("txnId", "Enter the transaction id you received."))?;
    if !(4..=40).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(AppError::validation(
            "txnId",
            "A transaction id is 4 to 40 letters and digits, as in the payment's message.",
        ));
    }
    Ok(text.to_ascii_uppercase())
}

/// A customer's request to credit a payment; stays pending until an admin decides.
pub fn submit(conn: &mut DbConnection, user_id: i64, draft: &RequestDraft) -> AppResult<FundRequest> {
    let method_id = input::id("methodId", "The payment method", draft.method_id.as_deref())?;
    let amount = amount("amount", "The amount", draft.amount.as_deref())?;
    let txn = txn_id(draft.txn_id.as_deref())?;
    db::write_transaction(conn, |c| {
        let method = q::find_method(c, method_id)?
            .filter(|m| m.enabled)
            .ok_or_else(|| AppError::validation("methodId", "Choose one of the payment methods shown."))?;
        let (min, max) = (
            Money::from_micros(method.min_amount),
            Money::from_micros(method.max_amount),
        );
        if amount < min || amount > max {
            return Err(AppError::validation(
                "amount",
                format!("With this method the amount must be between {min} and {max}."),
            ));
        }
        if q::approved_for(c, method_id, &txn)?.is_some() {
            return Err(AppError::Conflict {
                code: "payment_already_credited",
                message: format!("The transaction '{txn}' was already credited."),
            });
        }
        if let Some(id) = q::pending_of_user(c, user_id, method_id, &txn)? {
            return Err(AppError::Conflict {
                code: "request_exists",
                message: format!("You already asked for this payment (request {id}); it is waiting for approval."),
            });
        }
        let id = q::insert_request(
            c,
            &q::NewFundRequest {
                user_id,
                method_id,
                amount: amount.micros(),
                txn_id: &txn,
                state: FundState::Pending.as_str(),
                created_at: db::now(),
            },
        )?;
        let row = q::find_request(c, id)?.ok_or_else(|| AppError::internal("fund request vanished"))?;
        FundRequest::new(row, std::slice::from_ref(&method), None)
    })
}

/// A customer's own requests, newest first.
pub fn for_user(conn: &mut DbConnection, user_id: i64) -> AppResult<Vec<FundRequest>> {
    let methods = q::methods(conn, false)?;
    q::for_user(conn, user_id, LIST_LIMIT)?
        .into_iter()
        .map(|row| FundRequest::new(row, &methods, None))
        .collect()
}

/// Requests for admins (pending ones oldest first), each with the other requests that
/// name the same payment.
pub fn for_admin(conn: &mut DbConnection, state: Option<FundState>) -> AppResult<Vec<FundRequest>> {
    let methods = q::methods(conn, false)?;
    let rows = q::for_admin(conn, state.map(FundState::as_str), LIST_LIMIT)?;
    let txns: Vec<String> = rows.iter().map(|(r, _)| r.txn_id.clone()).collect();
    let claims = q::same_payment(conn, &txns)?;
    rows.into_iter()
        .map(|(row, email)| {
            let mut request = FundRequest::new(row, &methods, Some(email))?;
            request.same_payment = claims
                .iter()
                .filter(|(id, method, txn, _)| {
                    *id != request.id && *method == request.method_id && *txn == request.txn_id
                })
                .map(|(id, ..)| *id)
                .collect();
            Ok(request)
        })
        .collect()
}

/// The request as it now is, for a refusal that names its state.
fn already_decided(conn: &mut DbConnection, id: i64) -> AppError {
    match q::find_request(conn, id) {
        Ok(Some(row)) => AppError::Conflict {
            code: "already_decided",
            message: format!("Request {id} was already {}; nothing was changed.", row.state),
        },
        Ok(None) => AppError::NotFound(format!("There is no add-funds request {id}.")),
        Err(e) => e.into(),
    }
}

/// Approves a pending request and credits its amount, in one transaction; audited.
/// Returns the request and the customer's new balance.
pub fn approve(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<(FundRequest, Money)> {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    db::write_transaction(conn, |c| {
        let decided = q::decide(c, id, FundState::Approved.as_str(), None, actor.user_id, db::now());
        match decided {
            Ok(1) => {}
            Ok(_) => return Err(already_decided(c, id)),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(AppError::Conflict {
                    code: "payment_already_credited",
                    message: "Another request for this payment was already approved; nothing was changed.".into(),
                })
            }
            Err(e) => return Err(e.into()),
        }
        let row = q::find_request(c, id)?.ok_or_else(|| AppError::internal("fund request vanished"))?;
        let method = q::find_method(c, row.method_id)?.ok_or_else(|| AppError::internal("payment method vanished"))?;
        let note = format!(
            "Add funds request {id}: '{}' transaction '{}'.",
            method.name, row.txn_id
        );
        let posted = db::ledger::post(
            c,
            &db::ledger::Posting {
                user_id: row.user_id,
                kind: LedgerKind::Deposit,
                amount: Money::from_micros(row.amount),
                order_id: None,
                actor_id: actor.user_id,
                note: Some(&note),
                allow_negative: false,
            },
        )?;
        let balance = match posted {
            db::ledger::PostingOutcome::Posted { balance_after, .. } => balance_after,
            db::ledger::PostingOutcome::Refused => return Err(AppError::internal("a credit was refused")),
            db::ledger::PostingOutcome::OverLimit => return Err(crate::service::orders::over_limit()),
        };
        let request = FundRequest::new(row, std::slice::from_ref(&method), None)?;
        audit::record(
            c,
            actor,
            "funds.approve",
            Some(&format!("fund_request:{id}")),
            Some(&json!({ "state": "pending" })),
            Some(&json!({
                "state": "approved",
                "userId": request.user_id,
                "amount": request.amount,
                "method": method.name,
                "txnId": request.txn_id,
                "balance": balance,
            })),
        )?;
        Ok((request, balance))
    })
}

/// Rejects a pending request with a reason the customer sees; audited. Nothing else changes.
pub fn reject(conn: &mut DbConnection, actor: &Actor, id: i64, reason: Option<&str>) -> AppResult<FundRequest> {
    let reason = input::required_text("reason", "A reason", reason, 500)?;
    db::write_transaction(conn, |c| {
        if q::decide(
            c,
            id,
            FundState::Rejected.as_str(),
            Some(&reason),
            actor.user_id,
            db::now(),
        )? != 1
        {
            return Err(already_decided(c, id));
        }
        let row = q::find_request(c, id)?.ok_or_else(|| AppError::internal("fund request vanished"))?;
        let methods = q::methods(c, false)?;
        let request = FundRequest::new(row, &methods, None)?;
        audit::record(
            c,
            actor,
            "funds.reject",
            Some(&format!("fund_request:{id}")),
            Some(&json!({ "state": "pending" })),
            Some(
                &json!({ "state": "rejected", "reason": reason, "userId": request.user_id, "amount": request.amount }),
            ),
        )?;
        Ok(request)
    })
}
