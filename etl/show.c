/* show.c - `landrec show` (see show.h).
 *
 * Everything is answered from the run's files: parcels.gpkg by SQL on indexed key columns
 * (parcels.parcel_key / record_key, issues.parcel_key / record_key, register_only.record_key,
 * lineage.old_key / new_key: store.c creates the indexes), manifest.json for the run id, and
 * with --with-owner tax_extract.csv, searched in memory for the key column (mmap + memmem).
 * One JSON tree is built; --json prints it, otherwise it is rendered as text. */
#include "show.h"

#include "model.h"
#include "store.h"
#include "store_style.h"

#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <jansson.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEYS 64 /* related keys followed through lineage (a split has a few children) */

struct show {
    const struct lr_show_opts *o;
    char *dir;  /* run folder */
    char *gpkg; /* its parcels.gpkg */
    GDALDatasetH ds;
    char key[LR_KEY_STR_MAX];
    char keys[MAX_KEYS][LR_KEY_STR_MAX]; /* the key and those lineage links to it */
    size_t n_keys;
    char *in_list; /* "'k1','k2'" for SQL (keys are digits and dashes only) */
    json_t *doc;
};

const char *
lr_show_default_run_dir(void)
{
    static char buf[4096];
    const char *out = getenv("LANDREC_OUTPUT");

    if (!out || !*out)
        return "out/latest";
    snprintf(buf, sizeof(buf), "%s/latest", out);
    return buf;
}

