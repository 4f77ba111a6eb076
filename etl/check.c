/* check.c - `landrec check`: validate the config and probe every input without running. */
#include "run.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open every file of a path/glob and print one line per layer: features and CRS. */
static enum lr_rc
probe(const char *kind, const char *pattern, const char *layer_name, struct lr_err *err)
{
    char **paths = NULL;
    size_t n = 0;
    enum lr_rc rc = lr_source_glob(pattern, &paths, &n, err);

    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        GDALDatasetH ds = NULL;
        rc = lr_source_open(paths[i], &ds, err);
        for (int l = 0; rc == LR_OK && l < GDALDatasetGetLayerCount(ds); l++) {
            OGRLayerH layer = GDALDatasetGetLayer(ds, l);
            char *crs;
            if (layer_name && strcmp(OGR_L_GetName(layer), layer_name) != 0)
                continue;
            crs = lr_source_layer_crs(layer);
            printf("%-11s %s layer '%s': %lld features, %s\n", kind, paths[i], OGR_L_GetName(layer),
                   (long long)OGR_L_GetFeatureCount(layer, 1),
                   crs ? "CRS declared" : "no CRS (the config's crs is used)");
            free(crs);
        }
        if (ds)
            GDALClose(ds);
    }
    lr_source_glob_free(paths, n);
    return rc;
}

enum lr_rc
lr_check_main(const char *config_path, struct lr_err *err)
{
    struct lr_config cfg;
    enum lr_rc rc;

    memset(&cfg, 0, sizeof(cfg));
    rc = lr_config_load(config_path, &cfg, err);
    if (rc == LR_OK)
        rc = probe("crosswalk", cfg.crosswalk, NULL, err);
    if (rc == LR_OK && cfg.boundaries)
        rc = probe("boundaries", cfg.boundaries, NULL, err);
    if (rc == LR_OK)
        rc = probe("price_zones", cfg.price_zones.path, cfg.price_zones.layer, err);
    for (size_t i = 0; rc == LR_OK && i < cfg.n_maps; i++)
        rc = probe("map", cfg.maps[i].path, cfg.maps[i].layer, err);
    for (size_t i = 0; rc == LR_OK && i < cfg.n_registers; i++)
        if (cfg.registers[i].path)
            rc = probe("register", cfg.registers[i].path, cfg.registers[i].layer, err);
    if (rc == LR_OK)
        printf("config '%s' is valid and every input can be read\n", config_path);
    lr_config_release(&cfg);
    return rc;
}
