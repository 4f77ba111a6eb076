/* report.c - report.html (see report.h): text helpers, counts per new and old commune and the
 * area ratio histogram; the sections are in report_html.c, charts in report_svg.c, maps in
 * report_map.c.
 * Owner data (register owner_name, owner_id, certificate, address) is never read here. */
#include "report.h"

#include "io.h"
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text helpers ---- */

void
lr_rp_esc(struct lr_buf *b, const char *s)
{
    const char *run = s;

    if (!s)
        return;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        lr_buf_add(b, run, (size_t)(s - run));
        lr_buf_adds(b, rep);
        run = s + 1;
    }
    lr_buf_add(b, run, (size_t)(s - run));
}

void
lr_rp_num(struct lr_buf *b, int64_t n)
{
    char d[32];
    int len = snprintf(d, sizeof(d), "%lld", (long long)(n < 0 ? -n : n));

    if (n < 0)
        lr_buf_addc(b, '-');
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            lr_buf_adds(b, "\xe2\x80\xaf"); /* U+202F narrow no-break space */
        lr_buf_addc(b, d[i]);
    }
}

void
lr_rp_share(struct lr_buf *b, int64_t n, int64_t of)
{
    double pct = of > 0 ? 100.0 * (double)n / (double)of : 0;

    if (of <= 0)
        lr_buf_adds(b, "\xe2\x80\x93");
    else if (n == 0)
        lr_buf_adds(b, "0%");
    else if (pct < 0.1)
        lr_buf_adds(b, "&lt;0.1%");
    else if (pct > 99.9 && n < of)
        lr_buf_adds(b, "&gt;99.9%");
    else
        lr_buf_addf(b, "%.1f%%", pct);
}

static const char *const status_vi[LR_ST_COUNT] = {
    [LR_ST_NONE] = "Chưa xét",
    [LR_ST_MATCHED] = "Khớp",
    [LR_ST_AREA_MISMATCH] = "Lệch diện tích",
    [LR_ST_LAND_USE_MISMATCH] = "Lệch loại đất",
    [LR_ST_RENUMBERED] = "Đổi số hiệu",
    [LR_ST_SPLIT] = "Tách thửa",
    [LR_ST_MERGED] = "Hợp thửa",
    [LR_ST_DUPLICATE_KEY] = "Trùng số hiệu",
    [LR_ST_MAP_ONLY] = "Chỉ có trên bản đồ",
    [LR_ST_REGISTER_ONLY] = "Chỉ có trong hồ sơ",
    [LR_ST_COMMUNE_MISMATCH] = "Lệch xã",
    [LR_ST_REJECTED] = "Bị loại",
};

static const char *const status_color[LR_ST_COUNT] = {
    [LR_ST_NONE] = "#bab0ac",
    [LR_ST_MATCHED] = "#8cc084",
    [LR_ST_AREA_MISMATCH] = "#f28e2b",
    [LR_ST_LAND_USE_MISMATCH] = "#e8c12e",
    [LR_ST_RENUMBERED] = "#4e79a7",
    [LR_ST_SPLIT] = "#b07aa1",
    [LR_ST_MERGED] = "#2f9e96",
    [LR_ST_DUPLICATE_KEY] = "#e15759",
    [LR_ST_MAP_ONLY] = "#8b1a2b",
    [LR_ST_REGISTER_ONLY] = "#ff9da7",
    [LR_ST_COMMUNE_MISMATCH] = "#9c755f",
    [LR_ST_REJECTED] = "#555555",
};

