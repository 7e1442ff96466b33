"""Helpers for splink_compare.sh.

results_row.py DATASET TOOL TIME_LOG EVAL_JSON  -> one JSON line (wall time, peak RSS, accuracy, stages)
results_row.py --table RESULTS.jsonl [...]      -> the markdown table of the latest row per dataset/tool
"""

import json
import re
import sys


def parse_time_log(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    # CPU seconds (user + system) are less sensitive than wall time to other jobs on a shared machine.
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([0-9.]+)", text).group(1)) for k in ["User", "System"])
    stages = None
    for line in text.splitlines():
        if line.startswith("{") and '"stages"' in line:
            stages = json.loads(line).get("stages")
    return secs, rss_kb, cpu, stages


def row(dataset, tool, log, eval_path):
    secs, rss_kb, cpu, stages = parse_time_log(log)
    ev = json.load(open(eval_path))
    return {"dataset": dataset, "tool": tool, "wall_s": round(secs, 2), "cpu_s": round(cpu, 1), "peak_rss_mib": round(rss_kb / 1024),
            **{k: ev[k] for k in ["records", "pair_precision", "pair_recall", "pair_f1", "cluster_f1",
                                  "people_5plus", "people_5plus_whole"]},
            "stages": stages}


def table(path):
    latest = {}
    for line in open(path):
        r = json.loads(line)
        latest[(r["dataset"], r["tool"])] = r
    print("| dataset | tool | pair P | pair R | pair F1 | cluster F1 | 5+ found whole | wall s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in latest.values():
        whole = f'{r["people_5plus_whole"]}/{r["people_5plus"]}' if r["people_5plus"] else "-"
        print(f'| {r["dataset"]} | {r["tool"]} | {r["pair_precision"]:.4f} | {r["pair_recall"]:.4f} | '
              f'{r["pair_f1"]:.4f} | {r["cluster_f1"]:.4f} | {whole} | {r["wall_s"]:.1f} | {r.get("cpu_s", float("nan")):.1f} | {r["peak_rss_mib"]} |')


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2])
    else:
        print(json.dumps(row(*sys.argv[1:5])))
