/* source.c - OGR input helpers (see source.h). */
#include "source.h"

#include "io.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ctype.h>
#include <glob.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum lr_rc
lr_source_glob(const char *pattern, char ***paths, size_t *n, struct lr_err *err)
{
    glob_t g;
    int r;

    *paths = NULL;
    *n = 0;
    if (!strpbrk(pattern, "*?[")) {
        *paths = calloc(1, sizeof(char *));
        if (!*paths || !((*paths)[0] = strdup(pattern)))
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        *n = 1;
        return LR_OK;
    }
    r = glob(pattern, 0, NULL, &g);
    if (r == GLOB_NOMATCH)
        return lr_err_set(err, LR_ERR_INPUT, "no file matches '%s'; check the path in the config",
                          pattern);
    if (r != 0)
        return lr_err_set(err, LR_ERR_INPUT, "cannot list '%s'", pattern);
    *paths = calloc(g.gl_pathc, sizeof(char *));
    for (size_t i = 0; *paths && i < g.gl_pathc; i++)
        if (!((*paths)[(*n)++] = strdup(g.gl_pathv[i])))
            break;
    globfree(&g);
    if (!*paths || (*n && !(*paths)[*n - 1]))
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    qsort(*paths, *n, sizeof(char *), cmp_str);
    return LR_OK;
}

void
lr_source_glob_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* Does path end with ext (".csv"), case-insensitive? */
static bool
has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), m = strlen(ext);

    return n >= m && strcasecmp(path + n - m, ext) == 0;
}

/* The first bytes of a file (0 when it cannot be read). */
static size_t
file_head(const char *path, unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got;

    if (!f)
        return 0;
    got = fread(buf, 1, n, f);
    fclose(f);
    return got;
}

/* What to do when GDAL cannot open path: hints for the cases people meet. */
static const char *
open_hint(const char *path)
{
    static const unsigned char ole[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
    unsigned char head[512];
    size_t n = file_head(path, head, sizeof(head) - 1);

    if (n >= 8 && memcmp(head, ole, 8) == 0 && has_ext(path, ".dgn"))
        return "; this is a MicroStation DGN v8 file, which needs a proprietary library: export "
               "it from MicroStation as DGN v7, DXF or a shapefile";
    if (has_ext(path, ".csv") && n > 0) {
        head[n] = '\0';
        head[strcspn((char *)head, "\r\n")] = '\0';
        if (!strpbrk((char *)head, ",;\t"))
            return "; its first line has no ',', ';' or tab: the delimiter is wrong (e.g. '|' "
                   "or ':'); save it as comma-separated";
    }
    return "";
}

enum lr_rc
lr_source_open(const char *path, GDALDatasetH *out, struct lr_err *err)
{
    /* raw bytes from DBF (the load stage decodes); closed DXF polylines as polygons */
    CPLSetThreadLocalConfigOption("SHAPE_ENCODING", "");
    CPLSetThreadLocalConfigOption("DXF_CLOSED_LINE_AS_POLYGON", "TRUE");
    /* a spreadsheet's first row is its header, also when every cell is text */
    CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
    CPLSetThreadLocalConfigOption("OGR_ODS_HEADERS", "FORCE");
    CPLErrorReset();
    *out = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!*out) {
        const char *why = CPLGetLastErrorMsg();
        return lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': %s%s", path,
                          why && *why ? why : "not a readable vector dataset", open_hint(path));
    }
    return LR_OK;
}

/* ---- pre-checks of files whose damage GDAL would turn into silently lost rows ---- */