static const char *const issue_vi[LR_IS_COUNT] = {
    [LR_IS_SELF_INTERSECTION] = "Tự cắt",
    [LR_IS_TOO_FEW_POINTS] = "Quá ít đỉnh",
    [LR_IS_DUPLICATE_VERTEX] = "Đỉnh trùng",
    [LR_IS_SPIKE] = "Gai nhọn",
    [LR_IS_REPAIRED] = "Đã sửa hình",
    [LR_IS_UNREPAIRABLE] = "Không sửa được",
    [LR_IS_OVERLAP] = "Chồng lấn",
    [LR_IS_GAP] = "Khe hở",
    [LR_IS_SLIVER] = "Thửa mảnh",
    [LR_IS_OUTSIDE_BOUNDARY] = "Ngoài ranh giới xã",
    [LR_IS_CRS_ASSUMED] = "Giả định hệ tọa độ",
    [LR_IS_NO_PRICE] = "Không có giá đất",
    [LR_IS_RING_PROBLEM] = "Lỗi vòng ranh",
    [LR_IS_BAD_KEY] = "Số hiệu không hợp lệ",
    [LR_IS_BAD_VALUE] = "Giá trị không hợp lệ",
    [LR_IS_NO_GEOMETRY] = "Không có hình",
    [LR_IS_NOT_POLYGON] = "Không phải vùng",
    [LR_IS_BAD_COORDINATES] = "Tọa độ không hợp lệ",
    [LR_IS_STRADDLES_ZONES] = "Nằm trên nhiều vùng giá",
};

const char *
lr_rp_status_vi(enum lr_status st)
{
    return (unsigned)st < LR_ST_COUNT && status_vi[st] ? status_vi[st] : "";
}

const char *
lr_rp_status_color(enum lr_status st)
{
    return (unsigned)st < LR_ST_COUNT && status_color[st] ? status_color[st] : "#999999";
}

const char *
lr_rp_issue_vi(enum lr_issue_class c)
{
    return (unsigned)c < LR_IS_COUNT && issue_vi[c] ? issue_vi[c] : "";
}

void
lr_rp_group_label(struct lr_buf *b, const struct lr_rp_group *g)
{
    if (g->code < 0) {
        lr_buf_adds(b, "Không rõ / unknown");
        return;
    }
    lr_buf_addf(b, "%05d", (int)g->code);
    if (g->name) {
        lr_buf_addc(b, ' ');
        lr_rp_esc(b, g->name);
    }
}

/* ---- counting ---- */

/* Codes sort as unsigned: -1 (unknown) last. */
static int
cmp_code(const void *a, const void *b)
{
    uint32_t x = (uint32_t) * (const int32_t *)a, y = (uint32_t) * (const int32_t *)b;

    return x < y ? -1 : x > y;
}

static struct lr_rp_group *
find_group(struct lr_rp_group *g, size_t n, int32_t code)
{
    size_t lo = 0, hi = n;
    uint32_t c = (uint32_t)code;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uint32_t)g[mid].code < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && g[lo].code == code ? &g[lo] : NULL;
}

/* One group per distinct code of codes[0..n) (sorted in place). */
static enum lr_rc
make_groups(int32_t *codes, size_t n, struct lr_rp_group **out, size_t *n_out)
{
    size_t k = 0;

    qsort(codes, n, sizeof(*codes), cmp_code);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || codes[i] != codes[i - 1])
            codes[k++] = codes[i];
    *out = calloc(k + 1, sizeof(**out));
    if (!*out)
        return LR_ERR_NOMEM;
    for (size_t i = 0; i < k; i++)
        (*out)[i].code = codes[i];
    *n_out = k;
    return LR_OK;
}

struct xw_pair {
    int32_t old_code, new_code;
};

static int
cmp_pair(const void *a, const void *b)
{
    const struct xw_pair *x = a, *y = b;

    if (x->old_code != y->old_code)
        return x->old_code < y->old_code ? -1 : 1;
    return (x->new_code > y->new_code) - (x->new_code < y->new_code);
}

