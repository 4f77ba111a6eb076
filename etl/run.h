/* run.h - `landrec run` and `landrec check` as library functions behind the thin main. */
#ifndef LR_RUN_H
#define LR_RUN_H

#include "stage.h"

/* Run the whole batch described by opts. Returns the run's rc (see lr_rc_exit_code). */
enum lr_rc lr_run_main(const struct lr_run_opts *opts, struct lr_err *err);
/* Validate the config and probe every input (open, count features, CRS); run nothing.
 * Prints one line per input to stdout. */
enum lr_rc lr_check_main(const char *config_path, struct lr_err *err);

#endif
