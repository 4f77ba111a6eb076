/* geom_qa.c - overlaps and gaps across parcels (see geom_qa.h). */
#include "geom_qa.h"

#include "geom_rings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUPLICATE_SHARE 0.95 /* an overlap this share of both parcels: duplicated geometry */
#define BESIDE_MAX      3    /* adjacent parcels named in a gap's detail */

/* ---- issue lists ---- */

void
lr_qa_issues_init(struct lr_qa_issues *l)
{
    memset(l, 0, sizeof(*l));
}

void
lr_qa_issues_release(struct lr_qa_issues *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].detail);
        free(l->v[i].wkb_hex);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static enum lr_rc
issues_reserve(struct lr_qa_issues *l, size_t more)
{
    size_t ncap = l->cap ? l->cap : 64;
    struct lr_issue *v;

    if (l->n + more <= l->cap)
        return LR_OK;
    while (ncap < l->n + more)
        ncap *= 2;
    v = realloc(l->v, ncap * sizeof(*v));
    if (!v)
        return LR_ERR_NOMEM;
    l->v = v;
    l->cap = ncap;
    return LR_OK;
}

enum lr_rc
lr_qa_issues_add(struct lr_qa_issues *l, int64_t parcel, enum lr_issue_class cls, double x,
                 double y, const char *detail, char *wkb_hex)
{
    struct lr_issue *is;
    char *d = lr_strdup(detail ? detail : "");

    if (!d || issues_reserve(l, 1) != LR_OK) {
        free(d);
        free(wkb_hex);
        return LR_ERR_NOMEM;
    }
    is = &l->v[l->n++];
    memset(is, 0, sizeof(*is));
    is->parcel = parcel;
    is->record = -1;
    is->cls = cls;
    is->x = x;
    is->y = y;
    is->detail = d;
    is->wkb_hex = wkb_hex;
    return LR_OK;
}

enum lr_rc
lr_qa_issues_take(struct lr_qa_issues *dst, struct lr_qa_issues *src)
{
    if (issues_reserve(dst, src->n) != LR_OK)
        return LR_ERR_NOMEM;
    if (src->n)
        memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
    dst->n += src->n;
    src->n = 0;
    return LR_OK;
}

static int
cmp_issue(const void *pa, const void *pb)
{
    const struct lr_issue *a = pa, *b = pb;
    int c;

    if (a->parcel != b->parcel)
        return a->parcel < b->parcel ? -1 : 1;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if ((c = strcmp(a->detail, b->detail)) != 0)
        return c;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return strcmp(a->wkb_hex ? a->wkb_hex : "", b->wkb_hex ? b->wkb_hex : "");
}

void
lr_qa_issues_sort(struct lr_qa_issues *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), cmp_issue);
}

enum lr_rc
lr_qa_issues_flush(struct lr_qa_issues *l, struct lr_shard *sh, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    size_t i = 0;

    for (; i < l->n; i++) {
        struct lr_issue *is = &l->v[i];
        rc = lr_shard_add_issue(sh, is->parcel, is->record, is->cls, is->x, is->y, is->detail);
        if (rc != LR_OK)
            break;
        sh->issues[sh->n_issues - 1].wkb_hex = is->wkb_hex;
        is->wkb_hex = NULL;
        free(is->detail);
        is->detail = NULL;
    }
    if (rc != LR_OK) {
        for (; i < l->n; i++) {
            free(l->v[i].detail);
            free(l->v[i].wkb_hex);
        }
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    l->n = 0;
    return rc;
}

/* ---- overlaps ---- */

/* The rings of each parcel of a group, with their extents. */
struct group_rings {
    struct lr_rings rings;
    struct lr_ringset *sets; /* [n] */
};

static void
group_rings_release(struct group_rings *gr)
{
    lr_rings_release(&gr->rings);
    free(gr->sets);
}

static bool
usable(const struct lr_parcel *p)
{
    return p->geom && p->status != LR_ST_REJECTED && !(p->issues & (1u << LR_IS_UNREPAIRABLE));
}

static enum lr_rc
group_rings_build(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx, size_t n,
                  struct group_rings *gr)
{
    lr_rings_init(&gr->rings);
    gr->sets = calloc(n ? n : 1, sizeof(*gr->sets));
    if (!gr->sets)
        return LR_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        const struct lr_parcel *p = &sh->parcels[idx[k]];
        size_t first = gr->rings.nrings, cnt = 0;
        /* a parcel the repair left alone has its shape's coordinates: cheaper to read */
        enum lr_rc rc = !p->geom ? LR_OK
                        : p->issues & (1u << LR_IS_REPAIRED)
                            ? lr_geom_rings(g, p->geom, &gr->rings, &cnt)
                            : lr_rings_add_shape(&gr->rings, &p->shape, &cnt);
        if (rc != LR_OK)
            return rc;
        lr_ringset_make(&gr->sets[k], &gr->rings, first, cnt);
    }
    return LR_OK;
}