static bool
readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The run folder: as given, or OUTPUT/latest when given an OUTPUT folder. */
static enum lr_rc
resolve_run(struct show *s, struct lr_err *err)
{
    const char *given = s->o->run_dir ? s->o->run_dir : lr_show_default_run_dir();
    char *latest = lr_path_join(given, "latest");

    s->dir = lr_strdup(given);
    if (!s->dir || !latest) {
        free(latest);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    s->gpkg = lr_path_join(s->dir, LR_STORE_FILE);
    if (s->gpkg && !readable(s->gpkg)) {
        char *alt = lr_path_join(latest, LR_STORE_FILE);
        if (alt && readable(alt)) {
            free(s->dir);
            free(s->gpkg);
            s->dir = latest;
            s->gpkg = alt;
            latest = NULL;
        } else {
            free(alt);
        }
    }
    free(latest);
    if (!s->gpkg)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (!readable(s->gpkg))
        return lr_err_set(err, LR_ERR_INPUT,
                          "cannot read run folder '%s': no readable '%s' in it (give the run "
                          "folder as RUN_DIR, or set LANDREC_OUTPUT to the output folder)",
                          s->dir, LR_STORE_FILE);
    return LR_OK;
}

/* ---- rows into JSON ---- */
static json_t *
field_json(OGRFeatureH f, OGRFieldDefnH fd, int i)
{
    if (!OGR_F_IsFieldSetAndNotNull(f, i))
        return json_null();
    switch (OGR_Fld_GetType(fd)) {
    case OFTInteger:
        if (OGR_Fld_GetSubType(fd) == OFSTBoolean)
            return json_boolean(OGR_F_GetFieldAsInteger(f, i));
        return json_integer(OGR_F_GetFieldAsInteger(f, i));
    case OFTInteger64:
        return json_integer((json_int_t)OGR_F_GetFieldAsInteger64(f, i));
    case OFTReal:
        return json_real(OGR_F_GetFieldAsDouble(f, i));
    default:
        return json_string(OGR_F_GetFieldAsString(f, i));
    }
}

/* A row as an object; fields "in_extract"/"acknowledged" read as booleans whatever the SQL
 * result's declared type; a geometry as its bounding box. */
static json_t *
row_json(OGRFeatureH f)
{
    OGRFeatureDefnH defn = OGR_F_GetDefnRef(f);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    json_t *o = json_object();

    for (int i = 0; o && i < OGR_FD_GetFieldCount(defn); i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        const char *name = OGR_Fld_GetNameRef(fd);
        json_t *v = field_json(f, fd, i);

        if (json_is_integer(v) && (!strcmp(name, "in_extract") || !strcmp(name, "acknowledged"))) {
            json_t *b = json_boolean(json_integer_value(v));
            json_decref(v);
            v = b;
        }
        json_object_set_new(o, name, v);
    }
    if (o && g && !OGR_G_IsEmpty(g)) {
        OGREnvelope e;
        OGR_G_GetEnvelope(g, &e);
        json_object_set_new(o, "bbox", json_pack("[ffff]", e.MinX, e.MinY, e.MaxX, e.MaxY));
    }
    return o;
}

/* Run sql and append every row to arr (a JSON array). */
static enum lr_rc
query(struct show *s, const char *sql, json_t *arr, struct lr_err *err)
{
    OGRLayerH res;
    OGRFeatureH f;

    CPLErrorReset();
    res = GDALDatasetExecuteSQL(s->ds, sql, NULL, NULL);
    if (!res)
        return lr_err_set(err, LR_ERR_INPUT, "cannot query '%s' (is it a landrec run?): %s",
                          s->gpkg, CPLGetLastErrorMsg());
    while ((f = OGR_L_GetNextFeature(res))) {
        json_array_append_new(arr, row_json(f));
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(s->ds, res);
    return LR_OK;
}

/* Run sql (owned; NULL means out of memory) and store its rows as doc[name]. */
static enum lr_rc
query_into(struct show *s, const char *name, char *sql, struct lr_err *err)
{
    json_t *arr = json_array();
    enum lr_rc rc;

    if (!sql || !arr) {
        free(sql);
        json_decref(arr);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    rc = query(s, sql, arr, err);
    json_object_set_new(s->doc, name, arr);
    free(sql);
    return rc;
}

/* ---- keys ---- */
static void
add_key(struct show *s, const char *k)
{
    if (!k || !*k || s->n_keys >= MAX_KEYS)
        return;
    for (size_t i = 0; i < s->n_keys; i++)
        if (strcmp(s->keys[i], k) == 0)
            return;
    snprintf(s->keys[s->n_keys++], LR_KEY_STR_MAX, "%s", k);
}

static enum lr_rc
build_in_list(struct show *s, struct lr_err *err)
{
    struct lr_buf b;

    lr_buf_init(&b);
    for (size_t i = 0; i < s->n_keys; i++)
        if (lr_buf_addf(&b, "%s'%s'", i ? "," : "", s->keys[i]) != LR_OK) {
            lr_buf_release(&b);
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        }
    free(s->in_list);
    s->in_list = lr_buf_detach(&b);
    return s->in_list ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

/* The key, and every key a lineage row links to it (old -> new and new -> old). */
static enum lr_rc
related_keys(struct show *s, struct lr_err *err)
{
    json_t *row;
    enum lr_rc rc;
    size_t i;

    add_key(s, s->key);
    rc = build_in_list(s, err);
    if (rc == LR_OK)
        rc = query_into(s, "lineage",
                        lr_asprintf("SELECT old_key, new_key FROM lineage WHERE old_key IN (%s) "
                                    "OR new_key IN (%s)",
                                    s->in_list, s->in_list),
                        err);
    json_array_foreach(json_object_get(s->doc, "lineage"), i, row)
    {
        add_key(s, json_string_value(json_object_get(row, "old_key")));
        add_key(s, json_string_value(json_object_get(row, "new_key")));
    }
    json_object_del(s->doc, "lineage"); /* queried again, in full, after the parcels */
    return rc == LR_OK ? build_in_list(s, err) : rc;
}

/* ---- owners, from tax_extract.csv (columns of SPEC.md, parcel_key is the 6th) ---- */
#define EXTRACT_COLS 19

/* Split one CSV record starting at p (quotes, doubled quotes); fields point into buf. */
static size_t
csv_record(const char *p, const char *end, char *buf, size_t cap, char **fields, size_t max)
{
    size_t n = 0, len = 0;
    bool quoted = false;

    fields[n++] = buf;
    for (; p < end && len + 1 < cap; p++) {
        if (quoted && *p == '"' && p + 1 < end && p[1] == '"') {
            buf[len++] = *p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if (!quoted && *p == ',') {
            buf[len++] = '\0';
            if (n == max)
                break;
            fields[n++] = buf + len;
        } else if (!quoted && (*p == '\n' || *p == '\r')) {
            break;
        } else {
            buf[len++] = *p;
        }
    }
    buf[len] = '\0';
    return n;
}

/* Find key's row: every ",KEY," hit is checked against the parcel_key column of its line. */
static json_t *
owner_row(const char *data, size_t size, const char *key)
{
    char needle[LR_KEY_STR_MAX + 2], buf[8192], *f[EXTRACT_COLS];
    size_t nlen = (size_t)snprintf(needle, sizeof(needle), ",%s,", key);
    const char *p = data, *end = data + size, *hit;

    while ((hit = memmem(p, (size_t)(end - p), needle, nlen))) {
        const char *line = hit;
        while (line > data && line[-1] != '\n')
            line--;
        if (csv_record(line, end, buf, sizeof(buf), f, EXTRACT_COLS) == EXTRACT_COLS &&
            strcmp(f[5], key) == 0)
            return json_pack("{ss ss ss ss ss}", "parcel_key", key, "owner_name", f[15], "owner_id",
                             f[16], "certificate", f[17], "address", f[6]);
        p = hit + 1;
    }
    return NULL;
}

static enum lr_rc
add_owners(struct show *s, struct lr_err *err)
{
    char *path = lr_path_join(s->dir, "tax_extract.csv");
    json_t *owners = json_array(), *parcels = json_object_get(s->doc, "parcels"), *p;
    struct stat st;
    void *map = MAP_FAILED;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    enum lr_rc rc = LR_OK;
    size_t i;

    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read '%s' for --with-owner: %s",
                        path ? path : "tax_extract.csv", strerror(errno));
        goto out;
    }
    if (st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    json_array_foreach(parcels, i, p)
    {
        json_t *row = NULL;
        if (map != MAP_FAILED && json_is_true(json_object_get(p, "in_extract")))
            row = owner_row(map, (size_t)st.st_size,
                            json_string_value(json_object_get(p, "parcel_key")));
        if (row)
            json_array_append_new(owners, row);
    }
out:
    json_object_set_new(s->doc, "owners", owners);
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* ---- the document ---- */
static void
add_run_info(struct show *s)
{
    char *path = lr_path_join(s->dir, "manifest.json");
    json_t *m = path ? json_load_file(path, 0, NULL) : NULL;
    json_t *run = json_pack("{ss}", "dir", s->dir);

    if (m) {
        json_object_set(run, "run_id", json_object_get(m, "run_id"));
        json_object_set(run, "status", json_object_get(m, "status"));
    }
    json_object_set_new(s->doc, "run", run);
    json_decref(m);
    free(path);
}

static enum lr_rc
build_doc(struct show *s, struct lr_err *err)
{
    enum lr_rc rc;

    s->doc = json_pack("{ss}", "key", s->key);
    if (!s->doc)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    add_run_info(s);
    rc = related_keys(s, err);
    if (rc == LR_OK)
        rc = query_into(s, "parcels",
                        lr_asprintf("SELECT * FROM parcels WHERE parcel_key IN (%s) OR "
                                    "record_key IN (%s) ORDER BY fid",
                                    s->in_list, s->in_list),
                        err);
    if (rc == LR_OK)
        rc = query_into(s, "register_only",
                        lr_asprintf("SELECT * FROM register_only WHERE record_key IN (%s) "
                                    "ORDER BY fid",
                                    s->in_list),
                        err);
    if (rc == LR_OK)
        rc = query_into(s, "lineage",
                        lr_asprintf("SELECT old_key, new_key, relation, confidence, evidence "
                                    "FROM lineage WHERE old_key IN (%s) OR new_key IN (%s) "
                                    "ORDER BY fid",
                                    s->in_list, s->in_list),
                        err);
    if (rc == LR_OK)
        rc = query_into(s, "findings",
                        lr_asprintf("SELECT parcel_key, record_key, class, kind, detail, "
                                    "acknowledged FROM issues WHERE parcel_key IN (%s) OR "
                                    "record_key IN (%s) ORDER BY fid",
                                    s->in_list, s->in_list),
                        err);
    if (rc == LR_OK && s->o->with_owner)
        rc = add_owners(s, err);
    return rc;
}

static bool
found(const struct show *s)
{
    static const char *const parts[] = { "parcels", "register_only", "lineage", "findings" };

    for (size_t i = 0; i < LR_ARRAY_LEN(parts); i++)
        if (json_array_size(json_object_get(s->doc, parts[i])))
            return true;
    return false;
}

/* ---- text ---- */
static void
print_value(FILE *out, const char *name, json_t *v)
{
    if (json_is_string(v))
        fprintf(out, "%s", json_string_value(v));
    else if (json_is_integer(v))
        fprintf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v) && strstr(name, "area"))
        fprintf(out, "%.1f", json_real_value(v));
    else if (json_is_real(v))
        fprintf(out, "%.15g", json_real_value(v));
    else if (json_is_boolean(v))
        fprintf(out, "%s", json_is_true(v) ? "yes" : "no");
    else if (json_is_array(v) && json_array_size(v) == 4)
        fprintf(out, "%.1f %.1f  %.1f %.1f", json_real_value(json_array_get(v, 0)),
                json_real_value(json_array_get(v, 1)), json_real_value(json_array_get(v, 2)),
                json_real_value(json_array_get(v, 3)));
}

/* Is name one of the space-separated words of list? */
static bool
has_word(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* Every non-null field of obj, one per line, except those named in skip. */
static void
print_fields(FILE *out, json_t *obj, const char *skip)
{
    const char *name;
    json_t *v;

    json_object_foreach(obj, name, v)
    {
        if (json_is_null(v) || has_word(skip, name))
            continue;
        fprintf(out, "  %-18s ", name);
        print_value(out, name, v);
        fputc('\n', out);
    }
}

static void
print_section(FILE *out, json_t *arr, const char *title, const char *key_field, const char *skip)
{
    json_t *row;
    size_t i;

    json_array_foreach(arr, i, row)
    {
        const char *k = json_string_value(json_object_get(row, key_field));
        const char *st = json_string_value(json_object_get(row, "status"));
        const char *label = st ? lr_style_label(st) : NULL;

        fprintf(out, "\n%s %s", title, k ? k : "(no key)");
        if (st)
            fprintf(out, "  [%s%s%s]", st, label ? ": " : "", label ? label : "");
        fputc('\n', out);
        print_fields(out, row, skip);
    }
}

static void
print_lines(FILE *out, json_t *arr, const char *title, const char *const *cols, size_t n)
{
    json_t *row;
    size_t i;

    if (!json_array_size(arr))
        return;
    fprintf(out, "\n%s\n", title);
    json_array_foreach(arr, i, row)
    {
        fputs(" ", out);
        for (size_t c = 0; c < n; c++) {
            json_t *v = json_object_get(row, cols[c]);
            fputs("  ", out);
            if (json_is_null(v) || !v)
                fputs("-", out);
            else
                print_value(out, cols[c], v);
        }
        fputc('\n', out);
    }
}

static void
print_text(const struct show *s, FILE *out)
{
    static const char *const lin[] = { "old_key", "new_key", "relation", "confidence", "evidence" };
    static const char *const fnd[] = { "parcel_key", "record_key", "class", "detail" };
    json_t *run = json_object_get(s->doc, "run");
    const char *id = json_string_value(json_object_get(run, "run_id"));

    fprintf(out, "key %s   run %s (%s)\n", s->key, id ? id : "?", s->dir);
    print_section(out, json_object_get(s->doc, "parcels"), "map parcel", "parcel_key",
                  "parcel_key status");
    print_section(out, json_object_get(s->doc, "register_only"),
                  "register record without map "
                  "parcel",
                  "record_key", "record_key status");
    print_lines(out, json_object_get(s->doc, "lineage"), "lineage (old -> new)", lin, 5);
    print_lines(out, json_object_get(s->doc, "findings"), "findings", fnd, 4);
    if (s->o->with_owner) {
        print_section(out, json_object_get(s->doc, "owners"), "owner (tax extract) of",
                      "parcel_key", "parcel_key");
        if (!json_array_size(json_object_get(s->doc, "owners")))
            fprintf(out, "\nowner: none of these parcels is in the tax extract\n");
    }
}

enum lr_rc
lr_show_main(const struct lr_show_opts *o, FILE *out, struct lr_err *err)
{
    struct show s = { .o = o };
    struct lr_key k;
    enum lr_rc rc;

    if (!lr_key_parse_str(o->key, &k))
        return lr_err_set(err, LR_ERR_USAGE,
                          "'%s' is not a parcel key: want OLDCOMMUNE-SHEET-PARCEL, e.g. "
                          "25216-12-345",
                          o->key);
    lr_key_format(&k, s.key);
    rc = resolve_run(&s, err);
    if (rc == LR_OK) {
        const char *const drivers[] = { "GPKG", NULL };
        s.ds = GDALOpenEx(s.gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
        if (!s.ds)
            rc =
                lr_err_set(err, LR_ERR_INPUT, "cannot open '%s': %s", s.gpkg, CPLGetLastErrorMsg());
    }
    if (rc == LR_OK)
        rc = build_doc(&s, err);
    if (rc == LR_OK && !found(&s))
        rc = lr_err_set(err, LR_ERR_INTERNAL,
                        "key '%s' not found in run '%s': no map parcel, register record, "
                        "lineage row or finding carries it",
                        s.key, s.dir);
    if (rc == LR_OK && o->json) {
        json_dumpf(s.doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        fputc('\n', out);
    } else if (rc == LR_OK) {
        print_text(&s, out);
    }
    if (s.ds)
        GDALClose(s.ds);
    json_decref(s.doc);
    free(s.in_list);
    free(s.gpkg);
    free(s.dir);
    return rc;
}
