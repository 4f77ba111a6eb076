/* validate_int.h - private to the validate stage (stage_validate.c: phases, threads, groups;
 * validate_parcel.c: the checks of one parcel and each thread's copies of the boundaries).
 *
 * Thread rules: a struct lr_vworker belongs to one thread (its GEOS context, its boundary
 * copies, its issue and gap lists); the job is shared, read-only but for next/failed (atomics)
 * and for spill[i], which only the thread checking parcel i writes. */
#ifndef LR_VALIDATE_INT_H
#define LR_VALIDATE_INT_H

#include "geom.h"
#include "geom_qa.h"
#include "geom_rings.h"
#include "stage.h"

#include <pthread.h>
#include <stdatomic.h>

enum lr_vphase { LR_VPH_PARCELS = 0, LR_VPH_OVERLAPS, LR_VPH_GAPS };

/* Parcels idx[0..n) of one map (phase 2) or one new commune (phase 3). */
struct lr_vgroup {
    int32_t code;
    size_t *idx;
    size_t n;
    bool bounded; /* phase 3: gaps against the commune's boundary (else holes of the union) */
};

struct lr_vjob {
    struct lr_ctx *ctx;
    struct lr_shard *sh;
    enum lr_vphase phase;
    size_t ntasks;
    struct lr_vgroup *groups; /* phase 2 and 3 tasks */
    atomic_size_t next;
    atomic_int failed;
    uint8_t *spill;    /* [n_parcels] not covered by its own commune's boundary */
    int32_t *group_of; /* [n_parcels] phase-3 group code, -1 none */
    double extra_cpu;  /* CPU seconds the busiest worker of each phase used beyond worker 0 */
};

/* A small piece of boundary b: overlays with a parcel cost little. */
struct lr_vpiece {
    void *geom;
    size_t b;
};

struct lr_vworker {
    struct lr_vjob *job;
    struct lr_geom_ctx *g;
    void **bgeom, **bprep;    /* this thread's copies of the boundaries, [n_boundaries] */
    struct lr_rings *brings;  /* [n_boundaries] their rings ... */
    struct lr_seggrid *bgrid; /* ... and a grid of their edges */
    struct lr_rings scratch;  /* the rings of the parcel being placed */
    struct lr_vpiece *pieces; /* the boundaries cut into small pieces, for measuring shares */
    size_t npieces, cap_pieces;
    struct lr_geom_tree *ptree;
    struct lr_geom_tree *btree;
    struct lr_qa_issues issues;
    struct lr_qa_gaps gaps;
    int64_t repair_delta_dm2, in, out, rejected;
    bool unrepairable; /* the parcel being checked could not be repaired */
    double phase_cpu;  /* CPU seconds this worker used in the last phase */
    enum lr_rc rc;
    struct lr_err err;
    pthread_t th;
};

/* Set up w for job j: its own GEOS context, copies of the shard's boundaries (prepared, with a
 * grid of their edges and cut into small pieces). LR_ERR_NOMEM on failure (w can be released). */
enum lr_rc lr_validate_worker_init(struct lr_vworker *w, struct lr_vjob *j);
/* Free everything w holds (nb: the shard's boundary count). */
void lr_validate_worker_release(struct lr_vworker *w, size_t nb);
/* Phase 1 for parcel i: build, check, repair, measure and place it; issues go to w->issues.
 * hits/nh: scratch for index queries, kept between calls (caller frees). */
enum lr_rc lr_validate_parcel(struct lr_vworker *w, size_t i, size_t **hits, size_t *nh);

#endif
