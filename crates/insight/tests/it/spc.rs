//! SPC: the NHSRplotthedots vignette to 4 decimals, and every rule and tie-break.

use concordat_insight::spc::{
    self, Assurance, Improvement, LIMIT, PointType, Rule, Side, SpcOptions, SpcResult, TrendSide,
    TwoOfThree,
};

const VIGNETTE: [f64; 18] = [
    1., 2., 1., 2., 10., 1., 2., 1., 2., 1., 2., 1., 2., 1., 2., 1., 2., 1.,
];

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// A fixed 12-point baseline alternating 0 and 10: mean 5, mean moving range 10, so the limits are
/// 5 ± 26.6 and the 2σ band 5 ± 17.7333, exactly as computed by the library.
const BASE: [f64; 12] = [0., 10., 0., 10., 0., 10., 0., 10., 0., 10., 0., 10.];

fn with_base(tail: &[f64], options: SpcOptions) -> SpcResult {
    let mut v = BASE.to_vec();
    v.extend_from_slice(tail);
    spc::xmr(
        &v,
        &SpcOptions {
            fix_after_n_points: Some(12),
            ..options
        },
    )
    .unwrap()
}

/// Rules of the points after the baseline.
fn tail_rules(r: &SpcResult) -> Vec<Option<Rule>> {
    r.points[12..].iter().map(|p| p.rule).collect()
}

#[test]
fn vignette_limits_with_and_without_screening() {
    let r = spc::xmr(&VIGNETTE, &SpcOptions::default()).unwrap();
    let s = &r.segments[0];
    assert_eq!(round4(s.mean), 1.9444);
    assert_eq!(round4(s.upl), 4.6044);
    assert_eq!(round4(s.lpl), -0.7156);
    assert_eq!(s.screened_moving_ranges, 2);
    assert!(!s.trial_limits);
    assert!(r.summary.warnings.is_empty());
    // Only the 10 is a special cause; neutral direction by default.
    let flagged: Vec<usize> = r
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.rule.is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flagged, vec![4]);
    assert_eq!(r.points[4].rule, Some(Rule::OutsideLimits));
    assert_eq!(r.points[4].point_type, PointType::Neutral);
    assert_eq!(r.points[4].side, Some(Side::High));
    assert_eq!(r.points[0].moving_range, None);
    assert_eq!(r.points[4].moving_range, Some(8.0));

    let r = spc::xmr(
        &VIGNETTE,
        &SpcOptions {
            screen_outliers: false,
            ..SpcOptions::default()
        },
    )
    .unwrap();
    let s = &r.segments[0];
    assert_eq!(round4(s.mean), 1.9444);
    assert_eq!(round4(s.upl), 6.9515);
    assert_eq!(round4(s.lpl), -3.0626);
    assert_eq!(s.screened_moving_ranges, 0);
    assert_eq!(r.points[4].rule, Some(Rule::OutsideLimits));
    // Two-sigma band is two thirds of the way to the limits.
    assert!(
        (r.points[0].upper_two_sigma - (s.mean + 2.0 / 3.0 * LIMIT * s.mean_moving_range)).abs()
            < 1e-12
    );
}

#[test]
fn outside_limits_is_strict() {
    let upl = 5.0 + LIMIT * 10.0;
    let lpl = 5.0 - LIMIT * 10.0;
    let r = with_base(
        &[upl, 5.0, upl + 0.01, 5.0, lpl, 5.0, lpl - 0.01],
        SpcOptions::default(),
    );
    assert_eq!(r.segments[0].upl, upl);
    assert_eq!(
        tail_rules(&r),
        vec![
            None,
            None,
            Some(Rule::OutsideLimits),
            None,
            None,
            None,
            Some(Rule::OutsideLimits)
        ]
    );
    assert_eq!(r.points[14].side, Some(Side::High));
    assert_eq!(r.points[18].side, Some(Side::Low));
}

