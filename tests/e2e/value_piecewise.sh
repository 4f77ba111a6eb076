#!/bin/bash
# value_piecewise.sh - the same sample valued with valuation.method interior_point and piecewise:
# both runs flag the same straddling parcels with the same straddles_zones detail (shares and
# the value under both methods); each extract carries the value its method names in that detail;
# a piecewise straddler's price_zone lists its zones ("Z1+Z2"); a parcel inside one zone has the
# same zone, price, value and tax under both methods; no_price parcels stay listed, unpriced.
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$LR_BINARY" sample "$T/s" --parcels 2000 --communes 3 --seed 5 >/dev/null 2>"$T/sample.log"
grep -q '^ *method: interior_point$' "$T/s/landrec.yaml"
sed 's/^\( *method:\) interior_point$/\1 piecewise/' "$T/s/landrec.yaml" >"$T/s/piecewise.yaml"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id ip >/dev/null 2>"$T/ip.log"
"$LR_BINARY" run "$T/s/piecewise.yaml" --out "$T/out" --run-id pw >/dev/null 2>"$T/pw.log"

python3 - "$T/out" <<'PY'
import csv, re, sys

out = sys.argv[1]
def rows(run, name, key):
    with open(f"{out}/{run}/{name}", newline="", encoding="utf-8") as f:
        return {r[key]: r for r in csv.DictReader(f)} if key else list(csv.DictReader(f))
ip, pw = rows("ip", "tax_extract.csv", "parcel_key"), rows("pw", "tax_extract.csv", "parcel_key")
assert set(ip) == set(pw), "both methods list the same parcels"

def straddlers(run):
    return {r["parcel_key"]: r["detail"] for r in rows(run, "mismatches.csv", None)
            if r["class"] == "straddles_zones"}
s_ip, s_pw = straddlers("ip"), straddlers("pw")
assert s_ip, "the sample should have straddling parcels"
assert s_ip == s_pw, "the straddles_zones findings differ between the methods"

checked = 0
for key, detail in s_pw.items():
    if key not in pw:
        continue
    m = re.search(r"piecewise (\d+) VND", detail)
    assert m and pw[key]["value_vnd"] == m.group(1), (key, detail, pw[key]["value_vnd"])
    assert "+" in pw[key]["price_zone"], (key, pw[key]["price_zone"])
    shares = re.findall(r"(\d+\.\d)%", detail)
    assert sum(float(s) > 0.5 for s in shares) >= 2, detail
    m = re.search(r"interior_point (\d+) VND \(zone ([^)]+)\)", detail)
    if m:
        assert ip[key]["value_vnd"] == m.group(1) and ip[key]["price_zone"] == m.group(2), key
    checked += 1
assert checked > 0

same = 0
for key, a in ip.items():
    b = pw[key]
    if a["price_zone"] and a["price_zone"] == b["price_zone"]:
        for col in ("position", "unit_price_vnd", "value_vnd", "tax_vnd"):
            assert a[col] == b[col], (key, col, a[col], b[col])
        same += 1
    if not a["unit_price_vnd"]:
        assert not a["value_vnd"] and not a["tax_vnd"]
unpriced_ip = sum(not r["unit_price_vnd"] for r in ip.values())
unpriced_pw = sum(not r["unit_price_vnd"] for r in pw.values())
assert unpriced_ip >= 1 and unpriced_pw <= unpriced_ip
print(f"OK {len(s_pw)} straddling ({checked} in the extract), {same} parcels equal both ways, "
      f"unpriced {unpriced_ip} / {unpriced_pw}")
PY
echo "OK value_piecewise"
