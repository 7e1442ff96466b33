//! Properties over arbitrary input: no panics, and the invariants the charts rely on.

use concordat_insight::its::{self, Family, ItsData, ItsOptions};
use concordat_insight::spc::{self, Rule, SpcOptions, TwoOfThree};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn spc_limits_are_ordered_and_flags_follow_the_rules(
        values in prop::collection::vec(-1e6f64..1e6, 2..80),
        screen in any::<bool>(),
        six in any::<bool>(),
        mdc in any::<bool>(),
    ) {
        let options = SpcOptions {
            screen_outliers: screen,
            run_length: if six { 6 } else { 7 },
            two_of_three: if mdc { TwoOfThree::IncludingBeyondLimits } else { TwoOfThree::InsideLimits },
            ..SpcOptions::default()
        };
        let r = spc::xmr(&values, &options).unwrap();
        prop_assert_eq!(r.points.len(), values.len());
        for p in &r.points {
            prop_assert!(p.lpl <= p.lower_two_sigma && p.lower_two_sigma <= p.mean);
            prop_assert!(p.mean <= p.upper_two_sigma && p.upper_two_sigma <= p.upl);
            let outside = p.value > p.upl || p.value < p.lpl;
            prop_assert_eq!(outside, p.rule == Some(Rule::OutsideLimits));
            prop_assert_eq!(p.rule.is_some(), p.side.is_some());
        }
    }

    #[test]
    fn its_never_panics_and_counterfactual_matches_before(
        counts in prop::collection::vec(0u32..500, 6..40),
        split in 0.0f64..1.0,
        family in prop::sample::select(vec![Family::Poisson, Family::QuasiPoisson, Family::NegBin]),
        slope in any::<bool>(),
    ) {
        let n = counts.len();
        let intervention = ((n as f64 * split) as usize).min(n);
        let data = ItsData {
            counts: counts.iter().map(|&c| f64::from(c)).collect(),
            intervention,
            exposure: None,
            season: Some((0..n).map(|i| (i % 12 + 1) as f64).collect()),
            period: 12.0,
        };
        let options = ItsOptions { family, harmonics: 1, slope_change: slope, ..ItsOptions::default() };
        match its::fit(&data, &options) {
            Ok(r) => {
                prop_assert!(intervention >= 3 && n - intervention >= 3);
                for i in 0..intervention {
                    prop_assert!((r.counterfactual[i] - r.fitted[i]).abs() <= 1e-6 * r.fitted[i].max(1.0));
                }
                prop_assert!(r.level_change.lower <= r.level_change.estimate);
                prop_assert!(r.level_change.estimate <= r.level_change.upper);
            }
            // Refusals and failures are reported as errors, never as panics.
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