/* path with its extension replaced by ext (tried as given and upper-case); NULL if absent. */
static char *
sibling(const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.');
    size_t base = dot ? (size_t)(dot - path) : strlen(path);
    char *p = malloc(base + strlen(ext) + 1);

    if (!p)
        return NULL;
    memcpy(p, path, base);
    strcpy(p + base, ext);
    if (access(p, R_OK) == 0)
        return p;
    for (char *c = p + base; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

static long
file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A DBF's header record count and the records its size holds; false if not a DBF. */
static bool
dbf_counts(const char *path, long *header, long *physical)
{
    unsigned char h[12];
    long size = file_size(path), hlen, rlen;

    if (file_head(path, h, sizeof(h)) < sizeof(h) || size < 32)
        return false;
    *header = (long)h[4] | (long)h[5] << 8 | (long)h[6] << 16 | (long)h[7] << 24;
    hlen = h[8] | h[9] << 8;
    rlen = h[10] | h[11] << 8;
    if (rlen <= 0 || hlen < 32 || hlen > size)
        return false;
    *physical = (size - hlen) / rlen; /* a trailing 0x1A end marker is not a record */
    return true;
}

static enum lr_rc
dbf_check(const char *dbf, long shapes, const char *what, struct lr_err *err)
{
    long header, physical;

    if (!dbf_counts(dbf, &header, &physical))
        return lr_err_set(err, LR_ERR_INPUT, "'%s' is not a readable dBASE file", dbf);
    if (header < physical || (shapes >= 0 && header < shapes))
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s': the .dbf header lists %ld records but the file holds %ld%s%ld: "
                          "the last rows would be lost; repair the .dbf (re-save it) before "
                          "loading",
                          what, header, physical, shapes >= 0 ? " and the .shx indexes " : "",
                          shapes >= 0 ? shapes : physical);
    if (header > physical)
        lr_log(LR_LOG_WARN, "load", NULL,
               "'%s': the .dbf header lists %ld records but the file holds only %ld; reading "
               "those",
               what, header, physical);
    return LR_OK;
}

void
lr_precheck_release(struct lr_precheck *pc)
{
    free(pc->wide_rows);
    free(pc->wide_fields);
    memset(pc, 0, sizeof(*pc));
}

enum lr_rc
lr_source_precheck(const char *path, struct lr_precheck *pc, struct lr_err *err)
{
    char *dbf = NULL, *shx = NULL;
    enum lr_rc rc = LR_OK;

    memset(pc, 0, sizeof(*pc));
    if (has_ext(path, ".csv"))
        return lr_source_csv_check(path, pc, err);
    if (has_ext(path, ".dbf"))
        return dbf_check(path, -1, path, err);
    if (!has_ext(path, ".shp") || access(path, R_OK) != 0)
        return LR_OK;
    dbf = sibling(path, ".dbf");
    shx = sibling(path, ".shx");
    if (!dbf)
        rc = lr_err_set(err, LR_ERR_INPUT,
                        "'%s': its .dbf (the attribute table with the parcel keys) is missing; "
                        "put it next to the .shp",
                        path);
    else if (shx)
        rc = dbf_check(dbf, (file_size(shx) - 100) / 8, path, err);
    free(dbf);
    free(shx);
    return rc;
}

/* RFC 4180 scan state of lr_source_csv_check. */
struct csv_scan {
    char delim;
    int cols;            /* delimiters in the header line + 1 */
    long line;           /* current line (1-based) */
    bool quoted;         /* inside a quoted field */
    bool field_start;    /* at the start of a field */
    long quote_line;     /* where the open quote started */
    int delims_after_nl; /* delimiters seen in the quoted field after a line break */
    bool nl_in_quote;
    int fields;       /* delimiters of the current record so far */
    bool any;         /* the current record holds a character */
    long record_line; /* where the current record started */
    int64_t records;  /* records ended, the header included */
    long merged_line; /* first record over several lines with too many fields (0: none) */
    int merged_fields;
    struct lr_precheck *pc;
    bool nomem;
};

/* End of a record: too many fields on one line is a finding for that row; over several lines it
 * means rows were merged (an error). */
static void
csv_end_record(struct csv_scan *s)
{
    struct lr_precheck *pc = s->pc;

    if (!s->any)
        return;
    if (s->fields + 1 > s->cols && s->line > s->record_line && !s->merged_line) {
        s->merged_line = s->record_line;
        s->merged_fields = s->fields + 1;
    } else if (s->fields + 1 > s->cols && s->records > 0) {
        int64_t *rows = realloc(pc->wide_rows, (pc->n_wide + 1) * sizeof(*rows));
        int *nf = rows ? realloc(pc->wide_fields, (pc->n_wide + 1) * sizeof(*nf)) : NULL;
        if (rows)
            pc->wide_rows = rows;
        if (nf)
            pc->wide_fields = nf;
        if (!rows || !nf) {
            s->nomem = true;
            return;
        }
        pc->wide_rows[pc->n_wide] = s->records;
        pc->wide_fields[pc->n_wide++] = s->fields + 1;
    }
    s->records++;
}

/* Feed one byte; false when a quoted field holds what looks like whole rows. */
static bool
csv_feed(struct csv_scan *s, int ch, int next)
{
    if (s->quoted) {
        if (ch == '"' && next == '"')
            return true; /* the caller skips the escaped quote */
        if (ch == '"')
            s->quoted = false;
        else if (ch == '\n') {
            s->line++;
            s->nl_in_quote = true;
        } else if (ch == s->delim && s->nl_in_quote && ++s->delims_after_nl >= s->cols - 1)
            return false;
        return true;
    }
    if (ch == '"' && s->field_start) {
        s->quoted = true;
        s->quote_line = s->line;
        s->delims_after_nl = 0;
        s->nl_in_quote = false;
    }
    s->fields += ch == s->delim;
    s->any = s->any || (ch != '\n' && ch != '\r');
    if (ch == '\n') {
        csv_end_record(s);
        s->line++;
        s->fields = 0;
        s->any = false;
        s->record_line = s->line;
    }
    s->field_start = ch == s->delim || ch == '\n' || ch == '\r';
    return true;
}

/* The header's delimiter (the most frequent of ',', ';', tab) and column count. */
static void
csv_header(FILE *f, struct csv_scan *s)
{
    char line[8192];
    int n[3] = { 0, 0, 0 };
    const char cand[3] = { ',', ';', '\t' };
    int best = 0;

    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    for (const char *p = line; *p; p++)
        for (int i = 0; i < 3; i++)
            n[i] += *p == cand[i];
    for (int i = 1; i < 3; i++)
        if (n[i] > n[best])
            best = i;
    s->delim = cand[best];
    s->cols = n[best] + 1;
    rewind(f);
}

static enum lr_rc
csv_verdict(const char *path, const struct csv_scan *s, bool ok, struct lr_err *err)
{
    if (s->nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (!ok)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' line %ld: a quote opened here runs past line %ld and holds what "
                          "look like whole rows (unbalanced quotes); those rows would be lost: "
                          "fix the quoting",
                          path, s->quote_line, s->line);
    if (s->quoted)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' line %ld: a quote opened here is never closed (unbalanced "
                          "quotes); every row after it would be lost: fix the quoting",
                          path, s->quote_line);
    if (s->merged_line)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' line %ld: a row over several lines with %d fields where the "
                          "header has %d (unbalanced quotes merging rows); rows would be lost: "
                          "fix the quoting",
                          path, s->merged_line, s->merged_fields, s->cols);
    return LR_OK;
}

