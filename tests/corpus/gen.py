#!/usr/bin/env python3
"""Generate the bad-input corpus from a small sample set.

Usage: gen.py SAMPLE_DIR OUT_DIR [--list]

SAMPLE_DIR is the output of `landrec sample DIR --parcels 40 --communes 1 --seed 3` (one commune,
maps/25195.shp without a .prj, register.csv, crosswalk.csv, communes.gpkg, price_zones.gpkg,
landrec.yaml). Every case is a copy of that set with one defect, in OUT_DIR/<case>/, run as
`landrec run OUT_DIR/<case>/landrec.yaml`. OUT_DIR/cases.tsv lists, tab separated:

    name  exits  check  what

exits: the accepted exit codes (comma separated); check: '-', 'msg:TEXT' (an ERROR line holds
TEXT), 'finding:CLASS' (CLASS is a class in mismatches.csv or a reject reason in the manifest)
or 'nofinding:CLASS'. Cases accept two exits only where both are right (e.g. a truncated file
GDAL reads up to the damage: 0 with the rest rejected or unmatched, or 3 naming the file); the
runner (run.py) checks the invariants of each outcome (conservation, messages, no sanitizer
report). Extra cases: every file in tests/corpus/configs/ is a config case whose first line is
`# expect: EXIT SUBSTRING`.
"""
import math
import os
import shutil
import sqlite3
import struct
import sys
import zipfile

SAMPLE, OUT = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def case(name, exits, check, what):
    """Register a case; returns its folder (a fresh copy of the sample)."""
    assert name not in [c[0] for c in CASES], name
    d = os.path.join(OUT, name)
    shutil.copytree(SAMPLE, d)
    what = what.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    CASES.append((name, ",".join(str(e) for e in exits), check, what))
    return d