#[test]
fn trend_of_seven_rising_and_ties_break_it() {
    let rising = [2., 3., 4., 5.5, 6., 7., 8.];
    let r = with_base(&rising, SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![Some(Rule::Trend); 7]);
    assert!(r.points[12..].iter().all(|p| p.side == Some(Side::High)));

    // A tie in the middle breaks the run.
    let r = with_base(&[2., 3., 4., 4., 6., 7., 8.], SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 7]);

    // Six rising points: a trend only when the run length is 6.
    let six = [2., 3., 4., 5.5, 6., 7., 4.];
    let r = with_base(&six, SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 7]);
    let r = with_base(
        &six,
        SpcOptions {
            run_length: 6,
            ..SpcOptions::default()
        },
    );
    assert_eq!(
        tail_rules(&r),
        [vec![Some(Rule::Trend); 6], vec![None]].concat()
    );

    // A falling trend is low: a concern when higher is better, an improvement when lower is better.
    let falling = [8., 7., 6., 5.5, 4., 3., 2.];
    let r = with_base(
        &falling,
        SpcOptions {
            improvement: Improvement::Up,
            ..SpcOptions::default()
        },
    );
    assert!(
        r.points[12..]
            .iter()
            .all(|p| p.side == Some(Side::Low) && p.point_type == PointType::Concern)
    );
    let r = with_base(
        &falling,
        SpcOptions {
            improvement: Improvement::Down,
            ..SpcOptions::default()
        },
    );
    assert!(
        r.points[12..]
            .iter()
            .all(|p| p.point_type == PointType::Improvement)
    );
}

#[test]
fn shift_of_seven_and_a_point_on_the_mean_breaks_it() {
    let above = [6., 7., 6., 7., 6., 7., 6.];
    let r = with_base(&above, SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![Some(Rule::Shift); 7]);
    assert!(r.points[12..].iter().all(|p| p.side == Some(Side::High)));

    let r = with_base(&[6., 7., 6., 5., 6., 7., 6.], SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 7]);

    let below_six = [4., 3., 4., 3., 4., 3., 6.];
    let r = with_base(&below_six, SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 7]);
    let r = with_base(
        &below_six,
        SpcOptions {
            run_length: 6,
            ..SpcOptions::default()
        },
    );
    assert_eq!(
        tail_rules(&r),
        [vec![Some(Rule::Shift); 6], vec![None]].concat()
    );
    assert_eq!(r.points[12].side, Some(Side::Low));
}

#[test]
fn two_of_three_inside_limits_and_mdc_variant() {
    // Upper band edge 22.7333, upper limit 31.6.
    let r = with_base(&[25., 6., 25., 4.], SpcOptions::default());
    assert_eq!(
        tail_rules(&r),
        vec![Some(Rule::TwoOfThree), None, Some(Rule::TwoOfThree), None]
    );
    assert_eq!(r.points[12].side, Some(Side::High));

    // The three points must all be on the same side of the mean.
    let r = with_base(&[25., 4., 25., 4.], SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 4]);

    // A point exactly on the band edge is not beyond it.
    let edge = 5.0 + (2.0 / 3.0) * LIMIT * 10.0;
    let r = with_base(&[25., 6., edge, 4.], SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![None; 4]);

    // Low side.
    let r = with_base(&[-15., -15., 4., 6.], SpcOptions::default());
    assert_eq!(
        tail_rules(&r),
        vec![Some(Rule::TwoOfThree), Some(Rule::TwoOfThree), None, None]
    );
    assert_eq!(r.points[12].side, Some(Side::Low));

    // R counts only points inside the limits; MDC (Nov 2023) counts those beyond them too.
    let tail = [35., 6., 25., 4.];
    let r = with_base(&tail, SpcOptions::default());
    assert_eq!(
        tail_rules(&r),
        vec![Some(Rule::OutsideLimits), None, None, None]
    );
    let r = with_base(
        &tail,
        SpcOptions {
            two_of_three: TwoOfThree::IncludingBeyondLimits,
            ..SpcOptions::default()
        },
    );
    assert_eq!(
        tail_rules(&r),
        vec![
            Some(Rule::OutsideLimits),
            None,
            Some(Rule::TwoOfThree),
            None
        ]
    );
}