/* The lowest new code the crosswalk gives old commune code (xw sorted), -1 when none. */
static int32_t
xw_new(const struct xw_pair *xw, size_t n, int32_t old_code)
{
    struct xw_pair want = { old_code, INT32_MIN };
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_pair(&xw[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && xw[lo].old_code == old_code ? xw[lo].new_code : -1;
}

/* New commune of every parcel (its own when derived, else the crosswalk's lowest new code for
 * its old commune: rejected parcels have none) and of every record (its parcel's when matched,
 * else the crosswalk's); -1 when unknown. */
static enum lr_rc
derive_communes(struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;
    struct xw_pair *xw = calloc(sh->n_communes + 1, sizeof(*xw));

    rp->par_new = calloc(sh->n_parcels + 1, sizeof(*rp->par_new));
    rp->rec_new = calloc(sh->n_records + 1, sizeof(*rp->rec_new));
    if (!xw || !rp->par_new || !rp->rec_new) {
        free(xw);
        return LR_ERR_NOMEM;
    }
    for (size_t i = 0; i < sh->n_communes; i++)
        xw[i] = (struct xw_pair){ sh->communes[i].old_code, sh->communes[i].new_code };
    qsort(xw, sh->n_communes, sizeof(*xw), cmp_pair);
    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        rp->par_new[i] =
            p->new_commune >= 0 ? p->new_commune : xw_new(xw, sh->n_communes, p->key.commune);
    }
    for (size_t i = 0; i < sh->n_records; i++) {
        const struct lr_record *r = &sh->records[i];
        rp->rec_new[i] =
            r->parcel >= 0 ? rp->par_new[r->parcel] : xw_new(xw, sh->n_communes, r->key.commune);
    }
    free(xw);
    return LR_OK;
}

static int32_t
key_commune(const struct lr_key *k)
{
    return k->commune >= 0 ? k->commune : -1;
}

static enum lr_rc
build_groups(struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;
    size_t cap = sh->n_communes + sh->n_parcels + sh->n_records + 1, nn = 0, no = 0;
    int32_t *news = malloc(cap * sizeof(int32_t)), *olds = malloc(cap * sizeof(int32_t));
    enum lr_rc rc = LR_ERR_NOMEM;

    if (!news || !olds)
        goto out;
    for (size_t i = 0; i < sh->n_communes; i++) {
        news[nn++] = sh->communes[i].new_code;
        olds[no++] = sh->communes[i].old_code;
    }
    for (size_t i = 0; i < sh->n_parcels; i++) {
        news[nn++] = rp->par_new[i];
        olds[no++] = key_commune(&sh->parcels[i].key);
    }
    for (size_t i = 0; i < sh->n_records; i++) {
        news[nn++] = rp->rec_new[i];
        olds[no++] = key_commune(&sh->records[i].key);
    }
    rc = make_groups(news, nn, &rp->news, &rp->n_news);
    if (rc == LR_OK)
        rc = make_groups(olds, no, &rp->olds, &rp->n_olds);
    for (size_t i = 0; rc == LR_OK && i < sh->n_communes; i++) {
        const struct lr_commune *c = &sh->communes[i];
        struct lr_rp_group *g = find_group(rp->news, rp->n_news, c->new_code);
        if (g && !g->name)
            g->name = c->new_name;
        g = find_group(rp->olds, rp->n_olds, c->old_code);
        if (g && !g->name)
            g->name = c->old_name;
    }
out:
    free(news);
    free(olds);
    return rc;
}

static void
add_parcel(struct lr_rp_group *g, const struct lr_parcel *p)
{
    g->n_map++;
    g->n_items++;
    g->map_st[p->status]++;
    g->item_st[p->status]++;
    for (int c = 0; c < LR_IS_COUNT && c < 32; c++)
        g->affected[c] += (p->issues >> c) & 1u;
}

static void
add_record(struct lr_rp_group *g, const struct lr_record *r)
{
    g->n_reg++;
    g->reg_st[r->status]++;
    if (r->parcel < 0) {
        g->n_items++;
        g->item_st[r->status]++;
    }
}

/* The groups an issue belongs to: its parcel's, else its record's, else unknown. */
static void
add_issue(struct lr_rp *rp, const struct lr_issue *is)
{
    const struct lr_shard *sh = rp->sh;
    int32_t nc = -1, oc = -1;
    struct lr_rp_group *g;

    if (is->parcel >= 0) {
        nc = rp->par_new[is->parcel];
        oc = key_commune(&sh->parcels[is->parcel].key);
    } else if (is->record >= 0) {
        nc = rp->rec_new[is->record];
        oc = key_commune(&sh->records[is->record].key);
    }
    rp->total.issues[is->cls]++;
    if ((g = find_group(rp->news, rp->n_news, nc)))
        g->issues[is->cls]++;
    if ((g = find_group(rp->olds, rp->n_olds, oc)))
        g->issues[is->cls]++;
}

static void
count_all(struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;

    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        add_parcel(&rp->total, p);
        add_parcel(find_group(rp->news, rp->n_news, rp->par_new[i]), p);
        add_parcel(find_group(rp->olds, rp->n_olds, key_commune(&p->key)), p);
    }
    for (size_t i = 0; i < sh->n_records; i++) {
        const struct lr_record *r = &sh->records[i];
        add_record(&rp->total, r);
        add_record(find_group(rp->news, rp->n_news, rp->rec_new[i]), r);
        add_record(find_group(rp->olds, rp->n_olds, key_commune(&r->key)), r);
    }
    for (size_t i = 0; i < sh->n_issues; i++)
        add_issue(rp, &sh->issues[i]);
    for (int i = 0; i < LR_ST_COUNT; i++)
        rp->st_used[i] = rp->total.map_st[i] || rp->total.reg_st[i];
    for (int i = 0; i < LR_IS_COUNT; i++)
        rp->is_used[i] = rp->total.issues[i] || rp->total.affected[i];
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Map area / register area (x 10^4, rounded) of matched parcels with both areas. */
static enum lr_rc
area_ratios(struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;
    int64_t *r = malloc((sh->n_parcels + 1) * sizeof(int64_t));
    size_t n = 0;

    if (!r)
        return LR_ERR_NOMEM;
    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        int64_t reg = p->record >= 0 ? sh->records[p->record].area_dm2 : -1, e4, bin;
        if (!lr_status_is_matched(p->status) || reg <= 0 || p->area_dm2 <= 0)
            continue;
        e4 = (p->area_dm2 * 10000 + reg / 2) / reg;
        bin = e4 < LR_RP_BIN_LO ? 0 : 1 + (e4 - LR_RP_BIN_LO) / LR_RP_BIN_STEP;
        bin = bin < LR_RP_BINS ? bin : LR_RP_BINS - 1;
        rp->hist[bin]++;
        rp->ratio_within += p->area_ok;
        r[n++] = e4;
    }
    qsort(r, n, sizeof(*r), cmp_i64);
    rp->ratio_n = (int64_t)n;
    rp->ratio_median_e4 = n ? (n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2) : 0;
    free(r);
    return LR_OK;
}

