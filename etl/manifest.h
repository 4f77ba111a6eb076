/* manifest.h - manifest.json (jansson) and the conservation counts. */
#ifndef LR_MANIFEST_H
#define LR_MANIFEST_H

#include "stage.h"

/* Outcome counts of one side (map features or register rows). */
struct lr_conservation_side {
    int64_t input, matched, unmatched, rejected;
    int64_t rejected_by[LR_IS_COUNT];
};

struct lr_conservation {
    struct lr_conservation_side map, reg;
    int64_t unrepairable;
};

/* Count every parcel and record into exactly one outcome. */
void lr_manifest_conservation(const struct lr_shard *sh, struct lr_conservation *c);
/* true when input == matched + unmatched + rejected on both sides. */
bool lr_manifest_conserved(const struct lr_conservation *c);
/* Write ctx->work_dir/manifest.json with the given status ("complete", "gate_failed",
 * "failed") and message (may be NULL). */
enum lr_rc lr_manifest_write(struct lr_ctx *ctx, const struct lr_shard *sh, const char *status,
                             const char *message, struct lr_err *err);

#endif
