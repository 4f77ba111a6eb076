/* fuzz_config.c - libFuzzer target: the config parser (lr_config_load) on arbitrary bytes.
 * The input is handed over as a memfd (/proc/self/fd/N), so no file is written per execution.
 * Checks: no crash, leak or UB; an accepted config has the invariants the runner relies on. */
#include "config.h"
#include "core.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct lr_config cfg;
    struct lr_err err;
    char path[64];
    int fd = memfd_create("landrec-config.yaml", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    lr_log_set_level(LR_LOG_ERROR);
    lr_err_clear(&err);
    if (lr_config_load(path, &cfg, &err) == LR_OK) {
        assert(cfg.n_maps >= 1 && cfg.maps && cfg.n_registers >= 1 && cfg.registers);
        assert(cfg.run_name && cfg.output && cfg.target_crs && cfg.crosswalk);
        lr_config_release(&cfg);
    } else {
        assert(err.rc != LR_OK && err.msg[0]); /* every refusal says why */
    }
    close(fd);
    return 0;
}
