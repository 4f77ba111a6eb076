/* store_rows.c - the rows of parcels.gpkg's tables and their order (see store_rows.h), and the
 * owner-names verdict the analysts' files carry (see store.h). */
#include "store_rows.h"

#include "lineage.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

const char *
lr_store_names_agree(const struct lr_parcel *p, const struct lr_record *r)
{
    if (!p->has_owner || !r || !r->owner_name || !r->owner_name[0])
        return "unknown";
    /* the hash the load stage keeps of the map's name (0 mapped to 1, as lineage does) */
    return lr_lineage_owner_hash(r->owner_name) == (p->owner_hash ? p->owner_hash : 1) ? "yes"
                                                                                       : "no";
}

static int
cmp_parcel(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int c = lr_key_cmp(&sh->parcels[ia].key, &sh->parcels[ib].key);

    return c ? c : (ia > ib) - (ia < ib);
}

static int
cmp_record(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int c = lr_key_cmp(&sh->records[ia].key, &sh->records[ib].key);

    return c ? c : (ia > ib) - (ia < ib);
}

/* Indexes 0..n_all-1 for which keep() holds, sorted by cmp. */
static size_t *
select_sorted(const struct lr_shard *sh, size_t n_all,
              bool (*keep)(const struct lr_shard *, size_t),
              int (*cmp)(const void *, const void *, void *), size_t *n)
{
    size_t *idx = malloc((n_all + 1) * sizeof(size_t)), k = 0;

    if (!idx)
        return NULL;
    for (size_t i = 0; i < n_all; i++)
        if (keep(sh, i))
            idx[k++] = i;
    qsort_r(idx, k, sizeof(size_t), cmp, (void *)sh);
    *n = k;
    return idx;
}

static bool
has_geometry(const struct lr_shard *sh, size_t i)
{
    return sh->parcels[i].geom != NULL;
}

static bool
unlinked(const struct lr_shard *sh, size_t i)
{
    return sh->records[i].parcel < 0;
}

size_t *
lr_store_parcel_order(const struct lr_shard *sh, size_t *n)
{
    return select_sorted(sh, sh->n_parcels, has_geometry, cmp_parcel, n);
}

size_t *
lr_store_register_only_order(const struct lr_shard *sh, size_t *n)
{
    return select_sorted(sh, sh->n_records, unlinked, cmp_record, n);
}

const struct lr_key *
lr_store_parcel_key(const struct lr_shard *sh, int64_t parcel)
{
    return parcel >= 0 && sh->parcels[parcel].key.commune >= 0 ? &sh->parcels[parcel].key : NULL;
}

const struct lr_key *
lr_store_record_key(const struct lr_shard *sh, int64_t record)
{
    return record >= 0 && sh->records[record].key.commune >= 0 ? &sh->records[record].key : NULL;
}

static int
cmp_opt_key(const struct lr_key *a, const struct lr_key *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return lr_key_cmp(a, b);
}

static int
cmp_issue_row(const void *pa, const void *pb, void *arg)
{
    const struct lr_shard *sh = arg;
    const struct lr_store_issue_row *a = pa, *b = pb;
    int c = cmp_opt_key(lr_store_parcel_key(sh, a->parcel), lr_store_parcel_key(sh, b->parcel));

    if (!c)
        c = cmp_opt_key(lr_store_record_key(sh, a->record), lr_store_record_key(sh, b->record));
    if (!c)
        c = strcmp(a->cls, b->cls);
    if (!c)
        c = strcmp(a->detail, b->detail);
    if (!c)
        c = strcmp(a->wkb_hex ? a->wkb_hex : "", b->wkb_hex ? b->wkb_hex : "");
    if (!c)
        c = (a->x > b->x) - (a->x < b->x);
    if (!c)
        c = (a->y > b->y) - (a->y < b->y);
    if (!c)
        c = (a->ack > b->ack) - (a->ack < b->ack);
    return c;
}

