/* geom_fixture.h - a shard with hand-made parcels for the geometry tests (test_geom_*.c).
 *
 * Shapes are written as text: points "x y" separated by ',', rings by ';' (the first ring of a
 * part is its shell), parts by '|'. Rings are taken as written (closed or not, any number of
 * points), so that broken input can be made. */
#ifndef LR_TEST_GEOM_FIXTURE_H
#define LR_TEST_GEOM_FIXTURE_H

#include "config.h"
#include "geom.h"
#include "model.h"
#include "stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gfx {
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    struct lr_geom_ctx *g;
};

/* Defaults of SPEC.md's validate section. */
static inline void
gfx_init(struct gfx *f, int jobs)
{
    memset(f, 0, sizeof(*f));
    f->cfg.repair = LR_REPAIR_STRUCTURE;
    f->cfg.sliver_thinness = 0.05;
    f->cfg.min_overlap_m2 = 0.5;
    f->cfg.min_gap_m2 = 0.5;
    f->cfg.spike_angle_deg = 1.0;
    f->cfg.max_repair_loss = 0.01;
    f->g = lr_geom_ctx_new();
    f->ctx.cfg = &f->cfg;
    f->ctx.jobs = jobs;
    f->ctx.geom = f->g;
    lr_shard_init(&f->sh, &f->cfg);
    f->sh.n_stages = 1;
    f->sh.stages[0].name = "validate";
}

static inline void
gfx_release(struct gfx *f)
{
    lr_shard_release(&f->sh);
    lr_geom_ctx_free(f->g);
}

/* Count parts, rings and points of a shape text. */
static inline void
gfx_count(const char *t, uint32_t *parts, uint32_t *rings, uint32_t *pts)
{
    *parts = 1;
    *rings = 1;
    *pts = 1;
    for (; *t; t++) {
        *parts += *t == '|';
        *rings += *t == '|' || *t == ';';
        *pts += *t == '|' || *t == ';' || *t == ',';
    }
}

/* Fill s from text t (see the header comment). */
static inline void
gfx_shape(struct lr_shape *s, const char *t)
{
    uint32_t part = 0, ring = 0, pt = 0;
    char *end;

    memset(s, 0, sizeof(*s));
    gfx_count(t, &s->nparts, &s->nrings, &s->npts);
    s->part_rings = calloc(s->nparts, sizeof(uint32_t));
    s->ring_pts = calloc(s->nrings, sizeof(uint32_t));
    s->xy = calloc(2 * (size_t)s->npts, sizeof(double));
    s->part_rings[0] = 1;
    for (;;) {
        s->xy[2 * pt] = strtod(t, &end);
        s->xy[2 * pt + 1] = strtod(end, &end);
        pt++;
        s->ring_pts[ring]++;
        while (*end == ' ')
            end++;
        if (*end == '\0')
            break;
        if (*end == ';' || *end == '|') {
            ring++;
            if (*end == '|')
                part++;
            s->part_rings[part]++;
        }
        t = end + 1;
    }
}

/* Add parcel commune-sheet-number with shape text t; returns its index. */
static inline size_t
gfx_parcel(struct gfx *f, int commune, int sheet, int number, const char *t)
{
    struct lr_parcel *p = lr_shard_add_parcel(&f->sh);

    p->key.commune = commune;
    p->key.sheet = sheet;
    p->key.parcel = number;
    gfx_shape(&p->shape, t);
    return f->sh.n_parcels - 1;
}

/* Add a new commune boundary from WKT. */
static inline void
gfx_boundary(struct gfx *f, int code, const char *wkt)
{
    struct lr_boundary *b =
        realloc(f->sh.boundaries, (f->sh.n_boundaries + 1) * sizeof(*f->sh.boundaries));

    f->sh.boundaries = b;
    b += f->sh.n_boundaries++;
    b->new_code = code;
    b->geom = lr_geom_from_wkt(f->g, wkt);
    b->prep = b->geom ? lr_geom_prepare(f->g, b->geom) : NULL;
}

/* Issues of class cls on parcel i. */
static inline int
gfx_count_issues(const struct gfx *f, int64_t i, enum lr_issue_class cls)
{
    int n = 0;

    for (size_t k = 0; k < f->sh.n_issues; k++)
        n += f->sh.issues[k].parcel == i && f->sh.issues[k].cls == cls;
    return n;
}

/* The first issue of class cls on parcel i, or NULL. */
static inline const struct lr_issue *
gfx_issue(const struct gfx *f, int64_t i, enum lr_issue_class cls)
{
    for (size_t k = 0; k < f->sh.n_issues; k++)
        if (f->sh.issues[k].parcel == i && f->sh.issues[k].cls == cls)
            return &f->sh.issues[k];
    return NULL;
}

/* Bit set of the classes raised on parcel i, counted from the issue table. */
static inline uint32_t
gfx_classes(const struct gfx *f, int64_t i)
{
    uint32_t m = 0;

    for (size_t k = 0; k < f->sh.n_issues; k++)
        if (f->sh.issues[k].parcel == i)
            m |= 1u << f->sh.issues[k].cls;
    return m;
}

/* "self_intersection repaired" for a bit set, into buf. */
static inline const char *
gfx_class_names(uint32_t m, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int c = 0; c < LR_IS_COUNT && used < size; c++)
        if (m & (1u << c))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "",
                                     lr_issue_name((enum lr_issue_class)c));
    return buf;
}

#endif