#[test]
fn a_point_meeting_several_rules_takes_the_first() {
    // Rising and above the mean: trend beats shift.
    let r = with_base(&[6., 7., 8., 9., 10., 11., 12.], SpcOptions::default());
    assert_eq!(tail_rules(&r), vec![Some(Rule::Trend); 7]);
    // Two of three inside a shift: two-of-three beats shift for the close points.
    let r = with_base(&[6., 25., 6., 25., 6., 7., 6.], SpcOptions::default());
    assert_eq!(
        tail_rules(&r),
        vec![
            Some(Rule::Shift),
            Some(Rule::TwoOfThree),
            Some(Rule::Shift),
            Some(Rule::TwoOfThree),
            Some(Rule::Shift),
            Some(Rule::Shift),
            Some(Rule::Shift)
        ]
    );
    // Outside the limits beats trend and shift.
    let r = with_base(&[6., 7., 8., 9., 10., 11., 40.], SpcOptions::default());
    let rules = tail_rules(&r);
    assert_eq!(rules[6], Some(Rule::OutsideLimits));
    assert!(rules[..6].iter().all(|r| *r == Some(Rule::Trend)));
}

#[test]
fn improvement_direction_variation_and_assurance_icons() {
    let high = [6., 7., 6., 7., 6., 7., 6.];
    for (dir, want) in [
        (Improvement::Up, PointType::Improvement),
        (Improvement::Down, PointType::Concern),
        (Improvement::Neutral, PointType::Neutral),
    ] {
        let r = with_base(
            &high,
            SpcOptions {
                improvement: dir,
                ..SpcOptions::default()
            },
        );
        assert_eq!(r.summary.variation.point_type, want);
        assert_eq!(r.summary.variation.side, Some(Side::High));
    }
    let r = with_base(
        &[6., 4.],
        SpcOptions {
            improvement: Improvement::Up,
            ..SpcOptions::default()
        },
    );
    assert_eq!(r.summary.variation.point_type, PointType::CommonCause);
    assert_eq!(r.summary.variation.label(), "common cause");

    // Limits are -21.6 and 31.6.
    let upl = 5.0 + LIMIT * 10.0;
    for (target, dir, want) in [
        (40.0, Improvement::Up, Some(Assurance::ConsistentlyFail)),
        (40.0, Improvement::Down, Some(Assurance::ConsistentlyPass)),
        (-30.0, Improvement::Up, Some(Assurance::ConsistentlyPass)),
        (-30.0, Improvement::Down, Some(Assurance::ConsistentlyFail)),
        (10.0, Improvement::Up, Some(Assurance::HitAndMiss)),
        (upl, Improvement::Up, Some(Assurance::HitAndMiss)),
        (40.0, Improvement::Neutral, None),
    ] {
        let r = with_base(
            &[6., 4.],
            SpcOptions {
                improvement: dir,
                target: Some(target),
                ..SpcOptions::default()
            },
        );
        assert_eq!(r.summary.assurance, want, "target {target} {dir:?}");
    }
    let r = with_base(
        &[6.],
        SpcOptions {
            target: Some(1.0),
            ..SpcOptions::default()
        },
    );
    assert!(
        r.summary
            .warnings
            .iter()
            .any(|w| w.contains("no improvement direction"))
    );
}

