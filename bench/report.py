#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR BINARY JOBS SIZE:COMMUNES... - the Markdown table of bench/run.

Reads what bench/run left in RESULTS_DIR (time -v outputs, landrec logs and manifests, stock
path outputs) and prints the machine, the versions and one table per size."""
import glob
import json
import os
import platform
import re
import subprocess
import sys

res, binary, jobs = sys.argv[1], sys.argv[2], sys.argv[3]
sizes = sys.argv[4:]


def time_v(path):
    """wall, user, sys seconds and peak RSS (KB) from a /usr/bin/time -v output."""
    t = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.strip()
        if line.startswith("Elapsed (wall clock)"):
            v = line.rsplit(" ", 1)[1].split(":")
            t["wall"] = sum(float(x) * 60 ** i for i, x in enumerate(reversed(v)))
        elif line.startswith("User time"):
            t["user"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("System time"):
            t["sys"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("Maximum resident set size"):
            t["rss"] = int(line.rsplit(" ", 1)[1])
    return t


def landrec_run(n, k):
    t = time_v(f"{res}/time-{n}-{k}")
    m = json.load(open(f"{res}/manifest-{n}-{k}.json"))
    log = open(f"{res}/log-{n}-{k}", encoding="utf-8", errors="replace").read()
    st = {s["name"]: s["seconds"] for s in m["stages"]}
    for name, secs in re.findall(r"\[(\w+)\] done in ([\d.]+) s", log):
        st[name] = float(secs)  # the log has publish's own time (the manifest is written in it)
    ck = {}
    for name, secs in re.findall(r"checkpoints/\d\d-(\w+)\.ckpt': \d+ bytes in ([\d.]+) s", log):
        ck[name] = float(secs)
    x = re.search(r"tax_extract\.csv in ([\d.]+) s \(cpu ([\d.]+) s\), workbooks in ([\d.]+) s", log)
    g = re.search(r"parcels\.gpkg: \d+ parcels.* in ([\d.]+) s", log)
    r = time_v(f"{res}/rerun-{n}-{k}")
    rerun_out = open(f"{res}/rerun-out-{n}-{k}", encoding="utf-8", errors="replace").read()
    load = open(f"{res}/load-{n}-{k}").read().split()
    core_stages = ["load", "reproject", "validate", "match", "value"]
    core = sum(st.get(s, 0) for s in core_stages) + sum(ck.get(s, 0) for s in core_stages)
    core += float(x.group(1)) if x else 0
    parcels = m["conservation"]["map"]["input"]
    return dict(t=t, st=st, ck=ck, csv=float(x.group(1)) if x else None,
                wb=float(x.group(3)) if x else None, gpkg=float(g.group(1)) if g else None,
                core=core, rerun=r, rerun_unchanged=re.search(r"^unchanged ", rerun_out, re.M) is not None,
                load=load, parcels=parcels)


def stock_run(n):
    p = f"{res}/stock-{n}"
    if not os.path.exists(p):
        return None
    s = {}
    for line in open(p):
        k, _, v = line.strip().partition(" ")
        if v:
            s[k] = float(v)
    s["time"] = time_v(f"{res}/stock-time-{n}")
    s["loadavg"] = open(f"{res}/stock-load-{n}").read().split()
    return s


def fmt(v, d=2):
    return "–" if v is None else f"{v:.{d}f}"


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), platform.processor())
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    ver = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["sh", "-c", "ogr2ogr --version; /usr/lib/postgresql/15/bin/postgres "
                         "--version; ls /usr/share/postgresql/15/extension/postgis--3*.sql | "
                         "sed -n 's/.*--\\([0-9.]*\\)\\.sql$/PostGIS \\1/p' | sort -V | tail -1"],
                        capture_output=True, text=True).stdout.strip()
    print(f"- machine: {os.cpu_count()} cores, {model}, {mem / 1048576:.1f} GiB RAM, "
          f"{platform.system()} {platform.release()}")
    print("- landrec: " + "; ".join(ver.splitlines()))
    print("- stock path: " + "; ".join(pg.splitlines()))
    print(f"- command: `bench/run {' '.join(sizes)}` (landrec `--jobs {jobs}`)")
    print()


machine()
for spec in sizes:
    n = spec.split(":")[0]
    runs = [landrec_run(n, os.path.basename(p).split("-")[2])
            for p in sorted(glob.glob(f"{res}/time-{n}-*"))]
    if not runs:
        continue
    best = min(runs, key=lambda r: r["t"]["wall"])
    s = stock_run(n)
    t = best["t"]
    par = best["parcels"]
    print(f"### {int(n):,} parcels wanted ({par:,} map features), best of {len(runs)} run(s); "
          f"load average {best['load'][0]} before, {best['load'][1]} after"
          + (f"; stock path: {s['loadavg'][0]} before, {s['loadavg'][1]} after" if s else ""))
    print()
    print("| stage | landrec s | stock path s | notes |")
    print("| --- | ---: | ---: | --- |")
    st, ck = best["st"], best["ck"]
    g = (s or {}).get
    rows = [
        ("load", st.get("load"), g("load"), "ogr2ogr into PostGIS for the stock path"),
        ("reproject", st.get("reproject"), g("reproject"), "9212 → 5899"),
        ("validate (+ repair, overlaps, gaps)", st.get("validate"),
         (g("validate") or 0) + (g("overlaps") or 0) if s else None,
         "stock: ST_IsValid/ST_MakeValid + GiST self-join overlaps, no gaps"),
        ("match", st.get("match"), g("match"), "stock: key join + area tolerance only"),
        ("value", st.get("value"), g("value"), "price-zone join"),
        ("tax_extract.csv", best["csv"], g("extract"), ""),
        ("checkpoints (after load…value)",
         sum(ck.get(x, 0) for x in ("load", "reproject", "validate", "match", "value")), None,
         "resume points; stock has none"),
        ("**core** (through the CSV)", best["core"],
         sum(g(x) or 0 for x in ("load", "reproject", "validate", "match", "overlaps", "value",
                                  "extract")) if s else None, "target ≤ 8 s at 1M"),
        ("extract stage (CSV, workbooks, delta, mismatches, GPKG)", st.get("extract"), None,
         f"workbooks {fmt(best['wb'])} s, parcels.gpkg {fmt(best['gpkg'])} s (concurrent)"),
        ("checkpoint after extract", ck.get("extract"), None, ""),
        ("publish (report, manifest, SHA256SUMS)", st.get("publish"), None, ""),
        ("**full run** (wall)", t["wall"], s["time"]["wall"] if s else None,
         "target ≤ 25 s at 1M; stock wall includes starting its cluster"),
        ("CPU user + sys", t["user"] + t["sys"],
         None, f"user {t['user']:.1f} + sys {t['sys']:.1f}; stock client-side only: "
         + (f"{s['time']['user'] + s['time']['sys']:.1f}" if s else "–")),
        ("parcels/s (full run)", par / t["wall"], par / s["time"]["wall"] if s else None, ""),
        ("peak RSS MB", t["rss"] / 1024, g("peak_rss_kb") / 1024 if s and g("peak_rss_kb") else None,
         "target ≤ 1.5 GB at 1M; stock: sampled Pss of the server + ogr2ogr"),
        ("rerun, nothing changed (wall)", best["rerun"]["wall"], None,
         "target ≤ 1 s; said 'unchanged'" if best["rerun_unchanged"] else "DID NOT notice"),
    ]
    for name, a, b, note in rows:
        d = 0 if name.startswith("parcels/s") or name.startswith("peak") else 2
        print(f"| {name} | {fmt(a, d)} | {fmt(b, d)} | {note} |")
    if s:
        print()
        print(f"Ratio stock path / landrec: core {g('load') and (sum(g(x) or 0 for x in ('load', 'reproject', 'validate', 'match', 'overlaps', 'value', 'extract')) / best['core']):.1f}×, "
              f"full run wall {s['time']['wall'] / t['wall']:.1f}× "
              f"(landrec's full run also writes workbooks, GeoPackage, report).")
    print()
    if len(runs) > 1:
        print("All landrec runs (wall s / CPU s / peak RSS MB): " + ", ".join(
            f"{r['t']['wall']:.1f} / {r['t']['user'] + r['t']['sys']:.1f} / {r['t']['rss'] / 1024:.0f}"
            for r in runs))
        print()
