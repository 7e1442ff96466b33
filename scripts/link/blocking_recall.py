"""Blocking recall against the truth: for each rule (and the union), the share of true matching pairs
it generates and how many candidate pairs it costs. Uses splink_run.py's standardisation.

Usage: python blocking_recall.py bench-data/synth-100k.csv [--alt]
"""

import itertools
import sys

import pandas as pd

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from splink_run import prepare_synth  # noqa: E402

DEFAULT_RULES = {
    "nhs_number": ["nhs_number"],
    "dob": ["dob"],
    "postcode & first_initial": ["postcode", "first_initial"],
    "surname_soundex & birth_year": ["surname_soundex", "yob"],
    "first_soundex & surname_soundex": ["first_soundex", "surname_soundex"],
}


# A cheaper alternative to test: "dob" alone costs the most pairs at scale (distinct birth dates
# are bounded, so its blocks grow linearly and its pairs quadratically with the data).
ALT_RULES = {
    "nhs_number": ["nhs_number"],
    "dob & first_initial": ["dob", "first_initial"],
    "dob & surname_initial": ["dob", "surname_initial"],
    "postcode & first_initial": ["postcode", "first_initial"],
    "surname_soundex & birth_year": ["surname_soundex", "yob"],
    "first_soundex & surname_soundex": ["first_soundex", "surname_soundex"],
}


def main():
    rules = ALT_RULES if "--alt" in sys.argv else DEFAULT_RULES
    df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
    truth = df["person_id"].to_numpy()
    df = prepare_synth(df.drop(columns=["person_id"]))
    df["idx"] = range(len(df))
    df["surname_initial"] = df["surname"].str[:1]
    true_pairs = set()
    for _, g in pd.Series(range(len(df))).groupby(truth):
        true_pairs.update(itertools.combinations(g.tolist(), 2))
    union = set()
    total = 0
    print(f"true pairs: {len(true_pairs)}")
    print("| rule | candidate pairs | true pairs found | recall alone |")
    print("|---|---|---|---|")
    for name, cols in rules.items():
        sub = df.dropna(subset=cols)
        sizes = sub.groupby(cols).size()
        cand = int((sizes * (sizes - 1) // 2).sum())
        keys = sub[cols].astype(str).agg("|".join, axis=1)
        key_of = dict(zip(sub["idx"], keys))
        found = {p for p in true_pairs if p[0] in key_of and key_of[p[0]] == key_of.get(p[1])}
        union |= found
        print(f"| {name} | {cand} | {len(found)} | {len(found) / len(true_pairs):.4f} |")
        total += cand
    print(f"| union (sum of rule pairs) | {total} | {len(union)} | {len(union) / len(true_pairs):.4f} |")


if __name__ == "__main__":
    main()
