/* sample.h - `landrec sample`: a deterministic, realistic synthetic input set with injected
 * defects and a list of what was injected (for tests and benchmarks). */
#ifndef LR_SAMPLE_H
#define LR_SAMPLE_H

#include "core.h"

struct lr_sample_opts {
    const char *dir; /* output folder, created if missing */
    int64_t parcels; /* total map parcels wanted (approximate, >= 10) */
    int communes;    /* old communes (1..40) */
    uint64_t seed;   /* same seed, same bytes */
};

/* Write the sample set into o->dir (see sample.c for the file list). */
enum lr_rc lr_sample_write(const struct lr_sample_opts *o, struct lr_err *err);

#endif
