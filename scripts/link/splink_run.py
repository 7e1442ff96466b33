"""Runs Splink (DuckDB backend) on one benchmark input and writes record_id,cluster_id.

Usage:
  python splink_run.py febrl-dedupe IN.csv OUT.csv [--ssn]
  python splink_run.py febrl-link A.csv B.csv OUT.csv [--ssn]
  python splink_run.py synth IN.csv OUT.csv

The model mirrors Concordat's as closely as Splink allows: the same standardisation done up front
(Splink leaves cleaning to the user), the same blocking rules (splink_compare.sh passes the same
list to Concordat: for FEBRL the issue's examples, date of birth; postcode and first initial;
surname Soundex and birth year; forename and surname Soundex; for the synthetic data Concordat's
default rules), a comparison for every field Concordat compares, term-frequency adjustments on names and postcodes, u by random sampling, m by
unsupervised EM, and connected components at a fixed match probability.
Stage timings go to stderr as one JSON line.
"""

import json
import os
import re
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = float(os.environ.get("SPLINK_THRESHOLD", "0.9"))
T0 = time.perf_counter()
stages = {}


def stage(name, since):
    now = time.perf_counter()
    stages[name] = round(now - since, 2)
    return now


def soundex(s):
    if not isinstance(s, str) or not s:
        return None
    s = re.sub(r"[^a-z]", "", s.lower())
    if not s:
        return None
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
             **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    out, last = s[0].upper(), codes.get(s[0], "")
    for ch in s[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":
            last = code
    return (out + "000")[:4]


def clean_name(col):
    return (col.fillna("").astype(str).str.lower()
            .str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
            .str.replace(r"[^a-z \-]", "", regex=True).str.strip()
            .replace("", None))


def nhs_valid(d):
    if not isinstance(d, str) or len(d) != 10:
        return None
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return d if check != 10 and check == int(d[9]) else None


def clean_dob(col):
    s = col.fillna("").astype(str).str.strip()
    iso = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk).dt.strftime("%Y-%m-%d").where(iso.notna() | uk.notna(), None)


def prepare_synth(df):
    df["first_name"] = clean_name(df["first_name"])
    df["surname"] = clean_name(df["surname"])
    df["dob"] = clean_dob(df["dob"])
    pc = df["postcode"].fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    pc = pc.where(pc.str.len() >= 5, "")
    pc = pc.str[:-3] + " " + pc.str[-3:]
    df["postcode"] = pc.where(pc.str.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"), None)
    digits = df["nhs_number"].fillna("").astype(str).str.replace(r"\D", "", regex=True)
    df["nhs_number"] = digits.map(nhs_valid)
    ph = df["phone"].fillna("").astype(str).str.replace(r"\D", "", regex=True)
    ph = ph.where(~ph.str.startswith("44"), "0" + ph.str[2:])
    df["phone"] = ph.replace("", None)
    df["sex"] = df["sex"].replace("", None)
    df["address_1"] = clean_name(df["address_1"])
    return add_keys(df, "first_name")


def add_keys(df, first):
    # Derived blocking keys, as Concordat derives them: initial, Soundex codes, year of birth.
    df["first_initial"] = df[first].str[:1]
    for col, key in [(first, "first_soundex"), ("surname", "surname_soundex")]:
        uniq = df[col].dropna().unique()
        df[key] = df[col].map(dict(zip(uniq, map(soundex, uniq))))
    df["yob"] = df["dob"].str[:4]
    return df


def prepare_febrl(df):
    for c in ["given_name", "surname", "address_1", "address_2", "suburb"]:
        df[c] = clean_name(df[c])
    for c in ["street_number", "postcode", "state", "soc_sec_id", "dob"]:
        if c in df:
            df[c] = df[c].fillna("").astype(str).str.strip().replace("", None)
    df["dob"] = pd.to_datetime(df["dob"], format="%Y-%m-%d", errors="coerce").dt.strftime("%Y-%m-%d")
    return add_keys(df, "given_name")


def synth_settings():
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        probability_two_random_records_match=1e-5,
        # Concordat's default rules for this data (crates/link/src/block.rs default_rules); its
        # "names" rule (forename and surname equal, in either order) is two rules here.
        blocking_rules_to_generate_predictions=[
            block_on("nhs_number"),
            block_on("dob", "first_initial"),
            block_on("dob", "surname_soundex"),
            block_on("postcode", "first_initial"),
            block_on("first_soundex", "surname_soundex", "yob"),
            block_on("first_name", "surname"),
            "l.first_name = r.surname and l.surname = r.first_name",
            block_on("phone"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def febrl_settings(link_type, ssn):
    rules = [
        block_on("dob"),
        block_on("postcode", "first_initial"),
        block_on("surname_soundex", "yob"),
        block_on("first_soundex", "surname_soundex"),
    ]
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("street_number", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
    ]
    if ssn:
        rules.insert(0, block_on("soc_sec_id"))
        comparisons.append(cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]))
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        probability_two_random_records_match=1e-4,
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ssn = "--ssn" in sys.argv
    kind = args[0]
    t = T0
    db_api = DuckDBAPI()
    if kind == "synth":
        inp, out = args[1], args[2]
        df = pd.read_csv(inp, dtype=str, keep_default_na=False)
        df = df.drop(columns=["person_id"])
        t = stage("read_csv", t)
        df = prepare_synth(df)
        t = stage("standardise", t)
        tables = [db_api.register(df, table_name="records")]
        settings = synth_settings()
        id_col = "record_id"
        det_rules = [block_on("nhs_number"), block_on("first_name", "surname", "dob")]
        em_rules = [block_on("dob"), block_on("postcode")]
    else:
        files, out = args[1:-1], args[-1]
        dfs = []
        for f in files:
            df = pd.read_csv(f, dtype=str, keep_default_na=False).drop(columns=["person_id"])
            if not ssn and "soc_sec_id" in df:
                df = df.drop(columns=["soc_sec_id"])
            dfs.append(df)
        t = stage("read_csv", t)
        dfs = [prepare_febrl(d) for d in dfs]
        t = stage("standardise", t)
        tables = [db_api.register(d, table_name=f"t{i}") for i, d in enumerate(dfs)]
        link_type = "dedupe_only" if kind == "febrl-dedupe" else "link_only"
        settings = febrl_settings(link_type, ssn)
        id_col = "rec_id"
        det_rules = [block_on("given_name", "surname", "dob")]
        if ssn:
            det_rules.insert(0, block_on("soc_sec_id"))
        em_rules = [block_on("dob"), block_on("given_name", "surname"), block_on("postcode")]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=30)
    t = stage("setup", t)
    linker.training.estimate_probability_two_random_records_match(det_rules, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    t = stage("estimate_u", t)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    t = stage("em", t)
    pred = linker.inference.predict(threshold_match_probability=0.01)
    t = stage("predict", t)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=THRESHOLD
    )
    t = stage("cluster", t)
    cdf = clusters.as_pandas_dataframe()[[id_col, "cluster_id"]]
    cdf.columns = ["record_id", "cluster_id"]
    cdf.to_csv(out, index=False)
    t = stage("write", t)
    stages["total"] = round(time.perf_counter() - T0, 2)
    print(json.dumps({"tool": "splink", "threshold": THRESHOLD, "stages": stages}), file=sys.stderr)


if __name__ == "__main__":
    main()