static void
rp_release(struct lr_rp *rp)
{
    free(rp->news);
    free(rp->olds);
    free(rp->rec_new);
    free(rp->par_new);
    free(rp->map_idx);
}

enum lr_rc
lr_report_write(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err)
{
    struct lr_rp rp = { .ctx = ctx, .sh = sh };
    struct lr_buf b;
    char *path = lr_path_join(ctx->work_dir, LR_REPORT_FILE);
    double t0 = lr_now();
    enum lr_rc rc = LR_ERR_NOMEM;

    lr_buf_init(&b);
    rp.total.code = -1;
    if (!path || derive_communes(&rp) != LR_OK || build_groups(&rp) != LR_OK ||
        area_ratios(&rp) != LR_OK) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    count_all(&rp);
    rc = lr_rp_map_prepare(&rp, err);
    if (rc == LR_OK)
        rc = lr_rp_html(&rp, &b, err);
    /* lr_buf drops an append it cannot allocate: the page is whole only if its end is there */
    if (rc == LR_OK && (b.len < 8 || strcmp(b.data + b.len - 8, "</html>\n") != 0))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", LR_REPORT_FILE);
    if (rc == LR_OK)
        rc = lr_io_write_file(path, b.data, b.len, err);
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, LR_REPORT_FILE, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "publish", NULL, "%s: %zu bytes, %zu new communes in %.3f s",
               LR_REPORT_FILE, b.len, rp.n_news, lr_now() - t0);
out:
    lr_buf_release(&b);
    rp_release(&rp);
    free(path);
    return rc;
}