enum lr_rc
lr_source_csv_check(const char *path, struct lr_precheck *pc, struct lr_err *err)
{
    struct csv_scan s = { 0 };
    FILE *f = fopen(path, "rb");
    int ch, next;
    bool ok = true;

    if (!f)
        return LR_OK; /* the open reports it */
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    s.pc = pc;
    csv_header(f, &s);
    pc->header_fields = s.cols;
    s.line = s.record_line = 1;
    s.field_start = true;
    ch = getc_unlocked(f);
    while (ok && ch != EOF) {
        next = getc_unlocked(f);
        ok = csv_feed(&s, ch, next);
        if (s.quoted && ch == '"' && next == '"')
            next = getc_unlocked(f); /* skip the escaped quote */
        ch = next;
    }
    if (ok && !s.quoted)
        csv_end_record(&s); /* a last line without a line break */
    fclose(f);
    return csv_verdict(path, &s, ok, err);
}

enum lr_rc
lr_source_hash(GDALDatasetH ds, const char *path, char hex[65], struct lr_err *err)
{
    char **files = ds ? GDALGetFileList(ds) : NULL;
    size_t n = (size_t)CSLCount(files);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[32];
    enum lr_rc rc = LR_OK;

    if (!md) {
        CSLDestroy(files);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (n <= 1) {
        EVP_MD_CTX_free(md);
        CSLDestroy(files);
        return lr_io_sha256_file(path, hex, err);
    }
    qsort(files, n, sizeof(char *), cmp_str);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < n && rc == LR_OK; i++) {
        char one[65];
        rc = lr_io_sha256_file(files[i], one, err);
        EVP_DigestUpdate(md, one, 64);
    }
    EVP_DigestFinal_ex(md, digest, NULL);
    lr_io_sha256_hex(digest, hex);
    EVP_MD_CTX_free(md);
    CSLDestroy(files);
    return rc;
}

enum lr_rc
lr_source_hash_text(const char *text, char hex[65], struct lr_err *err)
{
    unsigned char digest[32];
    unsigned int n = 0;

    if (!EVP_Digest(text ? text : "", text ? strlen(text) : 0, digest, &n, EVP_sha256(), NULL))
        return lr_err_set(err, LR_ERR_INTERNAL, "cannot compute a checksum");
    lr_io_sha256_hex(digest, hex);
    return LR_OK;
}

