//! The order state machine (SPEC §4, issue 10): which move each actor may make from
//! which state. Pure; `service::order_machine` applies a move as one guarded update.

use super::order::{ForwardState, OrderStatus};

/// Where an order stands, as far as deciding a move goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderState {
    pub status: OrderStatus,
    pub forward: ForwardState,
    /// An admin has to look at it (`review_reason` is set).
    pub in_review: bool,
    /// The provider's order id is known.
    pub has_provider_order: bool,
}

/// Every change an actor can make to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// A worker takes a queued order under its lease.
    Claim,
    /// The provider answered `add` with its order id.
    Accept,
    /// The provider refused, or it could not be sent after every retry: failed, refunded.
    Refuse,
    /// Not sent (or ambiguous under the `retry` setting): queued again for later.
    Requeue,
    /// Sent with no usable answer (or its worker died): held for an admin.
    HoldForReview,
    /// An answer to `add` that arrived after its lease was lost: recorded, never resent.
    LateAnswer,
    /// A status reply from the provider.
    SyncUpdate,
    /// Status checks keep failing or say something the panel cannot map.
    Escalate,
    /// An admin edits status, start count, remains or notes.
    AdminEdit,
    /// Review: send it again (only when no provider order id is known).
    Resend,
    /// Review: the provider's order id was found; sync it from now on.
    Attach,
    /// Review: fail it and refund.
    Fail,
    /// Review: the problem is gone; sync it again as it is.
    Resume,
    /// The customer asks for a refill (a request row is created with it).
    RequestRefill,
    /// The customer asks for a cancel of an order already on its way (a request row
    /// is created with it; the provider's answer is settled by sync).
    RequestCancel,
    /// The customer cancels an order no worker has sent yet: canceled and refunded now.
    CancelBeforeSending,
}

impl Move {
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Claim => "claim",
            Move::Accept => "accept",
            Move::Refuse => "refuse",
            Move::Requeue => "requeue",
            Move::HoldForReview => "hold for review",
            Move::LateAnswer => "late answer",
            Move::SyncUpdate => "sync update",
            Move::Escalate => "escalate",
            Move::AdminEdit => "edit",
            Move::Resend => "resend",
            Move::Attach => "attach",
            Move::Fail => "fail",
            Move::Resume => "resume",
            Move::RequestRefill => "refill request",
            Move::RequestCancel => "cancel request",
            Move::CancelBeforeSending => "cancel before sending",
        }
    }

    /// Whether this move is allowed from `from`. Anything not listed is refused.
    pub fn allowed_from(self, from: OrderState) -> bool {
        use ForwardState as F;
        let reviewable = from.forward == F::Unknown || (from.forward == F::Accepted && from.in_review);
        match self {
            Move::Claim => from.forward == F::Queued,
            Move::Accept | Move::Refuse | Move::Requeue | Move::HoldForReview => from.forward == F::InFlight,
            // The provider has the order whatever happened meanwhile: always recorded.
            Move::LateAnswer => true,
            Move::SyncUpdate | Move::Escalate => from.forward == F::Accepted && !from.in_review,
            // Refused while a worker is calling the provider (the outcome is coming) and
            // while the order waits for a review decision (resolve it instead).
            Move::AdminEdit => !matches!(from.forward, F::InFlight | F::Unknown),
            Move::Resend => from.forward == F::Unknown && !from.has_provider_order,
            Move::Attach | Move::Fail => reviewable,
            Move::Resume => from.forward == F::Accepted && from.in_review,
            Move::RequestRefill => {
                matches!(from.status, OrderStatus::Completed | OrderStatus::Partial)
                    && matches!(from.forward, F::Accepted | F::Manual)
            }
            Move::RequestCancel => !from.status.is_terminal() && from.forward != F::Queued,
            Move::CancelBeforeSending => from.forward == F::Queued && !from.status.is_terminal(),
        }
    }

    /// Why a refused move is refused, in words for the admin.
    pub fn refusal(self, from: OrderState) -> String {
        use ForwardState as F;
        match (self, from.forward) {
            (Move::AdminEdit, F::InFlight) => {
                "a worker is sending it to the provider right now; try again when the answer is in".into()
            }
            (Move::AdminEdit, F::Unknown) => "it waits for review: resolve it (attach, resend or fail) first".into(),
            (Move::Resend, F::Unknown) => {
                "the provider already accepted it (its order id is known): attach that id instead of buying it twice"
                    .into()
            }
            (Move::Resend | Move::Attach | Move::Fail | Move::Resume, _) => {
                format!("it is {} and not waiting for review", from.forward)
            }
            (Move::SyncUpdate | Move::Escalate, _) if from.in_review => "it waits for review".into(),
            (Move::RequestRefill, _) => format!(
                "only a completed or partial order can be refilled; this one is {}",
                from.status
            ),
            (Move::RequestCancel | Move::CancelBeforeSending, _) => format!("it is {} already", from.status),
            _ => format!("it is {} ({})", from.status, from.forward),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(forward: ForwardState, in_review: bool, has_provider_order: bool) -> OrderState {
        OrderState {
            status: OrderStatus::Pending,
            forward,
            in_review,
            has_provider_order,
        }
    }

    #[test]
    fn workers_move_only_their_own_states() {
        for forward in ForwardState::ALL {
            let s = state(forward, false, false);
            assert_eq!(
                Move::Claim.allowed_from(s),
                forward == ForwardState::Queued,
                "{forward}"
            );
            for outcome in [Move::Accept, Move::Refuse, Move::Requeue, Move::HoldForReview] {
                assert_eq!(outcome.allowed_from(s), forward == ForwardState::InFlight, "{forward}");
            }
            assert!(Move::LateAnswer.allowed_from(s));
        }
    }

    #[test]
    fn admins_cannot_edit_what_is_being_sent_or_reviewed() {
        assert!(!Move::AdminEdit.allowed_from(state(ForwardState::InFlight, false, false)));
        assert!(!Move::AdminEdit.allowed_from(state(ForwardState::Unknown, false, false)));
        for forward in [
            ForwardState::Manual,
            ForwardState::Queued,
            ForwardState::Accepted,
            ForwardState::Rejected,
        ] {
            assert!(Move::AdminEdit.allowed_from(state(forward, false, true)), "{forward}");
        }
    }

    #[test]
    fn review_moves_need_a_review() {
        let unknown = state(ForwardState::Unknown, false, false);
        let late = state(ForwardState::Unknown, true, true);
        let flagged = state(ForwardState::Accepted, true, true);
        let accepted = state(ForwardState::Accepted, false, true);
        assert!(Move::Resend.allowed_from(unknown));
        assert!(!Move::Resend.allowed_from(late), "never buys twice");
        assert!(!Move::Resend.allowed_from(flagged));
        for m in [Move::Attach, Move::Fail] {
            assert!(m.allowed_from(unknown) && m.allowed_from(late) && m.allowed_from(flagged));
            assert!(!m.allowed_from(accepted));
        }
        assert!(Move::Resume.allowed_from(flagged) && !Move::Resume.allowed_from(accepted));
        assert!(!Move::SyncUpdate.allowed_from(flagged) && Move::SyncUpdate.allowed_from(accepted));
    }
}
