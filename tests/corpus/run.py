#!/usr/bin/env python3
"""Run the bad-input corpus (see gen.py) and check every case.

Usage: run.py LANDREC_BINARY CORPUS_DIR [--jobs N] [--only SUBSTRING] [--show]

For each case: `landrec run CASE/landrec.yaml --out CASE/out --run-id c` with a timeout, then
  - the exit status is one of the case's accepted codes (never a signal, never a timeout);
  - stderr holds no sanitizer report (AddressSanitizer, LeakSanitizer, UBSan "runtime error");
  - a failure (exit 1-4) says why in an ERROR line; with check msg:TEXT that line names TEXT;
  - a completed run (exit 0 or 5) wrote manifest.json whose conservation adds up on both sides;
    exit 0 published (OUTPUT/latest), exit 5 did not; with check finding:CLASS, CLASS is a
    class in mismatches.csv or a reject reason in the manifest.
Prints one line per failed case and a summary; exit 1 when any case failed.
"""
import concurrent.futures
import csv
import json
import os
import subprocess
import sys

SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
TIMEOUT = 180


def check_run(d, rc, check):
    out = os.path.join(d, "out")
    run = os.path.join(out, "c")
    man_path = os.path.join(run, "manifest.json")
    if not os.path.exists(man_path):
        return f"exit {rc} but no manifest.json"
    m = json.load(open(man_path, encoding="utf-8"))
    for side in ("map", "register"):
        s = m["conservation"][side]
        total = s["matched"] + s["unmatched"] + sum(s["rejected"].values())
        if total != s["input"]:
            return f"conservation broken on {side}: {total} outcomes for {s['input']} inputs"
    published = os.path.islink(os.path.join(out, "latest"))
    if rc == 0 and not published:
        return "exit 0 without publication"
    if rc == 5 and published:
        return "exit 5 but published"
    kind, _, what = check.partition(":")
    if kind in ("finding", "nofinding"):
        classes = set()
        mis = os.path.join(run, "mismatches.csv")
        if os.path.exists(mis):
            classes |= {r["class"] for r in csv.DictReader(open(mis, encoding="utf-8"))}
        for side in ("map", "register"):
            classes |= {k for k, v in m["conservation"][side]["rejected"].items() if v}
        if kind == "finding" and what not in classes:
            return f"no '{what}' finding (classes: {', '.join(sorted(classes))})"
        if kind == "nofinding" and what in classes:
            return f"unexpected '{what}' finding"
    return None


def run_case(binary, corpus, name, exits, check):
    d = os.path.join(corpus, name)
    cmd = [binary, "run", os.path.join(d, "landrec.yaml"), "--out", os.path.join(d, "out"),
           "--run-id", "c", "--jobs", "1", "-q"]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return name, None, f"timed out after {TIMEOUT} s", ""
    err = p.stderr.decode("utf-8", "replace")
    rc = p.returncode
    first_error = next((ln for ln in err.splitlines() if " ERROR " in ln), "")
    for s in SANITIZER:
        if s in err:
            return name, rc, f"sanitizer report ({s})", err[-3000:]
    if rc < 0 or rc >= 128:
        return name, rc, f"died with exit/signal {rc}", err[-2000:]
    if rc not in exits:
        return name, rc, f"exit {rc}, want {','.join(map(str, exits))}: {first_error[:300]}", ""
    if rc in (1, 2, 3, 4):
        if not first_error:
            return name, rc, "failed without an ERROR line", err[-1000:]
        kind, _, what = check.partition(":")
        if kind == "msg" and what not in err:
            return name, rc, f"no '{what}' in the error: {first_error[:300]}", ""
        return name, rc, None, first_error
    return name, rc, check_run(d, rc, check), first_error


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else os.cpu_count()
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    show = "--show" in sys.argv
    cases = []
    for line in open(os.path.join(corpus, "cases.tsv"), encoding="utf-8"):
        name, exits, check, what = line.rstrip("\n").split("\t")
        if only in name:
            cases.append((name, [int(e) for e in exits.split(",")], check, what))
    failed, by_exit = [], {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = [pool.submit(run_case, binary, corpus, c[0], c[1], c[2]) for c in cases]
        for f, c in zip(futs, cases):
            name, rc, problem, detail = f.result()
            by_exit[rc] = by_exit.get(rc, 0) + 1
            if problem:
                failed.append(name)
                print(f"FAIL {name} ({c[3]}): {problem}")
                if detail and not show:
                    print("    " + detail.strip().replace("\n", "\n    ")[:3000])
            if show:
                print(f"{name}\t{rc}\t{c[3]}\t{detail.strip()[:200]}")
    summary = ", ".join(f"exit {k}: {v}" for k, v in sorted(by_exit.items(), key=lambda kv: str(kv[0])))
    print(f"corpus: {len(cases)} cases, {len(cases) - len(failed)} passed, {len(failed)} failed ({summary})")
    sys.exit(1 if failed else 0)


main()