static void
key_of(const struct lr_shard *sh, size_t i, char *buf)
{
    lr_key_format(&sh->parcels[i].key, buf);
}

/* Report the overlap ov (area m2) of parcels a and b on both. */
static enum lr_rc
report_overlap(struct lr_geom_ctx *g, const struct lr_shard *sh, size_t a, size_t b, void *ov,
               double area, struct lr_qa_issues *out)
{
    double aa = lr_geom_area(g, sh->parcels[a].geom), ab = lr_geom_area(g, sh->parcels[b].geom);
    bool dup = area >= DUPLICATE_SHARE * aa && area >= DUPLICATE_SHARE * ab;
    char ka[LR_KEY_STR_MAX], kb[LR_KEY_STR_MAX], d[256];
    double x = 0, y = 0;
    enum lr_rc rc = LR_OK;

    key_of(sh, a, ka);
    key_of(sh, b, kb);
    lr_geom_interior_point(g, ov, &x, &y);
    for (int side = 0; side < 2 && rc == LR_OK; side++) {
        size_t self = side ? b : a;
        const char *other = side ? ka : kb;
        double mine = side ? ab : aa, theirs = side ? aa : ab;
        if (dup)
            snprintf(d, sizeof(d),
                     "duplicated geometry: overlaps %s by %.1f m2 (%.1f %% of this parcel, "
                     "%.1f %% of that one)",
                     other, area, 100 * area / mine, 100 * area / theirs);
        else
            snprintf(d, sizeof(d), "overlaps %s by %.1f m2", other, area);
        rc = lr_qa_issues_add(out, (int64_t)self, LR_IS_OVERLAP, x, y, d, lr_geom_to_hex(g, ov));
    }
    return rc;
}

/* Measure the overlap of parcels a and b with GEOS; report it when above min_m2. */
static enum lr_rc
measure_pair(struct lr_geom_ctx *g, const struct lr_shard *sh, size_t a, size_t b, double min_m2,
             struct lr_qa_issues *out)
{
    void *inter = lr_geom_intersection(g, sh->parcels[a].geom, sh->parcels[b].geom);
    void *poly = inter ? lr_geom_to_multipolygon(g, inter) : NULL;
    double area = poly ? lr_geom_area(g, poly) : 0;
    char ka[LR_KEY_STR_MAX], kb[LR_KEY_STR_MAX];
    enum lr_rc rc = LR_OK;

    if (!inter) {
        key_of(sh, a, ka);
        key_of(sh, b, kb);
        lr_log(LR_LOG_WARN, "validate", NULL, "overlap of '%s' and '%s' not measured: %s", ka, kb,
               lr_geom_last_error(g));
    } else if (area > min_m2) {
        rc = report_overlap(g, sh, a, b, poly, area, out);
    }
    lr_geom_free(poly);
    lr_geom_free(inter);
    return rc;
}

/* Pairs (k, j > k) of the group whose envelopes meet; measured when their interiors do. */
static enum lr_rc
overlap_pairs(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx, size_t n,
              const struct group_rings *gr, struct lr_geom_tree *tree, double min_m2,
              struct lr_qa_issues *out)
{
    size_t *hits = NULL, nh = 0;
    enum lr_rc rc = LR_OK;

    for (size_t k = 0; rc == LR_OK && k < n; k++) {
        if (!usable(&sh->parcels[idx[k]]))
            continue;
        nh = 0;
        rc = lr_geom_tree_query_geom(tree, sh->parcels[idx[k]].geom, &hits, &nh);
        for (size_t h = 0; rc == LR_OK && h < nh; h++) {
            size_t j = hits[h];
            if (j <= k || !lr_ringset_interiors_intersect(&gr->sets[k], &gr->sets[j]))
                continue;
            rc = measure_pair(g, sh, idx[k], idx[j], min_m2, out);
        }
    }
    free(hits);
    return rc;
}