#[test]
fn rebasing_gives_each_segment_its_own_limits_and_runs_stay_inside_segments() {
    let mut v: Vec<f64> = VIGNETTE.to_vec();
    v.extend([20., 21., 20., 21., 20., 21., 20., 21., 20., 21., 20., 21.]);
    let r = spc::xmr(
        &v,
        &SpcOptions {
            rebase_at: vec![18],
            ..SpcOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.segments.len(), 2);
    assert_eq!(round4(r.segments[0].upl), 4.6044);
    assert_eq!(r.segments[1].mean, 20.5);
    assert_eq!(r.segments[1].mean_moving_range, 1.0);
    assert_eq!(r.points[18].segment, 1);
    assert_eq!(r.points[18].moving_range, None);
    // Without rebasing the new level is far outside the old limits.
    let r2 = spc::xmr(&v, &SpcOptions::default()).unwrap();
    assert!(r2.points[18..].iter().all(|p| p.rule.is_some()));
    assert!(r.points[18..].iter().all(|p| p.rule.is_none()));
}

#[test]
fn fewer_than_twelve_points_are_trial_limits() {
    let r = spc::xmr(&VIGNETTE[..11], &SpcOptions::default()).unwrap();
    assert!(r.segments[0].trial_limits);
    assert!(r.summary.warnings[0].contains("trial limits"));
    let r = spc::xmr(
        &VIGNETTE,
        &SpcOptions {
            fix_after_n_points: Some(8),
            ..SpcOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.segments[0].baseline_points, 8);
    assert!(r.segments[0].trial_limits);
}

#[test]
fn bad_input_is_refused() {
    assert!(spc::xmr(&[1.0, f64::NAN], &SpcOptions::default()).is_err());
    assert!(
        spc::xmr(
            &[1.0, 2.0],
            &SpcOptions {
                run_length: 5,
                ..SpcOptions::default()
            }
        )
        .is_err()
    );
    assert!(spc::xmr(&[1.0], &SpcOptions::default()).is_err());
    assert!(
        spc::xmr(
            &[1.0, 2.0, 3.0],
            &SpcOptions {
                rebase_at: vec![2],
                ..SpcOptions::default()
            }
        )
        .is_err()
    );
    assert!(
        spc::xmr(
            &[1.0, 2.0, 3.0],
            &SpcOptions {
                rebase_at: vec![9],
                ..SpcOptions::default()
            }
        )
        .is_err()
    );
    // A constant series has zero-width limits and no special causes.
    let r = spc::xmr(&[3.0; 14], &SpcOptions::default()).unwrap();
    assert!(r.points.iter().all(|p| p.rule.is_none()));
}

#[test]
fn r_package_snapshot_of_twenty_normal_values() {
    // NHSRplotthedots tests/testthat/_snaps/ptd_spc_standard.md: R's set.seed(123); rnorm(20), here to 8
    // decimals; the snapshot prints mean 0.142, limits -3.01 and 3.29 (3 significant figures).
    let y = [
        -0.560_475_65,
        -0.230_177_49,
        1.558_708_31,
        0.070_508_39,
        0.129_287_74,
        1.715_064_99,
        0.460_916_21,
        -1.265_061_23,
        -0.686_852_85,
        -0.445_661_97,
        1.224_081_80,
        0.359_813_83,
        0.400_771_45,
        0.110_682_72,
        -0.555_841_13,
        1.786_913_14,
        0.497_850_48,
        -1.966_617_16,
        0.701_355_90,
        -0.472_791_41,
    ];
    let r = spc::xmr(&y, &SpcOptions::default()).unwrap();
    let s = &r.segments[0];
    let sig3 = |v: f64| format!("{v:.2e}");
    assert_eq!(sig3(s.mean), sig3(0.142));
    assert_eq!(sig3(s.lpl), sig3(-3.01));
    assert_eq!(sig3(s.upl), sig3(3.29));
    assert_eq!(s.screened_moving_ranges, 0);
    assert!(r.points.iter().all(|p| p.rule != Some(Rule::OutsideLimits)));
}

#[test]
fn trend_points_typed_by_direction_or_as_r_does_by_side_of_mean() {
    // A rising trend from below the mean to above it, higher is better.
    let rising = [2., 3., 4., 5., 6., 7., 8.];
    let opts = SpcOptions {
        improvement: Improvement::Up,
        ..SpcOptions::default()
    };
    let r = with_base(&rising, opts.clone());
    assert!(
        r.points[12..]
            .iter()
            .all(|p| p.point_type == PointType::Improvement)
    );
    let r = with_base(
        &rising,
        SpcOptions {
            trend_side: TrendSide::SideOfMean,
            ..opts
        },
    );
    let types: Vec<PointType> = r.points[12..].iter().map(|p| p.point_type).collect();
    // Below the mean: concern; exactly on the mean (5): R's sign 0 is not "up", so concern; above: improvement.
    assert_eq!(
        types,
        [vec![PointType::Concern; 4], vec![PointType::Improvement; 3]].concat()
    );
    assert!(r.points[12..].iter().all(|p| p.rule == Some(Rule::Trend)));
}
