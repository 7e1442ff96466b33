"""Rewrites a census-style extract (link-synth --generator census) with the original generator's
column names and ISO dates, so that scripts/link/splink_run.py (which reads those names and
parses ISO and dd/mm/yyyy dates only) can run on it. Usage: census_for_splink.py IN.csv OUT.csv"""
import csv
import re
import sys

RENAME = {"agency": "source", "forename": "first_name", "family_name": "surname",
          "date_of_birth": "dob", "gender": "sex", "post_code": "postcode",
          "address": "address_1", "nhs_no": "nhs_number", "telephone": "phone"}


def iso(d):
    d = d.strip()
    for pat, order in [(r"^(\d{2})[/.-](\d{2})[/.-](\d{4})$", "dmy"), (r"^(\d{4})-(\d{2})-(\d{2})$", "ymd"),
                       (r"^(\d{4})(\d{2})(\d{2})$", "ymd")]:
        m = re.match(pat, d)
        if m:
            a, b, c = m.groups()
            return f"{c}-{b}-{a}" if order == "dmy" else f"{a}-{b}-{c}"
    return ""


with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    r = csv.DictReader(f)
    w = csv.DictWriter(g, fieldnames=[RENAME.get(c, c) for c in r.fieldnames])
    w.writeheader()
    for row in r:
        out = {RENAME.get(k, k): v for k, v in row.items()}
        out["dob"] = iso(out["dob"])
        out["sex"] = out["sex"][:1].upper()
        w.writerow(out)
