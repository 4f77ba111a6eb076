/* version.c - library set-up and versions (see version.h). */
#include "version.h"

#include "crs.h"
#include "geom.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <libpq-fe.h>
#include <ogr_api.h>

void
lr_init_libraries(void)
{
    /* Read DBF text as raw bytes: GDAL 3.6 truncates the last character when it recodes
     * TCVN5712-1/CP1258 itself, and it knows no TCVN3 or VNI (DOMAIN.md). */
    CPLSetConfigOption("SHAPE_ENCODING", "");
    /* Deterministic GeoPackage timestamps (byte-identical reruns). */
    CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
    /* GDAL's messages are translated where they happen (CPLGetLastErrorMsg); keep stderr clean. */
    CPLSetErrorHandler(CPLQuietErrorHandler);
    GDALAllRegister();
}

void
lr_version_print(FILE *f)
{
    int pq = PQlibVersion();

    fprintf(f, "landrec %s\nGDAL %s\nPROJ %s\nGEOS %s\nlibpq %d.%d\n", LR_VERSION,
            GDALVersionInfo("RELEASE_NAME"), lr_crs_version(), lr_geom_version(), pq / 10000,
            pq % 100);
}