def write(path, data):
    if os.path.exists(path) or os.path.islink(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- shapefile helpers -------------------------------------------------------------------------
SHP = "maps/25195.shp"
SHX = "maps/25195.shx"
DBF = "maps/25195.dbf"


def shp_records(data):
    """Contents of every record of a .shp (bytes after the 8-byte record header)."""
    recs, off = [], 100
    while off + 8 <= len(data):
        _, words = struct.unpack(">ii", data[off:off + 8])
        recs.append(data[off + 8:off + 8 + 2 * words])
        off += 8 + 2 * words
    return recs


def shp_build(header, recs):
    """A .shp and its .shx from a main header and record contents."""
    shp, shx = bytearray(header[:100]), bytearray(header[:100])
    for i, c in enumerate(recs):
        shx += struct.pack(">ii", len(shp) // 2, len(c) // 2)
        shp += struct.pack(">ii", i + 1, len(c) // 2) + c
    struct.pack_into(">i", shp, 24, len(shp) // 2)
    struct.pack_into(">i", shx, 24, len(shx) // 2)
    return bytes(shp), bytes(shx)


def poly(parts, stype=5, nparts=None, npoints=None, part_idx=None, extra=b""):
    """Polygon record content; the optional arguments forge inconsistent counts."""
    pts = [p for part in parts for p in part]
    idx, k = [], 0
    for part in parts:
        idx.append(k)
        k += len(part)
    if part_idx is not None:
        idx = part_idx
    xs = [p[0] for p in pts if not math.isnan(p[0])] or [0.0]
    ys = [p[1] for p in pts if not math.isnan(p[1])] or [0.0]
    c = struct.pack("<i4d", stype, min(xs), min(ys), max(xs), max(ys))
    c += struct.pack("<ii", len(idx) if nparts is None else nparts,
                     len(pts) if npoints is None else npoints)
    c += b"".join(struct.pack("<i", i) for i in idx)
    c += b"".join(struct.pack("<2d", x, y) for x, y in pts)
    if stype in (15, 25):  # Z/M ranges and values
        c += struct.pack("<2d", 0, 0) + b"".join(struct.pack("<d", 0) for _ in pts)
        if stype == 15:
            c += struct.pack("<2d", 0, 0) + b"".join(struct.pack("<d", 0) for _ in pts)
    return c + extra


def first_ring(rec):
    """(x, y) points of the first ring of a polygon record content."""
    _, nparts, npts = struct.unpack("<i32xii", rec[:44])
    base = 44 + 4 * nparts
    pts = [struct.unpack("<2d", rec[base + 16 * i:base + 16 * i + 16]) for i in range(npts)]
    ends = [struct.unpack("<i", rec[44 + 4 * i:48 + 4 * i])[0] for i in range(nparts)] + [npts]
    return pts[ends[0]:ends[1]]


def shp_case(name, exits, check, what, mutate):
    """A case whose record list (of the sample's first map) is changed by mutate(recs)."""
    d = case(name, exits, check, what)
    data = read(os.path.join(d, SHP))
    recs = shp_records(data)
    mutate(recs)
    shp, shx = shp_build(data, recs)
    write(os.path.join(d, SHP), shp)
    write(os.path.join(d, SHX), shx)


def bytes_case(name, exits, check, what, rel, fn):
    """A case whose file rel is replaced by fn(original bytes)."""
    d = case(name, exits, check, what)
    p = os.path.join(d, rel)
    write(p, fn(read(p)))
    return d


def patch(data, off, raw):
    b = bytearray(data)
    b[off:off + len(raw)] = raw
    return bytes(b)


# ---- dbf helpers -------------------------------------------------------------------------------
def dbf_fields(data):
    hl = struct.unpack("<H", data[8:10])[0]
    fields, off = {}, 1
    for i in range(32, hl - 1, 32):
        f = data[i:i + 32]
        if f[0] == 0x0D:
            break
        name = f[:11].split(b"\0")[0].decode("ascii", "replace")
        fields[name] = (off, f[16], i)
        off += f[16]
    return fields


def dbf_set(data, row, field, value):
    """Write value (bytes, padded) into field of 0-based row."""
    hl, rl = struct.unpack("<HH", data[8:12])
    off, width, _ = dbf_fields(data)[field]
    value = value[:width].ljust(width, b" ")
    return patch(data, hl + row * rl + off, value)


# ---- configs -----------------------------------------------------------------------------------
def cfg_case(name, exits, check, what, fn):
    d = case(name, exits, check, what)
    p = os.path.join(d, "landrec.yaml")
    text = read(p).decode("utf-8")
    out = fn(text)
    write(p, out if isinstance(out, bytes) else out.encode("utf-8"))
    return d


def gen_configs():
    r = lambda a, b: (lambda t: t.replace(a, b, 1))  # noqa: E731
    C = [
        ("cfg-unknown-top", "target_crs:", "taget_crs:", "msg:taget_crs"),
        ("cfg-unknown-nested", "  sliver_thinness:", "  sliver_thiness:", "msg:sliver_thiness"),
        ("cfg-unknown-field", "commune: ma_xa", "comune: ma_xa", "msg:comune"),
        ("cfg-unknown-run", "  jobs: 0", "  jbos: 0", "msg:jbos"),
        ("cfg-jobs-text", "  jobs: 0", "  jobs: many", "msg:jobs"),
        ("cfg-jobs-negative", "  jobs: 0", "  jobs: -4", "msg:jobs"),
        ("cfg-jobs-huge", "  jobs: 0", "  jobs: 99999999999999999999999", "msg:jobs"),
        ("cfg-thinness-text", "sliver_thinness: 0.05", "sliver_thinness: thin", "msg:sliver_thinness"),
        ("cfg-thinness-nan", "sliver_thinness: 0.05", "sliver_thinness: .nan", "msg:sliver_thinness"),
        ("cfg-ratio-negative", "max_unmatched_ratio: 0.30", "max_unmatched_ratio: -0.5", "msg:max_unmatched_ratio"),
        ("cfg-ratio-above-one", "max_unmatched_ratio: 0.30", "max_unmatched_ratio: 7", "msg:max_unmatched_ratio"),
        ("cfg-ratio-inf", "max_unrepairable_ratio: 0.01", "max_unrepairable_ratio: .inf", "msg:max_unrepairable_ratio"),
        ("cfg-overlap-negative", "min_overlap_m2: 0.5", "min_overlap_m2: -1", "msg:min_overlap_m2"),
        ("cfg-repair-bad", "repair: structure", "repair: glue", "msg:repair"),
        ("cfg-method-bad", "method: interior_point", "method: centroidish", "msg:method"),
        ("cfg-tolerance-bad", "area_tolerance: regulation", "area_tolerance: lenient", "msg:area_tolerance"),
        ("cfg-tolerance-negative", "area_tolerance: regulation", "area_tolerance: -0.05", "msg:area_tolerance"),
        ("cfg-encoding-bad", "encoding: TCVN3", "encoding: KLINGON", "msg:encoding"),
        ("cfg-crs-bad", "target_crs: EPSG:5899", "target_crs: EPSG:999999", "msg:EPSG:999999"),
        ("cfg-crs-text", "target_crs: EPSG:5899", "target_crs: somewhere nice", "msg:target_crs"),
        ("cfg-map-crs-bad", "crs: EPSG:9212", "crs: EPSG:0", "msg:EPSG:0"),
        ("cfg-scale-text", "scale: 2000", "scale: big", "msg:scale"),
        ("cfg-scale-negative", "scale: 2000", "scale: -2000", "msg:scale"),
        ("cfg-scale-zero", "scale: 2000", "scale: 0", "msg:scale"),
        ("cfg-limit-negative", "residential_limit_m2: 200", "residential_limit_m2: -200", "msg:residential_limit_m2"),
        ("cfg-limit-text", "residential_limit_m2: 200", "residential_limit_m2: lots", "msg:residential_limit_m2"),
        ("cfg-tax-short", "residential: [0.0003, 0.0007, 0.0015]", "residential: [0.0003]", "msg:residential"),
        ("cfg-tax-long", "residential: [0.0003, 0.0007, 0.0015]", "residential: [0.0003, 0.0007, 0.0015, 0.002]", "msg:residential"),
        ("cfg-tax-negative", "non_agricultural_other: 0.0003", "non_agricultural_other: -0.0003", "msg:non_agricultural_other"),
        ("cfg-tax-text", "agricultural: 0", "agricultural: free", "msg:agricultural"),
        ("cfg-tax-map", "agricultural: 0", "agricultural: {a: 1}", "msg:agricultural"),
        ("cfg-maps-scalar", "  maps:\n", "  maps: maps/*.shp\n  mapz:\n", "msg:map"),
        ("cfg-fields-list", "fields: {zone: zone_id", "fields: [zone: zone_id", "msg:landrec.yaml"),
        ("cfg-no-parcel-field", "parcel: SOTHUA, ", "", "msg:parcel"),
        ("cfg-no-register-key", "parcel: so_thua, ", "", "msg:parcel"),
        ("cfg-duplicate-key", "target_crs: EPSG:5899", "target_crs: EPSG:5899\ntarget_crs: EPSG:5899", "msg:target_crs"),
        ("cfg-tab-indent", "  name: sample", "\tname: sample", "msg:landrec.yaml"),
        ("cfg-unclosed-brace", "price: price_vnd_m2}", "price: price_vnd_m2", "msg:landrec.yaml"),
        ("cfg-unclosed-quote", "name: sample", "name: \"sample", "msg:landrec.yaml"),
        ("cfg-name-empty", "name: sample", "name: ''", "msg:name"),
        ("cfg-run-list", "run:\n", "run: [1, 2]\nrun2:\n", "msg:run"),
    ]
    for name, a, b, check in C:
        cfg_case(name, [2], check, f"config: '{a.strip()[:30]}' -> '{b.strip()[:30]}'", r(a, b))
    cfg_case("cfg-name-slash", [0, 2, 5], "-", "run name 'a/b' (refused only when it makes the run id)", r("name: sample", "name: a/b"))
    cfg_case("cfg-empty", [2], "msg:landrec.yaml", "empty config", lambda t: "")
    cfg_case("cfg-only-comment", [2], "msg:landrec.yaml", "config of comments only", lambda t: "# nothing\n")
    cfg_case("cfg-scalar", [2], "msg:landrec.yaml", "config is a scalar", lambda t: "hello\n")
    cfg_case("cfg-list", [2], "msg:landrec.yaml", "config is a list", lambda t: "- a\n- b\n")
    cfg_case("cfg-binary", [2], "msg:landrec.yaml", "config is binary", lambda t: bytes(range(256)) * 4)
    cfg_case("cfg-nul", [2], "msg:landrec.yaml", "NUL inside the config", lambda t: t.encode()[:200] + b"\0" + t.encode()[200:])
    cfg_case("cfg-bad-utf8", [2], "msg:landrec.yaml", "invalid UTF-8 in a value", lambda t: t.encode().replace(b"name: sample", b"name: sa\xffmple"))
    cfg_case("cfg-bom", [0, 5], "-", "UTF-8 BOM before the config (accepted)", lambda t: b"\xef\xbb\xbf" + t.encode())
    cfg_case("cfg-crlf", [0, 5], "-", "CRLF line ends (accepted)", lambda t: t.replace("\n", "\r\n"))
    cfg_case("cfg-utf16", [2], "msg:landrec.yaml", "config in UTF-16", lambda t: t.encode("utf-16"))
    cfg_case("cfg-deep-nesting", [2], "msg:landrec.yaml", "10000 nested lists", lambda t: t + "x: " + "[" * 10000 + "]" * 10000 + "\n")
    cfg_case("cfg-long-line", [2], "msg:landrec.yaml", "a 1 MB key", lambda t: t + "k" * (1 << 20) + ": 1\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    cfg_case("cfg-alias-bomb", [2], "msg:landrec.yaml", "billion laughs (aliases)", lambda t: bomb + t)
    cfg_case("cfg-alias-value", [2], "msg:landrec.yaml", "an alias where a number belongs", lambda t: t.replace("  jobs: 0", "  jobs: *nothing"))
    cfg_case("cfg-missing-register", [3], "msg:nothere.csv", "register path missing", r("path: register.csv", "path: nothere.csv"))
    cfg_case("cfg-glob-nothing", [3], "msg:nomaps/*.shp", "maps glob matches nothing", r("path: maps/*.shp", "path: nomaps/*.shp"))
    cfg_case("cfg-missing-zones", [3], "msg:zones_gone.gpkg", "price zones missing", r("path: price_zones.gpkg", "path: zones_gone.gpkg"))
    cfg_case("cfg-missing-crosswalk", [3], "msg:cw.csv", "crosswalk missing", r("crosswalk: crosswalk.csv", "crosswalk: cw.csv"))
    cfg_case("cfg-missing-boundaries", [3], "msg:nb.gpkg", "boundaries missing", r("boundaries: communes.gpkg", "boundaries: nb.gpkg"))
    cfg_case("cfg-register-is-dir", [3], "msg:maps", "register path is a folder", r("path: register.csv", "path: maps"))
    cfg_case("cfg-zone-field-missing", [3], "msg:price_vnd_m3", "zone price field absent", r("price: price_vnd_m2", "price: price_vnd_m3"))
    cfg_case("cfg-map-field-missing", [3], "msg:SOTHUAX", "map parcel field absent", r("parcel: SOTHUA", "parcel: SOTHUAX"))
    cfg_case("cfg-register-field-missing", [3], "msg:so_thuaX", "register parcel field absent", r("parcel: so_thua", "parcel: so_thuaX"))
    cfg_case("cfg-corrections-missing", [3], "msg:corr.csv", "corrections file missing", r("  area_tolerance: regulation", "  area_tolerance: regulation\n  corrections: corr.csv"))
    cfg_case("cfg-crs-force-wrong", [0, 3, 5], "-", "force a geographic CRS on projected maps", r("crs: EPSG:9212", "crs: EPSG:4326\n      force: true"))
    extra = os.path.join(HERE, "configs")
    for fn in sorted(os.listdir(extra)) if os.path.isdir(extra) else []:
        text = read(os.path.join(extra, fn))
        first = text.split(b"\n", 1)[0].decode()
        assert first.startswith("# expect: "), fn
        code, _, sub = first[len("# expect: "):].partition(" ")
        d = case("cfgfile-" + os.path.splitext(fn)[0], [int(c) for c in code.split(",")],
                 "msg:" + sub if sub else "-", f"config from tests/corpus/configs/{fn}")
        write(os.path.join(d, "landrec.yaml"), text)


# ---- shapefiles --------------------------------------------------------------------------------
def gen_shapefiles():
    shp = read(os.path.join(SAMPLE, SHP))
    shx = read(os.path.join(SAMPLE, SHX))
    n = len(shp)
    # truncations: the header, the first record header, inside records, one byte short
    for off in [0, 1, 50, 99, 100, 104, 108, 120, 150] + [n * k // 10 for k in range(1, 10)] + [n - 8, n - 1]:
        bytes_case(f"shp-trunc-{off}", [0, 3, 5], "-", f".shp truncated at byte {off} of {n}", SHP, lambda b, o=off: b[:o])
    for off in [0, 50, 100, 108, len(shx) // 2, len(shx) - 1]:
        bytes_case(f"shx-trunc-{off}", [0, 3, 5], "-", f".shx truncated at byte {off}", SHX, lambda b, o=off: b[:o])
    for i, (val, what) in enumerate([(0x7FFFFFFF, "huge"), (-1, "negative"), (0, "zero"), (10, "inside the header"), (n // 2 // 2 + 3, "mid-record"), (n // 2 - 2, "the last word")]):
        bytes_case(f"shx-offset-{i}", [0, 3, 5], "-", f".shx record 3 offset {what}", SHX, lambda b, v=val: patch(b, 100 + 8 * 2, struct.pack(">i", v)))
    for i, val in enumerate([0x7FFFFFFF, -5, 0]):
        bytes_case(f"shx-length-{i}", [0, 3, 5], "-", f".shx record 2 content length {val}", SHX, lambda b, v=val: patch(b, 100 + 8 + 4, struct.pack(">i", v)))
    bytes_case("shx-file-length-huge", [0, 3, 5], "-", ".shx header file length huge", SHX, lambda b: patch(b, 24, struct.pack(">i", 0x7FFFFFFF)))
    bytes_case("shp-file-length-huge", [0, 3, 5], "-", ".shp header file length huge", SHP, lambda b: patch(b, 24, struct.pack(">i", 0x7FFFFFFF)))
    bytes_case("shp-file-length-small", [0, 3, 5], "-", ".shp header file length 50", SHP, lambda b: patch(b, 24, struct.pack(">i", 50)))
    bytes_case("shp-magic", [0, 3], "-", ".shp file code wrong", SHP, lambda b: patch(b, 0, struct.pack(">i", 1234)))
    bytes_case("shp-header-type-point", [0, 3, 5], "-", ".shp header says points", SHP, lambda b: patch(b, 32, struct.pack("<i", 1)))
    bytes_case("shp-header-bbox-nan", [0, 5], "-", ".shp header bbox NaN", SHP, lambda b: patch(b, 36, struct.pack("<4d", *[float("nan")] * 4)))
    bytes_case("shp-rec-len-huge", [0, 3, 5], "-", "record 2 content length huge", SHP, lambda b: patch(b, 100 + 8 + len(shp_records(b)[0]) + 4, struct.pack(">i", 0x3FFFFFFF)))
    bytes_case("shp-zeroed", [0, 3, 5], "-", ".shp of zero bytes after the header", SHP, lambda b: b[:100] + bytes(len(b) - 100))
    bytes_case("shp-garbage", [3], "msg:25195", ".shp is random bytes", SHP, lambda b: bytes((i * 131 + 7) & 255 for i in range(len(b))))
    bytes_case("shp-empty", [3], "msg:25195", ".shp is empty", SHP, lambda b: b"")
    for ext in ("shx", "dbf"):
        d = case(f"shp-no-{ext}", [0, 3, 5], "-", f"the map has no .{ext}")
        os.unlink(os.path.join(d, f"maps/25195.{ext}"))

    def set_rec(i, content):
        return lambda recs: recs.__setitem__(i, content)

    def ring_of(recs, i=2):
        return first_ring(recs[i])

    base = shp_records(shp)
    r0 = first_ring(base[2])
    nan, inf = float("nan"), float("inf")
    x0, y0 = r0[0]
    geo = [
        ("ring-1-point", [[r0[0]]], "finding:too_few_points"),
        ("ring-2-points", [[r0[0], r0[1]]], "finding:too_few_points"),
        ("ring-3-points", [[r0[0], r0[1], r0[0]]], "finding:too_few_points"),
        ("ring-unclosed", [r0[:-1]], "-"),
        ("ring-all-same", [[r0[0]] * 5], "finding:too_few_points"),
        ("ring-collinear", [[(x0, y0), (x0 + 1, y0 + 1), (x0 + 2, y0 + 2), (x0, y0)]], "-"),
        ("coord-nan-x", [[(nan, r0[0][1])] + r0[1:]], "finding:bad_coordinates"),
        ("coord-nan-all", [[(nan, nan)] * 5], "finding:bad_coordinates"),
        ("coord-inf-y", [[(r0[0][0], inf)] + r0[1:]], "finding:bad_coordinates"),
        ("coord-neg-inf", [[(-inf, -inf)] + r0[1:]], "finding:bad_coordinates"),
        ("coord-1e308", [[(1e308, 1e308), (1.7e308, 1e308), (1.7e308, 1.7e308), (1e308, 1e308)]], "msg:25195.shp"),
        ("coord-1e20", [[(1e20, 1e20), (2e20, 1e20), (2e20, 2e20), (1e20, 1e20)]], "msg:25195.shp"),
        ("coord-denormal", [[(5e-324, 5e-324), (1e-323, 5e-324), (1e-323, 1e-323), (5e-324, 5e-324)]], "msg:25195.shp"),
        ("coord-far-away", [[(x + 9e6, y) for x, y in r0]], "msg:25195.shp"),
        ("bowtie", [[(x0, y0), (x0 + 10, y0 + 10), (x0 + 10, y0), (x0, y0 + 10), (x0, y0)]], "finding:self_intersection"),
        ("hole-outside", [r0, [(x + 1e4, y) for x, y in r0]], "-"),
        ("hole-only-reversed", [list(reversed(r0))], "-"),
        ("many-vertices", [[(r0[0][0] + 50 * math.cos(2 * math.pi * i / 20000), r0[0][1] + 50 * math.sin(2 * math.pi * i / 20000)) for i in range(20000)] + [(r0[0][0] + 50, r0[0][1])]], "-"),
        ("many-parts", [[(r0[0][0] + 3 * k, r0[0][1]), (r0[0][0] + 3 * k + 1, r0[0][1]), (r0[0][0] + 3 * k + 1, r0[0][1] + 1), (r0[0][0] + 3 * k, r0[0][1])] for k in range(2000)], "-"),
        ("spike", [r0[:2] + [(r0[1][0] + 500, r0[1][1] + 500), r0[1]] + r0[2:]], "-"),
    ]
    for name, parts, check in geo:
        # coordinates outside the map CRS's plausible range fail the layer (exit 3, the load
        # stage's CRS safety check), which is right too
        exits = [0, 3, 5] if check.startswith("msg:") else [0, 5]
        shp_case(f"geom-{name}", exits, check, f"record 3: {name}", set_rec(2, poly(parts)))
    pts = r0
    forged = [
        ("nparts-zero", dict(nparts=0, part_idx=[])),
        ("nparts-huge", dict(nparts=0x7FFFFFFF)),
        ("nparts-negative", dict(nparts=-1)),
        ("npoints-huge", dict(npoints=0x7FFFFFFF)),
        ("npoints-negative", dict(npoints=-3)),
        ("npoints-zero", dict(npoints=0)),
        ("part-index-beyond", dict(part_idx=[0, 10000])),
        ("part-index-negative", dict(part_idx=[-5])),
        ("part-index-unsorted", dict(part_idx=[3, 0])),
        ("part-index-not-zero", dict(part_idx=[2])),
    ]
    for name, kw in forged:
        shp_case(f"rec-{name}", [0, 3, 5], "-", f"record 3: {name}", set_rec(2, poly([pts], **kw)))
    for stype, what in [(0, "null"), (1, "point"), (3, "polyline"), (8, "multipoint"), (15, "polygonZ"), (25, "polygonM"), (31, "multipatch"), (99, "unknown type 99"), (-1, "type -1")]:
        if stype == 0:
            content = struct.pack("<i", 0)
        elif stype == 1:
            content = struct.pack("<i2d", 1, *pts[0])
        elif stype == 8:
            content = struct.pack("<i4di", 8, 0, 0, 1, 1, 1) + struct.pack("<2d", *pts[0])
        else:
            content = poly([pts], stype=stype)
        shp_case(f"rec-type-{stype if stype >= 0 else 'neg'}", [0, 3, 5], "-", f"record 3 of type {what}", set_rec(2, content))
    shp_case("rec-short", [0, 3, 5], "-", "record 3 content 10 bytes", set_rec(2, poly([pts])[:10] + b"\0\0"))
    shp_case("rec-empty-content", [0, 3, 5], "-", "record 3 content empty", set_rec(2, b""))
    shp_case("rec-all-null", [0, 3, 5], "-", "every record null", lambda recs: recs.__setitem__(slice(0, len(recs)), [struct.pack("<i", 0)] * len(recs)))
    shp_case("rec-fewer-than-dbf", [0, 3, 5], "-", "5 .shp records fewer than .dbf rows", lambda recs: recs.__delitem__(slice(len(recs) - 5, len(recs))))
    shp_case("rec-more-than-dbf", [0, 3, 5], "-", "3 .shp records more than .dbf rows", lambda recs: recs.extend(recs[:3]))
    d = case("prj-garbage", [0, 3, 5], "-", "a .prj of garbage next to the map")
    write(os.path.join(d, "maps/25195.prj"), b"GEOGCS[garbage\xff\xfe(((")
    d = case("prj-wgs84", [0, 3, 5], "msg:25195.shp", "a .prj saying WGS 84 (wrong; config CRS not forced)")
    write(os.path.join(d, "maps/25195.prj"), b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
    d = case("cpg-weird", [0, 5], "-", "a .cpg naming an unknown code page")
    write(os.path.join(d, "maps/25195.cpg"), b"KOI-9-XYZ")
    d = case("second-map-garbage", [3], "msg:zz.shp", "a second map file of garbage")
    write(os.path.join(d, "maps/zz.shp"), b"not a shapefile at all" * 10)


# ---- dbf ---------------------------------------------------------------------------------------
def gen_dbf():
    dbf = read(os.path.join(SAMPLE, DBF))
    nrec, hl, rl = struct.unpack("<IHH", dbf[4:12])
    hdr = [
        ("nrec-huge", 4, struct.pack("<I", 0xFFFFFFFF)),
        ("nrec-2g", 4, struct.pack("<I", 0x7FFFFFFF)),
        ("nrec-zero", 4, struct.pack("<I", 0)),
        ("nrec-plus1", 4, struct.pack("<I", nrec + 1)),
        ("nrec-minus1", 4, struct.pack("<I", nrec - 1)),
        ("hlen-huge", 8, struct.pack("<H", 0xFFFF)),
        ("hlen-zero", 8, struct.pack("<H", 0)),
        ("hlen-31", 8, struct.pack("<H", 31)),
        ("hlen-minus1", 8, struct.pack("<H", hl - 1)),
        ("rlen-zero", 10, struct.pack("<H", 0)),
        ("rlen-one", 10, struct.pack("<H", 1)),
        ("rlen-huge", 10, struct.pack("<H", 0xFFFF)),
        ("rlen-minus1", 10, struct.pack("<H", rl - 1)),
        ("version-junk", 0, b"\xff"),
        ("field-width-zero", 32 + 16, b"\x00"),
        ("field-width-255", 32 + 16, b"\xff"),
        ("field-type-junk", 32 + 11, b"Q"),
        ("field-name-junk", 32, b"\xff\xfe\x00\x01AB\x00\x00\x00\x00\x00"),
        ("no-terminator", hl - 1, b"\x20"),
    ]
    for name, off, raw in hdr:
        bytes_case(f"dbf-{name}", [0, 3, 5], "-", f".dbf header: {name}", DBF, lambda b, o=off, r=raw: patch(b, o, r))
    for off in [0, 10, 32, 100, hl - 1, hl, hl + rl // 2, hl + rl * 10 + 3, len(dbf) - 1]:
        bytes_case(f"dbf-trunc-{off}", [0, 3, 5], "-", f".dbf truncated at byte {off}", DBF, lambda b, o=off: b[:o])
    bytes_case("dbf-deleted-row", [0, 3, 5], "msg:25195.shp", "row 4 flagged deleted", DBF, lambda b: patch(b, hl + 3 * rl, b"*"))
    bytes_case("dbf-deleted-all", [0, 3, 5], "-", "every row flagged deleted", DBF, lambda b: b"".join([b[:hl]] + [b"*" + b[hl + i * rl + 1:hl + (i + 1) * rl] for i in range(nrec)] + [b[hl + nrec * rl:]]))
    keys = [
        ("maxa-empty", "MAXA", b""), ("maxa-text", "MAXA", b"abcde"), ("maxa-short", "MAXA", b"2519"),
        ("maxa-neg", "MAXA", b"-1"), ("maxa-spaces", "MAXA", b" 25 1"), ("maxa-bytes", "MAXA", b"\xff\x00\x01\x80\x7f"),
        ("sheet-empty", "SHBANDO", b""), ("sheet-text", "SHBANDO", b"abc"), ("sheet-neg", "SHBANDO", b"-3"),
        ("sheet-exp", "SHBANDO", b"1e3"), ("sheet-hex", "SHBANDO", b"0x1F"), ("sheet-frac", "SHBANDO", b"1.5"),
        ("sheet-zero", "SHBANDO", b"0"), ("sheet-huge", "SHBANDO", b"999999"),
        ("parcel-empty", "SOTHUA", b""), ("parcel-text", "SOTHUA", b"x1"), ("parcel-neg", "SOTHUA", b"-0"),
        ("parcel-nul", "SOTHUA", b"\x00\x00\x00"), ("parcel-lead-zero", "SOTHUA", b"000003"),
        ("area-text", "DIENTICH", b"about 12"), ("area-neg", "DIENTICH", b"-100.0"), ("area-huge", "DIENTICH", b"9999999999.9"),
        ("area-nan", "DIENTICH", b"nan"), ("area-comma", "DIENTICH", b"1,5"),
        ("scale-zero", "TYLEBD", b"0"), ("scale-neg", "TYLEBD", b"-500"), ("scale-text", "TYLEBD", b"lon"),
        ("landuse-junk", "LOAIDAT", b"\xff\xfe\xfd"), ("landuse-empty", "LOAIDAT", b""),
        ("place-bytes", "XUDONG", bytes(range(1, 41))), ("owner-bytes", "TENCHU", bytes(range(128, 188))),
    ]
    for name, field, value in keys:
        # MAXA is a C field; SHBANDO and SOTHUA are N fields, which GDAL reads as numbers (junk
        # reads as 0: a key of sheet or parcel 0, not a bad key)
        finding = {"maxa-text": "finding:bad_key", "maxa-empty": "finding:bad_key"}.get(name, "-")
        bytes_case(f"dbfval-{name}", [0, 5], finding, f"row 3 {field} = {value!r}", DBF, lambda b, f=field, v=value: dbf_set(b, 2, f, v))
    bytes_case("dbfval-dup-key", [0, 5], "finding:duplicate_key", "rows 3 and 4 share a key", DBF,
               lambda b: dbf_set(dbf_set(b, 3, "SHBANDO", b[hl + 2 * rl + dbf_fields(b)["SHBANDO"][0]:][:6]), 3, "SOTHUA",
                                 b[hl + 2 * rl + dbf_fields(b)["SOTHUA"][0]:][:6]))


# ---- register CSV ------------------------------------------------------------------------------
def gen_register():
    text = read(os.path.join(SAMPLE, "register.csv"))
    lines = text.split(b"\n")
    head, rows = lines[0], [ln for ln in lines[1:] if ln]

    def reg(name, exits, check, what, fn):
        bytes_case(f"reg-{name}", exits, check, what, "register.csv", fn)

    def row_field(i, col, value):
        def fn(b):
            ls = b.split(b"\n")
            import csv
            import io
            r = next(csv.reader(io.StringIO(ls[i + 1].decode("utf-8"))))
            r[col] = value
            s = io.StringIO()
            csv.writer(s, lineterminator="").writerow(r)
            ls[i + 1] = s.getvalue().encode("utf-8")
            return b"\n".join(ls)
        return fn

    reg("semicolon", [0, 3, 5], "-", "; as the delimiter", lambda b: b.replace(b",", b";"))
    reg("tab", [0, 3, 5], "-", "tab as the delimiter", lambda b: b.replace(b",", b"\t"))
    reg("pipe", [0, 3, 5], "-", "| as the delimiter", lambda b: b.replace(b",", b"|"))
    reg("quote-open-first", [0, 3, 5], "-", "unbalanced quote in row 1", lambda b: b.replace(b"\n", b'\n"', 1))
    reg("quote-open-middle", [0, 3, 5], "-", "unbalanced quote in row 20", lambda b: b"\n".join(ls if i != 20 else b'"' + ls for i, ls in enumerate(b.split(b"\n"))))
    reg("quote-open-last", [0, 3, 5], "-", "unbalanced quote in the last row", lambda b: b.rstrip(b"\n") + b',"\n')
    reg("quote-stray", [0, 3, 5], "-", "stray quotes inside fields", lambda b: b.replace(b"Khu", b'K"h"u'))
    reg("bom", [0, 5], "-", "UTF-8 BOM (accepted)", lambda b: b"\xef\xbb\xbf" + b)
    reg("bom-twice", [0, 3, 5], "-", "two UTF-8 BOMs", lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b)
    reg("utf16le", [0, 3, 5], "-", "UTF-16LE with BOM", lambda b: b"\xff\xfe" + b.decode("utf-8").encode("utf-16-le"))
    reg("utf16be", [0, 3, 5], "-", "UTF-16BE with BOM", lambda b: b"\xfe\xff" + b.decode("utf-8").encode("utf-16-be"))
    reg("invalid-utf8", [0, 3, 5], "-", "invalid UTF-8 bytes in owner names", lambda b: b.replace("Trần".encode(), b"Tr\xe0\xa0n").replace(b"Ng", b"N\xff\xfeg", 3))
    reg("overlong-utf8", [0, 3, 5], "-", "overlong UTF-8 sequences", lambda b: b.replace(b"Khu", b"\xc1\x8bhu", 5))
    reg("surrogate-utf8", [0, 3, 5], "-", "UTF-8-encoded surrogates", lambda b: b.replace(b"Khu", b"\xed\xa0\x80hu", 5))
    reg("cp1258", [0, 3, 5], "-", "the whole register in CP1258", lambda b: b.decode("utf-8").encode("cp1258", "replace"))
    reg("mixed-encodings", [0, 3, 5], "-", "half the rows CP1258, half UTF-8", lambda b: b"\n".join(ls if i % 2 else ls.decode("utf-8").encode("cp1258", "replace") for i, ls in enumerate(b.split(b"\n"))))
    reg("latin1-header", [0, 3, 5], "-", "header in Latin-1 with accents", lambda b: b.replace(b"dia_chi", "địa_chỉ".encode("utf-8")).replace(b"ma_xa", b"m\xe0_xa", 1))
    reg("crlf", [0, 5], "-", "CRLF line ends", lambda b: b.replace(b"\n", b"\r\n"))
    reg("cr-only", [0, 3, 5], "-", "CR line ends", lambda b: b.replace(b"\n", b"\r"))
    reg("no-final-newline", [0, 5], "-", "no final newline", lambda b: b.rstrip(b"\n"))
    reg("blank-lines", [0, 5], "-", "blank lines between rows", lambda b: b.replace(b"\n", b"\n\n"))
    reg("empty", [3], "msg:register.csv", "empty file", lambda b: b"")
    reg("header-only", [0, 3, 5], "-", "header without rows", lambda b: head + b"\n")
    reg("no-header", [0, 3, 5], "-", "rows without the header", lambda b: b"\n".join(rows) + b"\n")
    reg("missing-column", [3], "msg:so_thua", "no so_thua column", lambda b: b.replace(b"so_thua", b"so_thu4", 1))
    reg("dup-column", [0, 3, 5], "-", "so_to twice in the header", lambda b: b.replace(b"so_thua", b"so_to", 1))
    reg("extra-columns", [0, 5], "-", "rows with 3 extra fields", lambda b: b"\n".join(ls + b",x,y,z" if i else ls for i, ls in enumerate(b.split(b"\n")) if ls) + b"\n")
    reg("fewer-columns", [0, 3, 5], "-", "rows cut after the area", lambda b: b"\n".join(b",".join(ls.split(b",")[:5]) if i else ls for i, ls in enumerate(b.split(b"\n"))))
    reg("nul-bytes", [0, 3, 5], "-", "NUL bytes in rows", lambda b: b.replace(b"Khu", b"K\x00u"))
    reg("long-field", [0, 5], "-", "a 2 MB address", row_field(5, 8, "x" * (2 << 20)))
    reg("long-line-unquoted", [0, 3, 5], "-", "a 1 MB line of commas", lambda b: b + b"," * (1 << 20) + b"\n")
    reg("binary", [0, 3, 5], "-", "random bytes", lambda b: bytes((i * 167 + 13) & 255 for i in range(len(b))))
    reg("gzip", [0, 3, 5], "-", "gzip bytes named .csv", lambda b: __import__("gzip").compress(b))
    reg("dup-rows", [0, 5], "finding:duplicate_key", "every row twice", lambda b: b + b"\n".join(rows) + b"\n")
    reg("trailing-garbage", [0, 5], "-", "a garbage last line", lambda b: b + b"\x01\x02garbage;;;\"\n")
    cells = [
        (0, "", "finding:bad_key"), (0, "abc", "finding:bad_key"), (0, "2519", "-"), (0, "251950", "-"),
        (0, " 25195 ", "-"), (0, "-25195", "finding:bad_key"), (0, "25195.0", "-"), (0, "２５１９５", "-"),
        (1, "", "finding:bad_key"), (1, "0", "-"), (1, "-1", "finding:bad_key"), (1, "1e2", "-"), (1, "0001", "-"),
        (1, "1 2", "-"), (1, "99999999999999999999", "finding:bad_key"), (1, "١", "-"),
        (2, "", "finding:bad_key"), (2, "x", "finding:bad_key"), (2, "3a", "-"), (2, "+3", "-"), (2, "0x10", "-"),
        (2, "2147483648", "-"), (2, "\t7\t", "-"),
        (3, "", "-"), (3, "????", "-"), (3, "ĐẤT Ở", "-"), (3, "ODT" * 50, "-"),
        (4, "", "-"), (4, "abc", "-"), (4, "-5", "-"), (4, "1,234.5", "-"), (4, "1.234,5", "-"), (4, "1e400", "-"),
        (4, "NaN", "-"), (4, "inf", "-"), (4, "0x10", "-"), (4, "999999999999999999999", "-"), (4, "12.3456789", "-"),
        (4, " 12.5 ", "-"), (4, "12..5", "-"), (4, ".5", "-"), (4, "5.", "-"),
        (5, "", "-"), (5, "a\nb", "-"), (5, "\"quoted\"", "-"), (6, "", "-"), (7, "x" * 1000, "-"), (8, "", "-"),
    ]
    cols = ["commune", "sheet", "parcel", "landuse", "area", "owner", "ownerid", "cert", "address"]
    for k, (col, value, check) in enumerate(cells):
        reg(f"cell-{cols[col]}-{k}", [0, 5], check, f"row 4 {cols[col]} = {value[:20]!r}", row_field(3, col, value))


# ---- crosswalk, corrections, zones, boundaries, XLSX -------------------------------------------
def gen_reference():
    def cw(name, exits, check, what, fn):
        bytes_case(f"crosswalk-{name}", exits, check, what, "crosswalk.csv", fn)

    cw("empty", [3], "msg:crosswalk.csv", "empty crosswalk", lambda b: b"")
    cw("header-only", [3], "msg:crosswalk.csv", "crosswalk without rows", lambda b: b.split(b"\n")[0] + b"\n")
    cw("bad-code", [0, 3, 5], "-", "old code 'abc'", lambda b: b.replace(b"\n25195,", b"\nabc,", 1))
    cw("new-code-text", [0, 3, 5], "-", "new code 'xyz'", lambda b: b.replace(b",25195,", b",xyz,", 1))
    cw("missing-column", [3], "msg:crosswalk.csv", "no new_code column", lambda b: b.replace(b"new_code", b"neu_code", 1))
    cw("split-commune", [0, 5], "-", "an old code mapped to two new codes", lambda b: b + b"25195,X,26000,Y\n")
    cw("unknown-commune", [0, 5], "-", "crosswalk for another commune only", lambda b: b.replace(b"\n25195,", b"\n26001,", 1))
    cw("invalid-utf8", [3], "msg:crosswalk.csv", "names not UTF-8", lambda b: b.replace("Phường".encode(), b"Ph\xff\xfeng"))
    cw("binary", [0, 3, 5], "-", "random bytes", lambda b: bytes((i * 97 + 1) & 255 for i in range(400)))
    cw("bom", [0, 5], "-", "UTF-8 BOM", lambda b: b"\xef\xbb\xbf" + b)

    def corr(name, exits, check, what, body):
        d = case(f"corrections-{name}", exits, check, what)
        write(os.path.join(d, "corrections.csv"), body)
        p = os.path.join(d, "landrec.yaml")
        write(p, read(p).replace(b"  area_tolerance: regulation", b"  area_tolerance: regulation\n  corrections: corrections.csv"))

    h = b"parcel_key,record_key,class,action,note\n"
    corr("empty", [0, 2, 3, 5], "-", "empty corrections file", b"")
    corr("header-only", [0, 5], "-", "header only", h)
    corr("bad-action", [2, 3], "msg:corrections.csv", "action 'delete'", h + b"25195-1-1,25195-1-1,area_mismatch,delete,x\n")
    corr("bad-class", [2, 3], "msg:corrections.csv", "class 'weird'", h + b"25195-1-1,25195-1-1,weird,accept,x\n")
    corr("bad-key", [2, 3], "msg:corrections.csv", "parcel key 'abc'", h + b"abc,25195-1-1,area_mismatch,accept,x\n")
    corr("stale", [0, 5], "-", "a correction whose finding is gone", h + b"25195-99-99,,map_only,accept,gone\n")
    corr("link-nonexistent", [0, 2, 3, 5], "-", "link of keys that do not exist", h + b"25195-98-1,25195-98-2,,link,x\n")
    corr("binary", [2, 3], "msg:corrections.csv", "random bytes", bytes((i * 53 + 11) & 255 for i in range(300)))
    corr("unquoted-newline", [0, 2, 3, 5], "-", "a note with an open quote", h + b'25195-1-1,,map_only,accept,"open\n')

    def gpkg(name, exits, check, what, rel, fn):
        d = case(name, exits, check, what)
        fn(os.path.join(d, rel))

    def sql(stmt):
        def fn(p):
            c = sqlite3.connect(p)
            # the GeoPackage triggers call ST_* functions this sqlite3 does not have
            for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                c.execute(f'DROP TRIGGER "{t}"')
            for s in stmt.split(";"):
                if s.strip():
                    c.execute(s)
            c.commit()
            c.close()
        return fn

    def raw(f):
        return lambda p: write(p, f(read(p)))

    for rel, tag in (("price_zones.gpkg", "zones"), ("communes.gpkg", "boundaries")):
        size = os.path.getsize(os.path.join(SAMPLE, rel))
        for off in (0, 50, 100, 4096, size // 2, size - 100):
            gpkg(f"{tag}-trunc-{off}", [0, 3, 5], "-", f"{rel} truncated at {off}", rel, raw(lambda b, o=off: b[:o]))
        gpkg(f"{tag}-header-zero", [3], f"msg:{rel}", f"{rel} first 100 bytes zeroed", rel, raw(lambda b: bytes(100) + b[100:]))
        gpkg(f"{tag}-page-garbage", [0, 3, 5], "-", f"{rel} page 3 garbage", rel, raw(lambda b: b[:8192] + bytes((i * 7) & 255 for i in range(4096)) + b[12288:]))
        gpkg(f"{tag}-text", [3], f"msg:{rel}", f"{rel} is a text file", rel, raw(lambda b: b"hello, world\n"))
        table = "price_zones" if tag == "zones" else "communes"
        gpkg(f"{tag}-geom-garbage", [0, 3, 5], "-", f"{rel} geometry blobs garbage", rel, sql(f"UPDATE {table} SET geom = X'4750000100000000DEADBEEF'"))
        gpkg(f"{tag}-geom-null", [0, 3, 5], "-", f"{rel} geometries NULL", rel, sql(f"UPDATE {table} SET geom = NULL"))
        gpkg(f"{tag}-empty-table", [0, 3, 5], "-", f"{rel} without features", rel, sql(f"DELETE FROM {table}"))
        gpkg(f"{tag}-no-contents", [3], f"msg:{rel}", f"{rel} without gpkg_contents", rel, sql("DROP TABLE gpkg_contents"))
    gpkg("zones-price-negative", [0, 3, 5], "-", "negative prices", "price_zones.gpkg", sql("UPDATE price_zones SET price_vnd_m2 = -1000"))
    gpkg("zones-price-null", [0, 3, 5], "-", "NULL prices", "price_zones.gpkg", sql("UPDATE price_zones SET price_vnd_m2 = NULL"))
    gpkg("zones-price-huge", [0, 3, 5], "-", "prices near INT64_MAX", "price_zones.gpkg", sql("UPDATE price_zones SET price_vnd_m2 = 9223372036854775807"))
    gpkg("zones-price-text", [0, 3, 5], "-", "price text", "price_zones.gpkg", sql("UPDATE price_zones SET price_vnd_m2 = 'cheap'"))
    gpkg("zones-position-junk", [0, 3, 5], "-", "positions -7", "price_zones.gpkg", sql("UPDATE price_zones SET position = -7"))
    gpkg("zones-landuse-null", [0, 3, 5], "-", "land use NULL", "price_zones.gpkg", sql("UPDATE price_zones SET land_use = NULL"))
    gpkg("boundaries-code-junk", [0, 3, 5], "-", "new_code 'abc'", "communes.gpkg", sql("UPDATE communes SET new_code = 'abc'"))
    gpkg("boundaries-code-null", [0, 3, 5], "-", "new_code NULL", "communes.gpkg", sql("UPDATE communes SET new_code = NULL"))

    # the register as XLSX (written with ogr2ogr at generation time, then broken)
    import subprocess
    tmp = os.path.join(OUT, "_register.xlsx")
    texts = tmp.replace(".xlsx", "_text.xlsx")
    if subprocess.run(["ogr2ogr", "-f", "XLSX", tmp, os.path.join(SAMPLE, "register.csv"),
                       "-oo", "AUTODETECT_TYPE=YES"], capture_output=True).returncode != 0:
        return
    subprocess.run(["ogr2ogr", "-f", "XLSX", texts, os.path.join(SAMPLE, "register.csv")],
                   capture_output=True, check=True)
    good, all_text = read(tmp), read(texts)
    os.unlink(tmp)
    os.unlink(texts)

    def xl(name, exits, check, what, data):
        d = case(f"xlsx-{name}", exits, check, what)
        write(os.path.join(d, "register.xlsx"), data)
        p = os.path.join(d, "landrec.yaml")
        write(p, read(p).replace(b"path: register.csv", b"path: register.xlsx"))

    def rezip(fn):
        import io
        src = zipfile.ZipFile(io.BytesIO(good))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in src.infolist():
                data = fn(info.filename, src.read(info.filename))
                if data is not None:
                    z.writestr(info.filename, data)
        return out.getvalue()

    sheet = [n for n in zipfile.ZipFile(__import__("io").BytesIO(good)).namelist() if "worksheets/sheet" in n][0]
    xl("valid", [0, 5], "-", "the register as a valid XLSX", good)
    # every cell text: GDAL cannot tell the header from the rows (fields Field1..Field9)
    xl("all-text", [0, 3, 5], "-", "an XLSX register whose cells are all text", all_text)
    for off in (0, 30, len(good) // 3, len(good) // 2, len(good) - 22, len(good) - 1):
        xl(f"trunc-{off}", [0, 3, 5], "-", f"XLSX truncated at {off}", good[:off])
    xl("not-zip", [3], "msg:register.xlsx", "text named .xlsx", b"ma_xa,so_to\n1,2\n")
    xl("no-sheet", [3], "msg:register.xlsx", "no worksheet in the zip", rezip(lambda n, d: None if n == sheet else d))
    xl("bad-xml", [0, 3, 5], "-", "worksheet XML cut in the middle", rezip(lambda n, d: d[:len(d) // 2] if n == sheet else d))
    xl("no-shared-strings", [0, 3, 5], "-", "sharedStrings missing", rezip(lambda n, d: None if "sharedStrings" in n else d))
    xl("sst-index-beyond", [0, 3, 5], "-", "shared string indexes beyond the table", rezip(lambda n, d: d.replace(b"<v>1</v>", b"<v>99999999</v>") if n == sheet else d))
    xl("huge-dimension", [0, 3, 5], "-", "dimension A1:XFD1048576", rezip(lambda n, d: __import__("re").sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', d) if n == sheet else d))
    xl("cell-ref-huge", [0, 3, 5], "-", "a cell at column XFD, row 1048576", rezip(lambda n, d: d.replace(b'r="A2"', b'r="XFD1048576"', 1) if n == sheet else d))
    xl("entity-bomb", [0, 3, 5], "-", "XML entity expansion in the sheet", rezip(lambda n, d: d.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>', 1) if n == sheet else d))


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    gen_configs()
    gen_shapefiles()
    gen_dbf()
    gen_register()
    gen_reference()
    with open(os.path.join(OUT, "cases.tsv"), "w", encoding="utf-8") as f:
        for c in CASES:
            f.write("\t".join(c) + "\n")
    print(f"{len(CASES)} cases in {OUT}")


main()
