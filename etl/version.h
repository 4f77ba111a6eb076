/* version.h - library set-up at start and the versions `landrec version` prints. */
#ifndef LR_VERSION_H
#define LR_VERSION_H

#include <stdio.h>

/* Register GDAL drivers and set process-wide options (raw DBF bytes: landrec decodes text). */
void lr_init_libraries(void);
void lr_version_print(FILE *f);

#endif
