"""ingest_lib.py - fixtures for the ingest e2e tests (ingest_*.sh), written byte by byte so that
the tests do not depend on the code under test:

- legacy Vietnamese encoders: TCVN3, VNI-Windows and VISCII from the vietunicode table in
  shared/realdata/vn-legacy-encodings (one row per precomposed letter), CP1258 with Python's
  codec after splitting off the tone marks (base letter + combining tone byte, as real CP1258
  text is written);
- a dBASE III writer (raw bytes, any record count in the header) and an ESRI shapefile writer
  (polygons, optionally Z/M, NULL shapes, points);
- `base_set`: a small consistent input set (maps, register, crosswalk, zones, config) built from
  a `landrec sample` folder: geometry and keys of the sample's first map parcels, text of our own
  whose NFC truth is known.

Usage from bash: /usr/bin/python3 ingest_lib.py COMMAND ARGS (see main)."""
import csv
import json
import os
import shutil
import struct
import sys
import unicodedata

SHARED = os.environ.get('LR_SHARED_DIR') or os.path.join(os.environ['LR_SOURCE_DIR'], '..', 'shared')
TABLE = os.path.join(SHARED, 'realdata/vn-legacy-encodings/vietunicode-table/vn_charset_table_v1.tsv')

# Place names, owner names and addresses with the NFC text they must decode to. TCVN3 has no
# toned capital letters, so toned letters are lower case here.
PLACES = ['Thôn Thống Nhất', 'Ấp Đồng Xoài', 'Khu phố Bình Phước', 'Xóm Hớn Quản', 'Lộc Ninh',
          'Bù Đăng', 'Chơn Thành', 'Đồng Phú', 'Phường Tân Đồng', 'Tiến Hưng']
OWNERS = ['Trần Thị Hường', 'Lê Văn Đức', 'Phạm Quốc Việt', 'Nguyễn Thị Thu Hằng', 'Hồ Văn Bảy',
          'Đặng Thị Mỹ Duyên', 'Võ Văn Tươi', 'Bùi Thị Nguyệt', 'Dương Minh Khải', 'Lý Thị Ửng']
ADDRESSES = ['Tổ 3, ấp Thuận Phú', 'Khu phố 1, phường Tân Bình', 'Thôn 5, xã Đồng Tiến',
             'Ấp Sóc Bưng', 'Khu phố Xuân Bình']


def _table():
    rows = {}
    with open(TABLE, encoding='utf-8') as f:
        for r in csv.DictReader(f, delimiter='\t'):
            cp = chr(int(r['Unicode_Hex'][2:], 16))
            rows[cp] = {k: bytes(int(x, 16) for x in r[k + '_Hex'].split())
                        for k in ('VNI', 'VISCII', 'TCVN3') if r[k + '_Hex'].strip()}
    return rows


_ROWS = None
TONES = {'\u0300', '\u0301', '\u0303', '\u0309', '\u0323'}


def encode(text, enc):
    """NFC text -> bytes in enc (UTF-8, TCVN3, VNI, VISCII, CP1258)."""
    global _ROWS
    text = unicodedata.normalize('NFC', text)
    if enc == 'UTF-8':
        return text.encode('utf-8')
    if enc == 'CP1258':
        out = b''
        for ch in text:
            d = unicodedata.normalize('NFD', ch)
            base = unicodedata.normalize('NFC', ''.join(c for c in d if c not in TONES))
            out += base.encode('cp1258') + ''.join(c for c in d if c in TONES).encode('cp1258')
        return out
    if _ROWS is None:
        _ROWS = _table()
    out = b''
    for ch in text:
        if ord(ch) < 0x80:
            out += ch.encode('ascii')
        elif ch in ('đ', 'Đ') and enc == 'VISCII':
            out += bytes([0xF0 if ch == 'đ' else 0xD0])
        else:
            out += _ROWS[ch][enc]
    return out


# ---- dBASE III ----