enum lr_rc
lr_source_field(OGRLayerH layer, const char *path, const char *name, const char *logical, int *idx,
                struct lr_err *err)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    struct lr_buf known;
    enum lr_rc rc;

    *idx = -1;
    if (!name)
        return LR_OK;
    *idx = OGR_FD_GetFieldIndex(defn, name);
    if (*idx >= 0)
        return LR_OK;
    lr_buf_init(&known);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        lr_buf_addf(&known, "%s%s", i ? ", " : "",
                    OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    rc = lr_err_set(err, LR_ERR_INPUT,
                    "'%s' layer '%s': no field '%s' (mapped as '%s' in the config); the "
                    "layer's fields are: %s",
                    path, OGR_L_GetName(layer), name, logical, known.data ? known.data : "(none)");
    lr_buf_release(&known);
    return rc;
}

/* Count parts, rings and points of a MultiPolygon. */
static void
shape_sizes(OGRGeometryH mp, uint32_t *nparts, uint32_t *nrings, uint32_t *npts)
{
    *nparts = (uint32_t)OGR_G_GetGeometryCount(mp);
    *nrings = *npts = 0;
    for (uint32_t p = 0; p < *nparts; p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, (int)p);
        int nr = OGR_G_GetGeometryCount(poly);
        *nrings += (uint32_t)nr;
        for (int r = 0; r < nr; r++)
            *npts += (uint32_t)OGR_G_GetPointCount(OGR_G_GetGeometryRef(poly, r));
    }
}

/* Copy the coordinates of MultiPolygon mp into s (sized already). false on NaN/Inf. */
static bool
shape_fill(OGRGeometryH mp, struct lr_shape *s)
{
    uint32_t ring = 0, pt = 0;

    for (uint32_t p = 0; p < s->nparts; p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, (int)p);
        int nr = OGR_G_GetGeometryCount(poly);
        s->part_rings[p] = (uint32_t)nr;
        for (int r = 0; r < nr; r++, ring++) {
            OGRGeometryH lr = OGR_G_GetGeometryRef(poly, r);
            int np = OGR_G_GetPointCount(lr);
            s->ring_pts[ring] = (uint32_t)np;
            OGR_G_GetPoints(lr, s->xy + 2 * (size_t)pt, 2 * sizeof(double),
                            s->xy + 2 * (size_t)pt + 1, 2 * sizeof(double), NULL, 0);
            pt += (uint32_t)np;
        }
    }
    for (size_t i = 0; i < 2 * (size_t)s->npts; i++)
        if (!isfinite(s->xy[i]))
            return false;
    return true;
}

enum lr_rc
lr_source_shape(OGRGeometryH g, struct lr_shape *out, enum lr_issue_class *why)
{
    OGRGeometryH mp = NULL;
    OGRwkbGeometryType t;
    enum lr_rc rc = LR_OK;

    memset(out, 0, sizeof(*out));
    if (!g || OGR_G_IsEmpty(g)) {
        *why = LR_IS_NO_GEOMETRY;
        return LR_ERR_INPUT;
    }
    t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbCurvePolygon && t != wkbMultiSurface) {
        *why = LR_IS_NOT_POLYGON;
        return LR_ERR_INPUT;
    }
    mp = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
    if (!mp || wkbFlatten(OGR_G_GetGeometryType(mp)) != wkbMultiPolygon) {
        *why = LR_IS_NOT_POLYGON;
        rc = LR_ERR_INPUT;
        goto out;
    }
    shape_sizes(mp, &out->nparts, &out->nrings, &out->npts);
    out->part_rings = calloc(out->nparts ? out->nparts : 1, sizeof(uint32_t));
    out->ring_pts = calloc(out->nrings ? out->nrings : 1, sizeof(uint32_t));
    out->xy = calloc(out->npts ? 2 * (size_t)out->npts : 1, sizeof(double));
    if (!out->part_rings || !out->ring_pts || !out->xy) {
        rc = LR_ERR_NOMEM;
        goto out;
    }
    if (!shape_fill(mp, out)) {
        *why = LR_IS_BAD_COORDINATES;
        rc = LR_ERR_INPUT;
    }
out:
    if (rc != LR_OK)
        lr_shape_release(out);
    if (mp)
        OGR_G_DestroyGeometry(mp);
    return rc;
}

char *
lr_source_layer_crs(OGRLayerH layer)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    const char *opts[] = { "FORMAT=WKT2_2019", NULL };
    char *wkt = NULL, *out;

    if (!srs || OSRIsLocal(srs) ||
        (OSRGetName(srs) && strncmp(OSRGetName(srs), "Undefined", 9) == 0))
        return NULL; /* none, or GeoPackage's "Undefined cartesian/geographic SRS" */
    if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return NULL;
    }
    out = strdup(wkt);
    CPLFree(wkt);
    return out;
}
