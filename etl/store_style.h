/* store_style.h - QGIS styles for parcels.gpkg: QML (QGIS's own format, with the renderer, the
 * legend labels and the Vietnamese field aliases, which GDAL 3.6 cannot write into the GPKG
 * itself) and SLD (for other clients), one pair per table, stored by store.c in the standard
 * `layer_styles` table. Pure string building: no GDAL here. */
#ifndef LR_STORE_STYLE_H
#define LR_STORE_STYLE_H

#include "core.h"

/* How a table is drawn. */
enum lr_style_kind {
    LR_STYLE_TABLE = 0, /* no geometry: aliases only */
    LR_STYLE_PARCELS,   /* polygons categorized by the `status` field */
    LR_STYLE_ISSUES,    /* points and polygons by the `class` field (rule-based) */
};

/* A field and its Vietnamese alias (shown by QGIS in forms and the attribute table). */
struct lr_style_field {
    const char *name;
    const char *alias;
};

/* QML document for a table with the given fields (in column order, without the FID).
 * Caller frees; NULL on out of memory. */
char *lr_style_qml(enum lr_style_kind kind, const struct lr_style_field *fields, size_t n);
/* SLD 1.1 document for a table (named layer = table). Caller frees; NULL on out of memory. */
char *lr_style_sld(enum lr_style_kind kind, const char *table);
/* Vietnamese label of a status or issue class name ("matched" -> "Khớp"); NULL if unknown. */
const char *lr_style_label(const char *class_name);

#endif
