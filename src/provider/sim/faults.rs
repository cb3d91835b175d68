//! Seeded fault injection: a tiny PRNG and the per-request fault draw.

/// SplitMix64: small, fast, and good enough to make fault sequences reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`. A probability, never money.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// A stateless hash of `(seed, n)`, for per-order values such as start counts.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    SplitMix64::new(seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64()
}

/// What goes wrong with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request is processed, then never answered.
    Timeout,
    /// The request is processed, then answered with HTTP 502 and an HTML page.
    Html,
    /// The request is processed, then answered with HTTP 200 and truncated JSON.
    Garbage,
    /// `{"error":"Incorrect request"}`; nothing is processed.
    Error,
    /// The request is processed, then the connection is dropped without a response.
    Reset,
}

/// Probabilities (0–1) of each fault.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct FaultRates {
    pub timeout: f64,
    pub html: f64,
    pub garbage: f64,
    pub error: f64,
    pub reset: f64,
}

impl FaultRates {
    /// Draws one number per switch, always all five and always in this order
    /// (timeout, html, garbage, error, reset), so a seed gives the same sequence of
    /// decisions whatever the rates; the first switch that fires wins.
    pub fn draw(&self, rng: &mut SplitMix64) -> Option<Fault> {
        let switches = [
            (self.timeout, Fault::Timeout),
            (self.html, Fault::Html),
            (self.garbage, Fault::Garbage),
            (self.error, Fault::Error),
            (self.reset, Fault::Reset),
        ];
        let mut chosen = None;
        for (rate, fault) in switches {
            let draw = rng.next_unit();
            if chosen.is_none() && draw < rate {
                chosen = Some(fault);
            }
        }
        chosen
    }

    /// Every rate within 0..=1.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("--timeout-rate", self.timeout),
            ("--html-rate", self.html),
            ("--garbage-rate", self.garbage),
            ("--error-rate", self.error),
            ("--reset-rate", self.reset),
        ] {
            check_probability(rate).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }
}

/// `Ok` for a finite value in 0..=1.
pub(crate) fn check_probability(rate: f64) -> Result<f64, String> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("must be a probability between 0 and 1, got {rate}"))
    }
}

/// clap value parser for the `--*-rate` switches.
pub(crate) fn parse_probability(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("must be a number between 0 and 1, got {text:?}"))?;
    check_probability(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let rates = FaultRates {
            timeout: 0.1,
            html: 0.1,
            garbage: 0.1,
            error: 0.1,
            reset: 0.1,
        };
        let run = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..500).map(|_| rates.draw(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        // every kind shows up at these rates, and most requests are clean
        let seq = run(7);
        for fault in [Fault::Timeout, Fault::Html, Fault::Garbage, Fault::Error, Fault::Reset] {
            assert!(seq.contains(&Some(fault)), "{fault:?}");
        }
        assert!(seq.iter().filter(|f| f.is_none()).count() > 250);
    }

    #[test]
    fn rate_one_always_and_zero_never() {
        let mut rng = SplitMix64::new(1);
        let always = FaultRates {
            garbage: 1.0,
            ..FaultRates::default()
        };
        assert!((0..1000).all(|_| always.draw(&mut rng) == Some(Fault::Garbage)));
        let never = FaultRates::default();
        assert!((0..1000).all(|_| never.draw(&mut rng).is_none()));
        // earlier switches win
        let both = FaultRates {
            html: 1.0,
            reset: 1.0,
            ..FaultRates::default()
        };
        assert_eq!(both.draw(&mut rng), Some(Fault::Html));
    }

    #[test]
    fn unit_draws_stay_in_range() {
        let mut rng = SplitMix64::new(0);
        for _ in 0..10_000 {
            let x = rng.next_unit();
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(mix(1, 10001), mix(1, 10002));
        assert_eq!(mix(1, 10001), mix(1, 10001));
    }

    #[test]
    fn probabilities_are_validated() {
        assert_eq!(parse_probability("0.25"), Ok(0.25));
        assert_eq!(parse_probability("1"), Ok(1.0));
        assert_eq!(parse_probability("0"), Ok(0.0));
        for bad in ["1.5", "-0.1", "NaN", "inf", "x", ""] {
            assert!(parse_probability(bad).is_err(), "{bad}");
        }
        let bad = FaultRates {
            reset: 2.0,
            ..FaultRates::default()
        };
        let message = bad.validate().expect_err("out of range");
        assert!(message.contains("--reset-rate"), "{message}");
    }
}
