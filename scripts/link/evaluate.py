"""Scores a clustering against a truth column, identically for every tool.

Usage: python evaluate.py CLUSTERS.csv TRUTH.csv [TRUTH2.csv ...] [--id rec_id] [--truth person_id]

CLUSTERS.csv: a record id column (record_id, rec_id, unique_id or the first column) and a cluster id
column (cluster_id or the second column). Records missing from it count as singletons.
Pairwise precision/recall/F1 are over all within-cluster record pairs (the transitive closure).
Cluster precision/recall/F1 count clusters reproduced exactly: precision = share of predicted clusters
that equal a true cluster, recall = share of true clusters found whole, F1 their harmonic mean.
Also reports how many people with 5 or more records were found whole. Prints one JSON line.
"""

import json
import sys

import pandas as pd


def pairs(sizes):
    return int((sizes * (sizes - 1) // 2).sum())


def f1(p, r):
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def main():
    argv = sys.argv[1:]
    opts = {"--id": None, "--truth": "person_id"}
    files = []
    i = 0
    while i < len(argv):
        if argv[i] in opts:
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    clusters_path, truth_paths = files[0], files[1:]
    truth = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in truth_paths])
    id_col = opts["--id"] or ("record_id" if "record_id" in truth else "rec_id")
    truth = truth[[id_col, opts["--truth"]]].rename(columns={id_col: "id", opts["--truth"]: "person"})
    if truth["id"].duplicated().any():
        raise SystemExit("record ids are not unique across the truth files")

    pred = pd.read_csv(clusters_path, dtype=str, keep_default_na=False)
    cid = next((c for c in ["record_id", "rec_id", "unique_id", "id"] if c in pred), pred.columns[0])
    ccl = "cluster_id" if "cluster_id" in pred else pred.columns[1]
    pred = pred[[cid, ccl]].rename(columns={cid: "id", ccl: "cluster"}).drop_duplicates("id")
    unknown = set(pred["id"]) - set(truth["id"])
    if unknown:
        raise SystemExit(f"{len(unknown)} clustered ids are not in the truth, e.g. {sorted(unknown)[:3]}")

    df = truth.merge(pred, on="id", how="left")
    missing = df["cluster"].isna()
    df.loc[missing, "cluster"] = "__single__" + df.loc[missing, "id"]

    true_pairs = pairs(df.groupby("person").size())
    pred_pairs = pairs(df.groupby("cluster").size())
    tp = pairs(df.groupby(["person", "cluster"]).size())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0

    # A cluster is exact when all its records share one person and it holds all of that person's records.
    person_size = df.groupby("person").size()
    g = df.groupby("cluster").agg(n=("person", "size"), persons=("person", "nunique"), person=("person", "first"))
    exact = g[(g["persons"] == 1) & (g["n"] == g["person"].map(person_size))]
    cp = len(exact) / len(g)
    cr = len(exact) / len(person_size)
    big = person_size[person_size >= 5]
    big_whole = int(exact["person"].isin(big.index).sum())

    print(json.dumps({
        "records": len(df), "people": len(person_size), "clusters": len(g),
        "true_pairs": true_pairs, "predicted_pairs": pred_pairs, "true_positive_pairs": tp,
        "pair_precision": round(p, 4), "pair_recall": round(r, 4), "pair_f1": round(f1(p, r), 4),
        "cluster_precision": round(cp, 4), "cluster_recall": round(cr, 4), "cluster_f1": round(f1(cp, cr), 4),
        "people_5plus": len(big), "people_5plus_whole": big_whole,
    }))


if __name__ == "__main__":
    main()
