//! Interrupted time series against the reference table (Lopez Bernal et al. 2017, sicily.csv).

use concordat_insight::its::{self, Family, ItsData, ItsOptions};

fn sicily() -> ItsData {
    let text = include_str!("../../testdata/sicily.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let (mut counts, mut stdpop, mut month) = (vec![], vec![], vec![]);
    let mut intervention = None;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        month.push(rec[1].parse::<f64>().unwrap());
        counts.push(rec[2].parse::<f64>().unwrap());
        if intervention.is_none() && &rec[4] == "1" {
            intervention = Some(i);
        }
        stdpop.push(rec[6].parse::<f64>().unwrap());
    }
    ItsData {
        counts,
        intervention: intervention.unwrap(),
        exposure: Some(stdpop),
        season: Some(month),
        period: 12.0,
    }
}

/// Rounds to `digits` significant figures, as the reference table is written.
fn sig(v: f64, digits: usize) -> String {
    format!("{:.*e}", digits - 1, v)
}

/// The reference ratios are written to 4 decimal places (4 or 5 significant figures): match all of them.
fn check_ratio(r: &its::Ratio, want: [f64; 3]) {
    let dp4 = |v: f64| format!("{v:.4}");
    assert_eq!(dp4(r.estimate), dp4(want[0]), "estimate {r:?}");
    assert_eq!(dp4(r.lower), dp4(want[1]), "lower {r:?}");
    assert_eq!(dp4(r.upper), dp4(want[2]), "upper {r:?}");
}

fn fit(family: Family, harmonics: usize, slope_change: bool) -> its::ItsResult {
    its::fit(
        &sicily(),
        &ItsOptions {
            family,
            harmonics,
            slope_change,
            ..ItsOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn poisson_step_and_trend() {
    let r = fit(Family::Poisson, 0, false);
    check_ratio(&r.level_change, [0.8944, 0.8647, 0.9251]);
    assert_eq!((r.n_before, r.n_after), (36, 23));
    // The counts are overdispersed, so the Poisson fit says so.
    assert!(r.warnings.iter().any(|w| w.contains("overdispersed")));
}

#[test]
fn quasi_poisson_scales_the_intervals() {
    let r = fit(Family::QuasiPoisson, 0, false);
    check_ratio(&r.level_change, [0.8944, 0.8392, 0.9532]);
    assert_eq!(sig(r.dispersion, 4), sig(3.559, 4));
}

#[test]
fn quasi_poisson_with_two_harmonics() {
    let r = fit(Family::QuasiPoisson, 2, false);
    check_ratio(&r.level_change, [0.8851, 0.8394, 0.9332]);
    assert_eq!(sig(r.dispersion, 4), sig(2.262, 4));
    assert_eq!(format!("{:.4}", r.trend.estimate), "1.0054");
    // Events averted ≈ 2,561 of 19,723 observed after the ban.
    assert_eq!(r.events_averted.estimate.round(), 2561.0);
    assert_eq!(r.events_averted.observed_after, 19723.0);
    assert!(
        r.events_averted.lower > 0.0
            && r.events_averted.lower < 2561.0
            && r.events_averted.upper > 2561.0
    );
    // Counterfactual equals fitted before the ban and exceeds it after (the ban lowered the level).
    for i in 0..36 {
        assert!((r.counterfactual[i] - r.fitted[i]).abs() < 1e-9);
    }
    assert!(
        r.counterfactual[36..]
            .iter()
            .zip(&r.fitted[36..])
            .all(|(c, f)| c > f)
    );
    assert_eq!(r.coefficients.len(), 7);
}

#[test]
fn quasi_poisson_with_slope_change() {
    let r = fit(Family::QuasiPoisson, 2, true);
    check_ratio(&r.level_change, [0.8765, 0.8268, 0.9292]);
    check_ratio(r.slope_change.as_ref().unwrap(), [1.0015, 0.9978, 1.0051]);
    // Rate ratio k periods in is exp(β2 + kβ3); reported at 12 and at the end (23).
    let b = &r.coefficients;
    let at12 = &r.rate_ratios[0];
    assert_eq!(at12.periods, 12);
    assert!((at12.ratio.estimate - (b[2].estimate + 12.0 * b[3].estimate).exp()).abs() < 1e-12);
    assert!(at12.ratio.lower < at12.ratio.estimate && at12.ratio.upper > at12.ratio.estimate);
    assert_eq!(r.rate_ratios[1].periods, 23);
}

#[test]
fn negative_binomial_with_two_harmonics() {
    let r = fit(Family::NegBin, 2, false);
    check_ratio(&r.level_change, [0.8842, 0.8411, 0.9295]);
    assert_eq!(sig(r.alpha.unwrap(), 3), sig(0.00119, 3));
}

#[test]
fn too_few_points_are_refused_and_few_warned() {
    let mut d = sicily();
    d.intervention = 2;
    let err = its::fit(&d, &ItsOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        its::ItsError::TooFewPoints {
            side: "before",
            n: 2
        }
    ));
    d.intervention = 57;
    assert!(matches!(
        its::fit(&d, &ItsOptions::default()),
        Err(its::ItsError::TooFewPoints {
            side: "after",
            n: 2
        })
    ));
    d.intervention = 50;
    let r = its::fit(&d, &ItsOptions::default()).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("12 or more")));
}