enum lr_rc
lr_qa_overlaps(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx, size_t n,
               double min_m2, struct lr_qa_issues *out, struct lr_err *err)
{
    struct group_rings gr = { { 0 }, NULL };
    struct lr_geom_tree *tree = lr_geom_tree_new(g);
    enum lr_rc rc = tree ? group_rings_build(g, sh, idx, n, &gr) : LR_ERR_NOMEM;

    for (size_t k = 0; rc == LR_OK && k < n; k++)
        if (usable(&sh->parcels[idx[k]]))
            rc = lr_geom_tree_insert(tree, sh->parcels[idx[k]].geom, k);
    if (rc == LR_OK)
        rc = overlap_pairs(g, sh, idx, n, &gr, tree, min_m2, out);
    lr_geom_tree_free(tree);
    group_rings_release(&gr);
    if (rc != LR_OK)
        return lr_err_set(err, rc, "%s looking for overlaps",
                          rc == LR_ERR_NOMEM ? "out of memory" : "GEOS failed");
    return LR_OK;
}

/* ---- gaps ---- */

void
lr_qa_gaps_init(struct lr_qa_gaps *l)
{
    memset(l, 0, sizeof(*l));
}

void
lr_qa_gaps_release(struct lr_qa_gaps *l)
{
    for (size_t i = 0; i < l->n; i++)
        lr_geom_free(l->v[i].geom);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

enum lr_rc
lr_qa_gaps_take(struct lr_qa_gaps *dst, struct lr_qa_gaps *src)
{
    if (dst->n + src->n > dst->cap) {
        size_t ncap = dst->n + src->n;
        struct lr_qa_gap *v = realloc(dst->v, (ncap ? ncap : 1) * sizeof(*v));
        if (!v)
            return LR_ERR_NOMEM;
        dst->v = v;
        dst->cap = ncap;
    }
    if (src->n)
        memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
    dst->n += src->n;
    src->n = 0;
    return LR_OK;
}

static struct lr_qa_gap *
gaps_add(struct lr_qa_gaps *l)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 16;
        struct lr_qa_gap *v = realloc(l->v, ncap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = ncap;
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    l->v[l->n].parcel = -1;
    return &l->v[l->n++];
}

/* State of one group's gap search. */
struct gap_search {
    struct lr_geom_ctx *g;
    const struct lr_shard *sh;
    const size_t *idx;
    size_t n;
    struct group_rings gr;
    struct lr_geom_tree *tree; /* of the group's parcels, built on first use */
    size_t *hits;
    size_t nh;
};

static enum lr_rc
search_tree(struct gap_search *s)
{
    if (s->tree)
        return LR_OK;
    s->tree = lr_geom_tree_new(s->g);
    if (!s->tree)
        return LR_ERR_NOMEM;
    for (size_t k = 0; k < s->n; k++)
        if (s->sh->parcels[s->idx[k]].geom)
            lr_geom_tree_insert(s->tree, s->sh->parcels[s->idx[k]].geom, k);
    return LR_OK;
}

/* Is (x, y) inside or on some parcel of the group? *covered answers. */
static enum lr_rc
point_covered(struct gap_search *s, double x, double y, bool *covered)
{
    enum lr_rc rc = search_tree(s);

    *covered = false;
    s->nh = 0;
    if (rc == LR_OK)
        rc = lr_geom_tree_query_xy(s->tree, x, y, &s->hits, &s->nh);
    for (size_t h = 0; rc == LR_OK && h < s->nh && !*covered; h++) {
        const struct lr_ringset *set = &s->gr.sets[s->hits[h]];
        struct lr_ringset one;
        if (usable(&s->sh->parcels[s->idx[s->hits[h]]])) {
            *covered = lr_ringset_locate(set, x, y) != 0;
            continue;
        }
        /* a geometry left invalid: inside any of its rings counts as covered */
        for (size_t r = set->first; r < set->first + set->count && !*covered; r++) {
            lr_ringset_make(&one, set->r, r, 1);
            *covered = lr_ringset_locate(&one, x, y) != 0;
        }
    }
    return rc;
}

struct beside {
    size_t k;
    double len;
};

static int
cmp_beside(const void *pa, const void *pb)
{
    const struct beside *a = pa, *b = pb;

    if (a->len != b->len)
        return a->len > b->len ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* The gap's adjacent parcels by shared boundary length: the longest is the gap's parcel. */
static enum lr_rc
gap_neighbours(struct gap_search *s, struct lr_qa_gap *gap)
{
    struct beside top[64];
    struct lr_rings fr;
    struct lr_ringset face;
    size_t nt = 0, used = 0, nr = 0;
    enum lr_rc rc = search_tree(s);

    lr_rings_init(&fr);
    s->nh = 0;
    if (rc == LR_OK)
        rc = lr_geom_rings(s->g, gap->geom, &fr, &nr);
    if (rc == LR_OK)
        rc = lr_geom_tree_query_geom(s->tree, gap->geom, &s->hits, &s->nh);
    lr_ringset_make(&face, &fr, 0, nr);
    for (size_t h = 0; rc == LR_OK && h < s->nh && nt < LR_ARRAY_LEN(top); h++) {
        double len = lr_ringset_shared_length(&face, &s->gr.sets[s->hits[h]]);
        if (len > 0)
            top[nt++] = (struct beside){ s->hits[h], len };
    }
    lr_rings_release(&fr);
    if (rc != LR_OK)
        return rc;
    qsort(top, nt, sizeof(top[0]), cmp_beside);
    gap->beside[0] = '\0';
    for (size_t t = 0; t < nt && t < BESIDE_MAX; t++) {
        char k[LR_KEY_STR_MAX];
        size_t i = s->idx[top[t].k];
        key_of(s->sh, i, k);
        used += (size_t)snprintf(gap->beside + used, sizeof(gap->beside) - used, "%s%s (%.1f m)",
                                 t ? ", " : "", k, top[t].len);
        if (used >= sizeof(gap->beside))
            break;
    }
    gap->parcel = nt ? (int64_t)s->idx[top[0].k] : -1;
    return LR_OK;
}

/* Face f of the linework: a gap when large enough, inside an area and covered by no parcel. */
static enum lr_rc
examine_face(struct gap_search *s, const void *f, int32_t group, const void *const *preps,
             size_t nareas, double min_m2, struct lr_qa_gaps *out)
{
    double x, y;
    bool inside = nareas == 0, covered = false;
    struct lr_qa_gap *gap;
    enum lr_rc rc;

    if (lr_geom_area(s->g, f) <= min_m2 || !lr_geom_interior_point(s->g, f, &x, &y))
        return LR_OK;
    for (size_t a = 0; a < nareas && !inside; a++)
        inside = lr_geom_prepared_contains_xy(s->g, preps[a], x, y) == 1;
    if (!inside)
        return LR_OK;
    rc = point_covered(s, x, y, &covered);
    if (rc != LR_OK || covered)
        return rc;
    gap = gaps_add(out);
    if (!gap)
        return LR_ERR_NOMEM;
    gap->group = group;
    gap->geom = lr_geom_to_multipolygon(s->g, f);
    if (!gap->geom)
        return LR_ERR_NOMEM;
    return gap_neighbours(s, gap);
}

enum lr_rc
lr_qa_gaps_find(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx, size_t n,
                int32_t group, const void *const *areas, const void *const *preps, size_t nareas,
                double min_m2, struct lr_qa_gaps *out, struct lr_err *err)
{
    struct gap_search s = { g, sh, idx, n, { { 0 }, NULL }, NULL, NULL, 0 };
    double *seg = NULL;
    size_t nseg = 0;
    void *faces = NULL;
    enum lr_rc rc = group_rings_build(g, sh, idx, n, &s.gr);
    size_t first_area = s.gr.rings.nrings, added;

    for (size_t a = 0; rc == LR_OK && a < nareas; a++)
        rc = lr_geom_rings(g, areas[a], &s.gr.rings, &added);
    if (rc == LR_OK)
        rc = lr_rings_unmatched_edges(&s.gr.rings, first_area, &seg, &nseg);
    if (rc == LR_OK && nseg) {
        faces = lr_geom_faces(g, seg, nseg, NULL, 0);
        if (!faces) /* GEOS could not node the edges: say so, and go on with the next commune */
            lr_log(LR_LOG_WARN, "validate", NULL,
                   "new commune %05d: gaps not looked for, its %zu coverage edges cannot be "
                   "noded: %s",
                   (int)group, nseg, lr_geom_last_error(g));
    }
    for (int f = 0; rc == LR_OK && faces && f < lr_geom_num_parts(g, faces); f++)
        rc = examine_face(&s, lr_geom_part(g, faces, f), group, preps, nareas, min_m2, out);
    lr_geom_free(faces);
    free(seg);
    free(s.hits);
    lr_geom_tree_free(s.tree);
    group_rings_release(&s.gr);
    if (rc != LR_OK)
        return lr_err_set(err, rc, "%s looking for gaps in new commune %05d",
                          rc == LR_ERR_NOMEM ? "out of memory" : "GEOS failed", (int)group);
    return LR_OK;
}

/* Take away from gap the parcels of other groups reaching into it. */
static enum lr_rc
subtract_others(struct lr_geom_ctx *g, const struct lr_shard *sh, struct lr_geom_tree *tree,
                const int32_t *group_of, struct lr_qa_gap *gap, size_t **hits, size_t *nh)
{
    enum lr_rc rc;

    *nh = 0;
    rc = lr_geom_tree_query_geom(tree, gap->geom, hits, nh);
    for (size_t h = 0; rc == LR_OK && h < *nh; h++) {
        const struct lr_parcel *p = &sh->parcels[(*hits)[h]];
        if (group_of[(*hits)[h]] == gap->group || !usable(p))
            continue;
        void *rest = lr_geom_difference(g, gap->geom, p->geom);
        void *poly = rest ? lr_geom_to_multipolygon(g, rest) : NULL;
        lr_geom_free(rest);
        if (!rest)
            continue; /* GEOS failed on this pair: keep the gap as it is */
        lr_geom_free(gap->geom);
        gap->geom = poly;
        if (!poly)
            break; /* nothing left */
    }
    return rc;
}

static enum lr_rc
write_gap(struct lr_geom_ctx *g, const struct lr_qa_gap *gap, bool bounded, double area,
          struct lr_qa_issues *out)
{
    double x = 0, y = 0;
    char d[384];

    lr_geom_interior_point(g, gap->geom, &x, &y);
    snprintf(d, sizeof(d), "%s of %.1f m2 in the parcel coverage of new commune %05d%s%s",
             bounded ? "gap" : "hole", area, (int)gap->group, gap->beside[0] ? ", beside " : "",
             gap->beside);
    return lr_qa_issues_add(out, gap->parcel, LR_IS_GAP, x, y, d, lr_geom_to_hex(g, gap->geom));
}

/* A tree of the parcels that may cover other groups' gaps (NULL tree when there are none). */
static enum lr_rc
cover_tree(struct lr_geom_ctx *g, const struct lr_shard *sh, const uint8_t *may_cover,
           struct lr_geom_tree **out)
{
    size_t n = 0;

    *out = NULL;
    for (size_t i = 0; i < sh->n_parcels; i++)
        n += (!may_cover || may_cover[i]) && usable(&sh->parcels[i]);
    if (n == 0)
        return LR_OK;
    *out = lr_geom_tree_new(g);
    if (!*out)
        return LR_ERR_NOMEM;
    for (size_t i = 0; i < sh->n_parcels; i++)
        if ((!may_cover || may_cover[i]) && usable(&sh->parcels[i]))
            lr_geom_tree_insert(*out, sh->parcels[i].geom, i);
    return LR_OK;
}

enum lr_rc
lr_qa_gaps_finish(struct lr_geom_ctx *g, const struct lr_shard *sh, struct lr_qa_gaps *gaps,
                  const uint8_t *may_cover, const int32_t *group_of, bool bounded, double min_m2,
                  struct lr_qa_issues *out, struct lr_err *err)
{
    struct lr_geom_tree *tree = NULL;
    size_t *hits = NULL, nh = 0;
    enum lr_rc rc = gaps->n ? cover_tree(g, sh, may_cover, &tree) : LR_OK;

    for (size_t i = 0; rc == LR_OK && i < gaps->n; i++) {
        struct lr_qa_gap *gap = &gaps->v[i];
        if (tree)
            rc = subtract_others(g, sh, tree, group_of, gap, &hits, &nh);
        double area = gap->geom ? lr_geom_area(g, gap->geom) : 0;
        if (rc == LR_OK && area > min_m2)
            rc = write_gap(g, gap, bounded, area, out);
    }
    free(hits);
    lr_geom_tree_free(tree);
    lr_qa_gaps_release(gaps);
    if (rc != LR_OK)
        return lr_err_set(err, rc, "out of memory writing gaps");
    return LR_OK;
}
