//! Settlement (SPEC §3), the only place the rule lives: an order's ledger rows always
//! sum to minus its net charge, `charge × delivered ÷ quantity`.

use super::order::{delivered, OrderStatus};
use super::Money;

/// What the order should have cost the customer so far.
pub fn net_charge(charge: Money, quantity: i64, status: OrderStatus, remains: Option<i64>) -> Money {
    if quantity <= 0 {
        return Money::ZERO;
    }
    charge
        .mul_div(delivered(status, quantity, remains), quantity)
        .unwrap_or(charge)
}

/// The one ledger amount that restores the rule, given the sum of the order's rows so
/// far: positive refunds, negative charges again, zero writes nothing.
pub fn adjustment(charge: Money, quantity: i64, status: OrderStatus, remains: Option<i64>, ledger_sum: Money) -> Money {
    let target = net_charge(charge, quantity, status, remains);
    Money::from_micros(-target.micros() - ledger_sum.micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse_signed(s).unwrap()
    }

    #[test]
    fn refunds_what_was_not_delivered_exactly_once() {
        let charge = m("120");
        // Charged at placement.
        let mut sum = m("-120");
        assert_eq!(
            adjustment(charge, 1000, OrderStatus::Processing, None, sum),
            Money::ZERO
        );
        // Partial with 250 remaining refunds a quarter.
        let refund = adjustment(charge, 1000, OrderStatus::Partial, Some(250), sum);
        assert_eq!(refund, m("30"));
        sum = sum.checked_add(refund).unwrap();
        assert_eq!(
            adjustment(charge, 1000, OrderStatus::Partial, Some(250), sum),
            Money::ZERO,
            "seen again: nothing"
        );
        // Then canceled: the rest.
        let rest = adjustment(charge, 1000, OrderStatus::Canceled, None, sum);
        assert_eq!(rest, m("90"));
        sum = sum.checked_add(rest).unwrap();
        assert_eq!(sum, Money::ZERO);
        // An admin sets it back to completed: charged again.
        assert_eq!(adjustment(charge, 1000, OrderStatus::Completed, None, sum), m("-120"));
    }

    #[test]
    fn rounding_keeps_the_sum_exact() {
        let charge = m("100");
        let net = net_charge(charge, 3, OrderStatus::Partial, Some(1));
        assert_eq!(net, m("66.666667"));
        assert_eq!(
            adjustment(charge, 3, OrderStatus::Partial, Some(1), m("-100")),
            m("33.333333")
        );
    }
}