#[test]
fn bad_counts_and_designs_are_refused() {
    let mut d = sicily();
    d.counts[5] = 2.5;
    assert!(matches!(
        its::fit(&d, &ItsOptions::default()),
        Err(its::ItsError::BadCount { index: 5, .. })
    ));
    let mut d = sicily();
    d.counts[36..].iter_mut().for_each(|c| *c = 0.0);
    assert_eq!(
        its::fit(&d, &ItsOptions::default()).unwrap_err(),
        its::ItsError::NoEvents { side: "after" }
    );
    let mut d = sicily();
    d.exposure.as_mut().unwrap()[3] = 0.0;
    assert!(matches!(
        its::fit(&d, &ItsOptions::default()),
        Err(its::ItsError::BadExposure { index: 3, .. })
    ));
    // Six harmonics of a 12-month cycle include sin(πm) = 0 for every month: not identifiable.
    let d = sicily();
    let opts = ItsOptions {
        harmonics: 6,
        ..ItsOptions::default()
    };
    assert_eq!(its::fit(&d, &opts).unwrap_err(), its::ItsError::Singular);
}

#[test]
fn non_convergence_reports_the_iteration_count() {
    let opts = ItsOptions {
        max_iterations: 1,
        ..ItsOptions::default()
    };
    let err = its::fit(&sicily(), &opts).unwrap_err();
    assert_eq!(
        err,
        its::ItsError::NonConvergence {
            family: "quasi-Poisson",
            iterations: 1
        }
    );
    assert!(err.to_string().contains("after 1 iterations"));
}

#[test]
fn residual_autocorrelation_is_checked_and_warned() {
    // A slow sine wave left out of the model leaves strongly autocorrelated residuals.
    let n = 48;
    let counts: Vec<f64> = (0..n)
        .map(|i| (100.0 + 30.0 * (i as f64 * std::f64::consts::PI / 12.0).sin()).round())
        .collect();
    let d = ItsData {
        counts,
        intervention: 24,
        exposure: None,
        season: None,
        period: 12.0,
    };
    let r = its::fit(&d, &ItsOptions::default()).unwrap();
    assert!(r.autocorrelation.acf[0] > 0.5, "{:?}", r.autocorrelation);
    assert!(r.autocorrelation.p_value < 0.05);
    assert!(r.warnings.iter().any(|w| w.contains("autocorrelated")));
    // The check looks at one seasonal cycle of lags; white-noise-like residuals pass it.
    assert_eq!(r.autocorrelation.acf.len(), 12);
    let mut x: u64 = 12345;
    let counts: Vec<f64> = (0..48)
        .map(|_| {
            // Park–Miller generator: no seasonal pattern at the lags checked.
            x = x * 48271 % 2_147_483_647;
            (90 + x % 21) as f64
        })
        .collect();
    let d = ItsData {
        counts,
        intervention: 24,
        exposure: None,
        season: None,
        period: 12.0,
    };
    let r = its::fit(&d, &ItsOptions::default()).unwrap();
    assert!(
        !r.warnings.iter().any(|w| w.contains("autocorrelated")),
        "{:?}",
        r.autocorrelation
    );
}