/* The rows in mismatches.csv's sense: a parcel's finding names its record too. */
struct lr_store_issue_row *
lr_store_issue_rows(const struct lr_shard *sh, size_t *n)
{
    struct lr_store_issue_row *rows = calloc(sh->n_issues + sh->n_findings + 1, sizeof(*rows));
    size_t k = 0;

    if (!rows)
        return NULL;
    for (size_t i = 0; i < sh->n_issues; i++, k++) {
        const struct lr_issue *is = &sh->issues[i];
        rows[k] = (struct lr_store_issue_row){ .parcel = is->parcel,
                                               .record = is->record,
                                               .cls = lr_issue_name(is->cls),
                                               .detail = is->detail,
                                               .wkb_hex = is->wkb_hex,
                                               .x = is->x,
                                               .y = is->y,
                                               .located = is->x != 0 || is->y != 0 };
    }
    for (size_t i = 0; i < sh->n_findings; i++, k++) {
        const struct lr_finding *f = &sh->findings[i];
        rows[k] = (struct lr_store_issue_row){ .parcel = f->parcel,
                                               .record = f->record,
                                               .cls = lr_status_name(f->cls),
                                               .detail = f->detail,
                                               .finding = true,
                                               .ack = f->acknowledged };
    }
    for (size_t i = 0; i < k; i++) {
        if (rows[i].record < 0 && rows[i].parcel >= 0)
            rows[i].record = sh->parcels[rows[i].parcel].record;
        if (!rows[i].detail)
            rows[i].detail = "";
    }
    qsort_r(rows, k, sizeof(*rows), cmp_issue_row, (void *)sh);
    *n = k;
    return rows;
}

static int
cmp_pair(const void *a, const void *b)
{
    const struct lr_store_lineage_row *x = a, *y = b;

    if (x->record != y->record)
        return x->record < y->record ? -1 : 1;
    return (x->parcel > y->parcel) - (x->parcel < y->parcel);
}

static int
cmp_lineage_row(const void *pa, const void *pb, void *arg)
{
    const struct lr_shard *sh = arg;
    const struct lr_store_lineage_row *a = pa, *b = pb;
    int c = cmp_opt_key(lr_store_record_key(sh, a->record), lr_store_record_key(sh, b->record));

    if (!c)
        c = cmp_opt_key(lr_store_parcel_key(sh, a->parcel), lr_store_parcel_key(sh, b->parcel));
    if (!c)
        c = (a->rel > b->rel) - (a->rel < b->rel);
    if (!c)
        c = (a->confidence_pct < b->confidence_pct) - (a->confidence_pct > b->confidence_pct);
    if (!c)
        c = strcmp(a->evidence, b->evidence);
    return c ? c : cmp_pair(a, b);
}

/* A linked parcel without a lineage row: same key -> `same` (confidence 1), else a number
 * change (a correction's link or a match on other evidence) -> `renumbered`. */
static void
linked_row(const struct lr_shard *sh, size_t i, struct lr_store_lineage_row *row)
{
    const struct lr_parcel *p = &sh->parcels[i];
    bool same = lr_key_cmp(&p->key, &sh->records[p->record].key) == 0;

    row->record = p->record;
    row->parcel = (int64_t)i;
    row->rel = same ? LR_REL_SAME : LR_REL_RENUMBERED;
    row->confidence_pct = same ? 100 : p->confidence_pct;
    row->evidence =
        same ? "same key on the map and in the register" : "linked by the match; the keys differ";
}

struct lr_store_lineage_row *
lr_store_lineage_rows(const struct lr_shard *sh, size_t *n)
{
    struct lr_store_lineage_row *rows = calloc(sh->n_lineage + sh->n_parcels + 1, sizeof(*rows));
    size_t k = 0, n_pass;

    if (!rows)
        return NULL;
    for (size_t i = 0; i < sh->n_lineage; i++, k++) {
        const struct lr_lineage *l = &sh->lineage[i];
        rows[k] =
            (struct lr_store_lineage_row){ l->record, l->parcel, l->relation, l->confidence_pct,
                                           l->evidence ? l->evidence : "" };
    }
    n_pass = k;
    qsort(rows, n_pass, sizeof(*rows), cmp_pair);
    for (size_t i = 0; i < sh->n_parcels; i++) {
        struct lr_store_lineage_row probe = { .record = sh->parcels[i].record,
                                              .parcel = (int64_t)i };
        if (probe.record < 0 || !lr_status_is_matched(sh->parcels[i].status) ||
            bsearch(&probe, rows, n_pass, sizeof(*rows), cmp_pair))
            continue;
        linked_row(sh, i, &rows[k++]);
    }
    qsort_r(rows, k, sizeof(*rows), cmp_lineage_row, (void *)sh);
    *n = k;
    return rows;
}