def write_dbf(path, fields, rows, header_records=None):
    """fields: [(name, 'C'|'N', width)], rows: lists of bytes/str/int/None."""
    reclen = 1 + sum(w for _, _, w in fields)
    hlen = 32 + 32 * len(fields) + 1
    n = len(rows) if header_records is None else header_records
    out = bytearray(struct.pack('<BBBBIHH20x', 3, 126, 1, 1, n, hlen, reclen))
    for name, typ, w in fields:
        out += struct.pack('<11sc4xBB14x', name.encode('ascii'), typ.encode('ascii'), w, 0)
    out += b'\r'
    for row in rows:
        out += b' '
        for (name, typ, w), v in zip(fields, row):
            if v is None:
                b = b''
            elif isinstance(v, bytes):
                b = v
            else:
                b = str(v).encode('ascii')
            if len(b) > w:
                raise ValueError(f'{name}: {b!r} longer than {w}')
            out += b.rjust(w) if typ == 'N' else b.ljust(w)
    out += b'\x1a'
    with open(path, 'wb') as f:
        f.write(out)


# ---- ESRI shapefile ----

def _ring_cw(ring):
    s = sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))
    return ring if s < 0 else ring[::-1]


def write_shp(base, shapes, kind='polygon', zm=''):
    """shapes: list of polygons (each a list of rings of (x, y)) or None for a NULL shape; kind
    'point' writes the first vertex of each as a point. zm: '', 'Z' or 'M'."""
    code = {('polygon', ''): 5, ('polygon', 'Z'): 15, ('polygon', 'M'): 25,
            ('point', ''): 1}[(kind, zm)]
    recs = []
    allpts = [p for s in shapes if s for r in s for p in r]
    box = (min(p[0] for p in allpts), min(p[1] for p in allpts),
           max(p[0] for p in allpts), max(p[1] for p in allpts)) if allpts else (0, 0, 0, 0)
    for s in shapes:
        if s is None:
            recs.append(struct.pack('<i', 0))
            continue
        if kind == 'point':
            recs.append(struct.pack('<i2d', 1, *s[0][0]))
            continue
        rings = [_ring_cw(r) if i == 0 else _ring_cw(r)[::-1] for i, r in enumerate(s)]
        pts = [p for r in rings for p in r]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        c = struct.pack('<i4d2i', code, min(xs), min(ys), max(xs), max(ys), len(rings), len(pts))
        off = 0
        for r in rings:
            c += struct.pack('<i', off)
            off += len(r)
        c += b''.join(struct.pack('<2d', *p) for p in pts)
        if zm:
            vals = [100.0 + i for i in range(len(pts))]
            if zm == 'Z':
                c += struct.pack('<2d', min(vals), max(vals)) + b''.join(struct.pack('<d', v) for v in vals)
            c += struct.pack('<2d', min(vals), max(vals)) + b''.join(struct.pack('<d', v) for v in vals)
        recs.append(c)

    def header(length_bytes):
        return struct.pack('>i20xi', 9994, length_bytes // 2) + struct.pack('<ii4d4d', 1000, code, *box, 0, 0, 0, 0)

    shp, shx, off = b'', b'', 50
    for i, c in enumerate(recs):
        shp += struct.pack('>ii', i + 1, len(c) // 2) + c
        shx += struct.pack('>ii', off, len(c) // 2)
        off += 4 + len(c) // 2
    with open(base + '.shp', 'wb') as f:
        f.write(header(100 + len(shp)) + shp)
    with open(base + '.shx', 'wb') as f:
        f.write(header(100 + len(shx)) + shx)


# ---- a small input set from a `landrec sample` folder ----

MAP_FIELDS = [('MAXA', 'C', 5), ('SHBANDO', 'N', 6), ('SOTHUA', 'N', 6), ('LOAIDAT', 'C', 5),
              ('DIENTICH', 'C', 12), ('XUDONG', 'C', 60), ('TENCHU', 'C', 60)]
REG_FIELDS = [('MA_XA', 'C', 5), ('SO_TO', 'N', 6), ('SO_THUA', 'N', 6), ('LOAI_DAT', 'C', 5),
              ('DIEN_TICH', 'C', 12), ('CHU_SU_DUNG', 'C', 80), ('DIA_CHI', 'C', 80)]


def sample_parcels(sample, n):
    """The first n polygon parcels of the sample's first map with their keys and register row."""
    from osgeo import gdal, ogr
    gdal.PushErrorHandler('CPLQuietErrorHandler')
    maps = sorted(p for p in os.listdir(os.path.join(sample, 'maps')) if p.endswith('.shp'))
    ds = ogr.Open(os.path.join(sample, 'maps', maps[0]))
    lyr = ds.GetLayer(0)
    reg = {}
    with open(os.path.join(sample, 'register.csv'), encoding='utf-8') as f:
        for r in csv.DictReader(f):
            reg.setdefault((r['ma_xa'], r['so_to'], r['so_thua']), r)
    out, seen = [], set()
    for f in lyr:
        g = f.GetGeometryRef()
        key = (f.GetField('MAXA'), str(f.GetField('SHBANDO')), str(f.GetField('SOTHUA')))
        if g is None or g.GetGeometryName() != 'POLYGON' or key not in reg or key in seen:
            continue
        if not g.IsValid() or g.GetGeometryRef(0).GetPointCount() < 4:
            continue
        seen.add(key)
        rings = [[(r.GetX(i), r.GetY(i)) for i in range(r.GetPointCount())]
                 for r in (g.GetGeometryRef(k) for k in range(g.GetGeometryCount()))]
        out.append({'key': key, 'rings': rings, 'reg': reg[key]})
        if len(out) == n:
            break
    return out


def base_set(sample, out, n=20, enc='UTF-8', reg_format='csv', map_enc=None):
    """Write OUT/maps/m.shp (+.prj), OUT/register.{csv|dbf}, crosswalk, zones, boundaries and
    OUT/truth.json (the NFC text each key must decode to, and how many values are non-ASCII)."""
    os.makedirs(os.path.join(out, 'maps'), exist_ok=True)
    for f in ('crosswalk.csv', 'communes.gpkg', 'price_zones.gpkg'):
        shutil.copy(os.path.join(sample, f), out)
    parcels = sample_parcels(sample, n)
    map_enc = map_enc or enc
    rows, regrows, truth = [], [], {}
    nonascii = {'map': 0, 'register': 0}
    for i, p in enumerate(parcels):
        c, s, q = p['key']
        place, owner, addr = PLACES[i % len(PLACES)], OWNERS[i % len(OWNERS)], ADDRESSES[i % len(ADDRESSES)]
        truth['%05d-%d-%d' % (int(c), int(s), int(q))] = {'place': place, 'owner': owner, 'address': addr}
        rows.append([c, s, q, p['reg']['loai_dat'], p['reg']['dien_tich'], encode(place, map_enc),
                     encode(owner, map_enc)])
        regrows.append([c, s, q, p['reg']['loai_dat'], p['reg']['dien_tich'], encode(owner, enc),
                        encode(addr, enc)])
        nonascii['map'] += sum(any(ord(ch) > 127 for ch in t) for t in (place, owner))
        nonascii['register'] += sum(any(ord(ch) > 127 for ch in t) for t in (owner, addr))
    write_shp(os.path.join(out, 'maps', 'm'), [p['rings'] for p in parcels])
    write_dbf(os.path.join(out, 'maps', 'm.dbf'), MAP_FIELDS, rows)
    if reg_format == 'dbf':
        write_dbf(os.path.join(out, 'register.dbf'), REG_FIELDS, regrows)
    else:
        with open(os.path.join(out, 'register.csv'), 'wb') as f:
            f.write(b'ma_xa,so_to,so_thua,loai_dat,dien_tich,chu_su_dung,dia_chi\n')
            for r in regrows:
                f.write(b','.join(v if isinstance(v, bytes) else str(v).encode() for v in r[:5]) +
                        b',"' + r[5] + b'","' + r[6] + b'"\n')
    with open(os.path.join(out, 'truth.json'), 'w', encoding='utf-8') as f:
        json.dump({'truth': truth, 'nonascii': nonascii, 'n': len(parcels)}, f, ensure_ascii=False)
    return parcels


def config(out, map_enc='UTF-8', reg_enc='UTF-8', reg_path='register.csv', map_path='maps/*.shp',
           map_extra='', reg_extra='', top_extra='', crs='EPSG:9212'):
    reg_fields = ('{commune: MA_XA, sheet: SO_TO, parcel: SO_THUA, land_use: LOAI_DAT, '
                  'area: DIEN_TICH, owner_name: CHU_SU_DUNG, address: DIA_CHI}'
                  if reg_path.lower().endswith('.dbf') else
                  '{commune: ma_xa, sheet: so_to, parcel: so_thua, land_use: loai_dat, '
                  'area: dien_tich, owner_name: chu_su_dung, address: dia_chi}')
    crs_line = f'\n      crs: {crs}' if crs else ''
    text = f"""run: {{name: ingest, output: out}}
target_crs: EPSG:5899
communes: {{crosswalk: crosswalk.csv, boundaries: communes.gpkg}}
sources:
  maps:
    - path: {map_path}{crs_line}
      encoding: {map_enc}
      fields: {{commune: MAXA, sheet: SHBANDO, parcel: SOTHUA, land_use: LOAIDAT, area: DIENTICH,
               place: XUDONG, owner_name: TENCHU}}{map_extra}
  register:
    - path: {reg_path}
      encoding: {reg_enc}
      fields: {reg_fields}{reg_extra}
  price_zones:
    path: price_zones.gpkg
    fields: {{zone: zone_id, land_use: land_use, position: position, price: price_vnd_m2}}
gates: {{max_unmatched_ratio: 1.0, max_unrepairable_ratio: 1.0}}
{top_extra}"""
    with open(os.path.join(out, 'landrec.yaml'), 'w', encoding='utf-8') as f:
        f.write(text)


def reshp(d, mode):
    """Rewrite D/maps/m.shp/.shx from its own polygons: points, null2 (first two shapes NULL),
    Z or M coordinates."""
    from osgeo import gdal, ogr
    gdal.PushErrorHandler('CPLQuietErrorHandler')
    ds = ogr.Open(os.path.join(d, 'maps', 'm.shp'))
    shapes = []
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        shapes.append([[(r.GetX(i), r.GetY(i)) for i in range(r.GetPointCount())]
                       for r in (g.GetGeometryRef(k) for k in range(g.GetGeometryCount()))])
    ds = None
    base = os.path.join(d, 'maps', 'm')
    if mode == 'points':
        write_shp(base, shapes, kind='point')
    elif mode == 'null2':
        write_shp(base, [None, None] + shapes[2:])
    else:
        write_shp(base, shapes, zm=mode)


def xlsx(path, rows, merge=None):
    """A minimal XLSX with inline strings; merge = 'A1:C1' merges those header cells."""
    import zipfile

    def col(i):
        return chr(ord('A') + i)

    def esc(v):
        return str(v).replace('&', '&amp;').replace('<', '&lt;')
    data = ''.join('<row r="%d">%s</row>' % (r + 1, ''.join(
        '<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (col(c), r + 1, esc(v))
        for c, v in enumerate(row) if v is not None)) for r, row in enumerate(rows))
    merge_xml = f'<mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells>' if merge else ''
    ns = 'http://schemas.openxmlformats.org'
    files = {
        '[Content_Types].xml': f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        '_rels/.rels': f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        'xl/workbook.xml': f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="so_dia_chinh" sheetId="1" r:id="rId1"/></sheets></workbook>',
        'xl/_rels/workbook.xml.rels': f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        'xl/worksheets/sheet1.xml': f'<?xml version="1.0"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{data}</sheetData>{merge_xml}</worksheet>',
    }
    with zipfile.ZipFile(path, 'w') as z:
        for name, text in files.items():
            z.writestr(name, text)


def main():
    cmd = sys.argv[1]
    if cmd == 'set':  # set SAMPLE OUT N BYTES_ENC CONFIG_ENC REG_FORMAT
        sample, out, n, enc, cfg_enc, fmt = sys.argv[2:8]
        base_set(sample, out, int(n), enc, fmt, enc)
        if enc == 'CP1258':  # a code page file GDAL would recode with (and truncate): ignored
            for p in ('maps/m.cpg', 'register.cpg'):
                with open(os.path.join(out, p), 'w') as f:
                    f.write('1258')
        config(out, cfg_enc, cfg_enc, 'register.dbf' if fmt == 'dbf' else 'register.csv')
    elif cmd == 'reshp':  # reshp DIR points|null2|Z|M
        reshp(sys.argv[2], sys.argv[3])
    elif cmd == 'xlsx-merged':  # xlsx-merged REGISTER_CSV OUT: header row with merged cells
        with open(sys.argv[2], encoding='utf-8') as f:
            rows = list(csv.reader(f))
        head = ['Số hiệu thửa', None, None] + rows[0][3:]  # ma_xa/so_to/so_thua merged
        xlsx(sys.argv[3], [head] + rows[1:], 'A1:C1')
    elif cmd == 'xlsx':  # xlsx REGISTER_CSV OUT
        with open(sys.argv[2], encoding='utf-8') as f:
            xlsx(sys.argv[3], list(csv.reader(f)))
    elif cmd == 'encode':  # encode ENC TEXT -> raw bytes on stdout
        sys.stdout.buffer.write(encode(sys.argv[3], sys.argv[2]))
    else:
        raise SystemExit(f'unknown command {cmd}')


if __name__ == '__main__':
    main()
