//! Survey summaries: the analytics.md sentence, rounding, "don't know", suppression, the chart.

use concordat_insight::survey::{self, Answer, DontKnow, SurveyOptions, Tenths};

fn answers(counts: [usize; 5], dk: usize, missing: usize) -> Vec<Answer> {
    let mut v = Vec::new();
    for (k, c) in counts.iter().enumerate() {
        v.extend(std::iter::repeat_n(Answer::Scale(k), *c));
    }
    v.extend(std::iter::repeat_n(Answer::DontKnow, dk));
    v.extend(std::iter::repeat_n(Answer::Missing, missing));
    v
}

#[test]
fn the_evaluation_report_sentence() {
    // 35 agree, 21 neither, 2 disagree of 58. analytics.md prints 3.5% for the last group, which is the
    // remainder to 100; 2/58 = 3.448…% rounds to 3.4%, and we never force totals to 100.
    let items = vec!["The team listened to me".to_string()];
    let s = survey::summarise(
        &items,
        &[answers([1, 1, 21, 20, 15], 3, 1)],
        None,
        &SurveyOptions::default(),
    );
    let it = &s.items[0];
    assert_eq!(it.n, 58);
    assert_eq!(
        it.sentence,
        "60.3% agreed or strongly agreed, 36.2% neither, 3.4% disagreed or strongly disagreed (n = 58)"
    );
    assert_eq!((it.dont_know, it.missing), (3, 1));
    assert!(s.notes.iter().any(|n| n.contains("left out of n")));
    assert!(s.notes.iter().any(|n| n.contains("may not add up to 100")));
    assert!(s.notes.iter().any(|n| n.contains("no average")));
}

#[test]
fn rounding_is_half_up_on_the_exact_fraction() {
    assert_eq!(Tenths::of(1, 16).to_string(), "6.3%"); // 6.25
    assert_eq!(Tenths::of(1, 8).to_string(), "12.5%");
    assert_eq!(Tenths::of(2, 3).to_string(), "66.7%");
    assert_eq!(Tenths::of(0, 3).to_string(), "0.0%");
    assert_eq!(Tenths::of(3, 3).to_string(), "100.0%");
}

#[test]
fn dont_know_can_be_counted_in_n() {
    let items = vec!["q".to_string()];
    let opts = SurveyOptions {
        dont_know: DontKnow::Include,
        ..SurveyOptions::default()
    };
    let s = survey::summarise(&items, &[answers([0, 2, 3, 5, 0], 10, 0)], None, &opts);
    let it = &s.items[0];
    assert_eq!(it.n, 20);
    assert_eq!(
        it.sentence,
        "25.0% agreed or strongly agreed, 15.0% neither, 10.0% disagreed or strongly disagreed, 50.0% did not know (n = 20)"
    );
    assert!(s.notes[0].contains("counted in n"));
}

#[test]
fn small_groups_are_suppressed() {
    let items = vec!["q".to_string()];
    let nine = survey::summarise(
        &items,
        &[answers([1, 2, 2, 2, 2], 5, 0)],
        None,
        &SurveyOptions::default(),
    );
    assert!(nine.items[0].suppressed);
    assert_eq!(nine.items[0].agree, None);
    assert_eq!(nine.items[0].sentence, "suppressed: fewer than 10 answers");
    let ten = survey::summarise(
        &items,
        &[answers([2, 2, 2, 2, 2], 0, 0)],
        None,
        &SurveyOptions::default(),
    );
    assert!(!ten.items[0].suppressed);
    // Groups are summarised and suppressed separately.
    let col = answers([0, 0, 0, 12, 3], 0, 0);
    let groups: Vec<String> = (0..15)
        .map(|i| {
            if i < 12 {
                "A".to_string()
            } else {
                "B".to_string()
            }
        })
        .collect();
    let s = survey::summarise(&items, &[col], Some(&groups), &SurveyOptions::default());
    assert_eq!(s.items.len(), 2);
    assert_eq!(
        (
            s.items[0].group.as_deref(),
            s.items[0].n,
            s.items[0].suppressed
        ),
        (Some("A"), 12, false)
    );
    assert_eq!(
        (
            s.items[1].group.as_deref(),
            s.items[1].n,
            s.items[1].suppressed
        ),
        (Some("B"), 3, true)
    );
}

#[test]
fn csv_answers_by_code_or_word_and_errors_name_the_cell() {
    let csv = "id,q1,q2,site\n1,5,Agree,North\n2,strongly disagree,don't know,South\n3,,3,North\n";
    let d = survey::parse_survey(
        csv.as_bytes(),
        "s.csv",
        &[],
        Some("site"),
        &["id".to_string()],
    )
    .unwrap();
    assert_eq!(d.items, vec!["q1", "q2"]);
    assert_eq!(
        d.answers[0],
        vec![Answer::Scale(4), Answer::Scale(0), Answer::Missing]
    );
    assert_eq!(
        d.answers[1],
        vec![Answer::Scale(3), Answer::DontKnow, Answer::Scale(2)]
    );
    assert_eq!(d.groups.unwrap(), vec!["North", "South", "North"]);
    let bad = "q1\n4\nsometimes\n";
    let err = survey::parse_survey(bad.as_bytes(), "s.csv", &[], None, &[]).unwrap_err();
    assert_eq!(
        err.to_string().split(':').next().unwrap(),
        "s.csv, line 3, column \"q1\""
    );
}

#[test]
fn diverging_bar_chart_is_accessible() {
    let items = vec!["Felt safe".to_string(), "Few answers".to_string()];
    let s = survey::summarise(
        &items,
        &[
            answers([1, 2, 3, 4, 5], 0, 0),
            answers([1, 1, 1, 0, 0], 0, 0),
        ],
        None,
        &SurveyOptions::default(),
    );
    let svg = survey::chart("Carers survey", &s);
    assert!(svg.contains("<title id=\"chart-carers-survey-title\">Carers survey</title>"));
    assert!(svg.contains("<desc"));
    assert!(svg.contains("role=\"img\""));
    // Each category has its own hatch pattern, so the chart reads in black and white.
    for k in 0..5 {
        assert!(svg.contains(&format!("<pattern id=\"lk{k}\"")));
    }
    assert!(svg.contains("suppressed"));
    assert!(svg.contains("Felt safe (n = 15)"));
}
