/* store_style.c - QML and SLD documents for parcels.gpkg (see store_style.h). */
#include "store_style.h"

#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A status or issue class: legend label and colour. */
struct style_class {
    const char *name;
    const char *label; /* Vietnamese */
    unsigned char rgb[3];
    bool area; /* issues: may carry a polygon (overlap, gap) */
};

/* Statuses of a parcel (parcels layer) and of a match finding (issues layer). */
static const struct style_class statuses[] = {
    { "matched", "Khớp", { 51, 160, 44 }, false },
    { "area_mismatch", "Lệch diện tích", { 255, 127, 0 }, false },
    { "land_use_mismatch", "Lệch loại đất", { 253, 191, 111 }, false },
    { "renumbered", "Đổi số hiệu", { 31, 120, 180 }, false },
    { "split", "Tách thửa", { 166, 206, 227 }, false },
    { "merged", "Hợp thửa", { 106, 61, 154 }, false },
    { "duplicate_key", "Trùng số hiệu", { 227, 26, 28 }, false },
    { "map_only", "Chỉ có trên bản đồ", { 251, 154, 153 }, false },
    { "register_only", "Chỉ có trong hồ sơ", { 177, 89, 40 }, false },
    { "commune_mismatch", "Lệch xã", { 202, 178, 214 }, false },
    { "rejected", "Bị loại", { 128, 128, 128 }, false },
};

/* Geometry issue classes (issues layer). */
static const struct style_class issue_classes[] = {
    { "self_intersection", "Tự cắt", { 228, 26, 28 }, false },
    { "too_few_points", "Quá ít điểm", { 152, 78, 163 }, false },
    { "duplicate_vertex", "Trùng đỉnh", { 255, 255, 51 }, false },
    { "spike", "Gai nhọn", { 247, 129, 191 }, false },
    { "repaired", "Đã sửa hình", { 77, 175, 74 }, false },
    { "unrepairable", "Không sửa được", { 128, 0, 38 }, false },
    { "overlap", "Chồng lấn", { 255, 0, 0 }, true },
    { "gap", "Khe hở", { 0, 112, 255 }, true },
    { "sliver", "Thửa mảnh", { 255, 127, 0 }, false },
    { "outside_boundary", "Ngoài ranh giới xã", { 166, 86, 40 }, false },
    { "crs_assumed", "Giả định hệ tọa độ", { 153, 153, 153 }, false },
    { "no_price", "Không có giá đất", { 0, 0, 0 }, false },
    { "ring_problem", "Lỗi vòng ranh", { 200, 0, 200 }, false },
    { "bad_key", "Số hiệu không hợp lệ", { 90, 90, 90 }, false },
    { "bad_value", "Giá trị không hợp lệ", { 120, 120, 60 }, false },
    { "no_geometry", "Không có hình", { 60, 60, 60 }, false },
    { "not_polygon", "Không phải vùng", { 60, 60, 120 }, false },
    { "bad_coordinates", "Tọa độ không hợp lệ", { 120, 60, 60 }, false },
    { "straddles_zones", "Nằm trên nhiều vùng giá", { 0, 150, 150 }, false },
};

#define MAX_CLASSES (LR_ST_COUNT + LR_IS_COUNT)

static const char qml_head[] =
    "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    "<qgis version=\"3.22.0-Białowieża\" styleCategories=\"Symbology|Fields|Legend\" "
    "hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\" maxScale=\"0\">\n";

static const char sld_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<StyledLayerDescriptor xmlns=\"http://www.opengis.net/sld\" "
    "xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:se=\"http://www.opengis.net/se\" "
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" version=\"1.1.0\" "
    "xsi:schemaLocation=\"http://www.opengis.net/sld "
    "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">\n";

/* The label and colour of a class name; a class without an entry gets its name and grey. */
static struct style_class
lookup(const char *name)
{
    struct style_class c = { name, name, { 150, 150, 150 }, false };

    for (size_t i = 0; i < LR_ARRAY_LEN(statuses); i++)
        if (strcmp(statuses[i].name, name) == 0)
            c = statuses[i];
    for (size_t i = 0; i < LR_ARRAY_LEN(issue_classes); i++)
        if (strcmp(issue_classes[i].name, name) == 0)
            c = issue_classes[i];
    return c;
}

/* The classes a layer is drawn by, from the model's own lists: parcels every status; issues
 * every geometry issue class, then the statuses a match finding can have. */
static size_t
class_list(enum lr_style_kind kind, struct style_class *out)
{
    size_t n = 0;

    if (kind == LR_STYLE_ISSUES)
        for (int i = 0; i < LR_IS_COUNT; i++)
            out[n++] = lookup(lr_issue_name((enum lr_issue_class)i));
    for (int i = LR_ST_NONE + 1; i < LR_ST_COUNT; i++) {
        bool finding = i != LR_ST_MATCHED && i != LR_ST_REJECTED;
        if (kind == LR_STYLE_PARCELS || (kind == LR_STYLE_ISSUES && finding))
            out[n++] = lookup(lr_status_name((enum lr_status)i));
    }
    return n;
}

const char *
lr_style_label(const char *class_name)
{
    for (size_t i = 0; i < LR_ARRAY_LEN(statuses); i++)
        if (strcmp(statuses[i].name, class_name) == 0)
            return statuses[i].label;
    for (size_t i = 0; i < LR_ARRAY_LEN(issue_classes); i++)
        if (strcmp(issue_classes[i].name, class_name) == 0)
            return issue_classes[i].label;
    return NULL;
}

/* A document being built; the first failed append is remembered (out of memory). */
struct doc {
    struct lr_buf b;
    bool oom;
};

static void
doc_adds(struct doc *d, const char *s)
{
    if (lr_buf_adds(&d->b, s) != LR_OK)
        d->oom = true;
}

static void doc_addf(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
doc_addf(struct doc *d, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        d->oom = true;
    } else {
        doc_adds(d, s);
        free(s);
    }
    va_end(ap);
}

/* The finished text (caller frees), or NULL when an append failed. */
static char *
doc_finish(struct doc *d)
{
    if (d->oom) {
        lr_buf_release(&d->b);
        return NULL;
    }
    return lr_buf_detach(&d->b);
}

/* Append s with XML's five special characters escaped. */
static void
add_xml(struct doc *b, const char *s)
{
    static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    static const char special[] = "&<>\"'";

    while (*s) {
        size_t n = strcspn(s, special);
        if (n && lr_buf_add(&b->b, s, n) != LR_OK)
            b->oom = true;
        s += n;
        if (*s) {
            doc_adds(b, ent[strchr(special, *s) - special]);
            s++;
        }
    }
}

/* "Khớp (matched)": the legend shows both the Vietnamese label and the class name. */
static void
add_label(struct doc *b, const struct style_class *c, const char *suffix)
{
    add_xml(b, c->label);
    doc_addf(b, " (%s)%s", c->name, suffix ? suffix : "");
}

static void
add_fill_symbol(struct doc *b, size_t id, const unsigned char rgb[3], int alpha)
{
    doc_addf(b,
             "   <symbol type=\"fill\" name=\"%zu\" alpha=\"1\" clip_to_extent=\"1\" "
             "force_rhr=\"0\">\n"
             "    <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
             "     <prop k=\"color\" v=\"%d,%d,%d,%d\"/>\n"
             "     <prop k=\"joinstyle\" v=\"bevel\"/>\n"
             "     <prop k=\"outline_color\" v=\"35,35,35,255\"/>\n"
             "     <prop k=\"outline_style\" v=\"solid\"/>\n"
             "     <prop k=\"outline_width\" v=\"0.2\"/>\n"
             "     <prop k=\"outline_width_unit\" v=\"MM\"/>\n"
             "     <prop k=\"style\" v=\"solid\"/>\n"
             "    </layer>\n"
             "   </symbol>\n",
             id, rgb[0], rgb[1], rgb[2], alpha);
}

static void
add_marker_symbol(struct doc *b, size_t id, const unsigned char rgb[3], const char *shape)
{
    doc_addf(b,
             "   <symbol type=\"marker\" name=\"%zu\" alpha=\"1\" clip_to_extent=\"1\" "
             "force_rhr=\"0\">\n"
             "    <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
             "     <prop k=\"color\" v=\"%d,%d,%d,255\"/>\n"
             "     <prop k=\"name\" v=\"%s\"/>\n"
             "     <prop k=\"outline_color\" v=\"35,35,35,255\"/>\n"
             "     <prop k=\"outline_style\" v=\"solid\"/>\n"
             "     <prop k=\"outline_width\" v=\"0.2\"/>\n"
             "     <prop k=\"outline_width_unit\" v=\"MM\"/>\n"
             "     <prop k=\"size\" v=\"2.6\"/>\n"
             "     <prop k=\"size_unit\" v=\"MM\"/>\n"
             "    </layer>\n"
             "   </symbol>\n",
             id, rgb[0], rgb[1], rgb[2], shape);
}

/* Parcels: categorized by status, one colour and legend entry per status. */
static void
add_parcels_renderer(struct doc *b)
{
    struct style_class cls[MAX_CLASSES];
    size_t n = class_list(LR_STYLE_PARCELS, cls);

    doc_adds(b, " <renderer-v2 type=\"categorizedSymbol\" attr=\"status\" forceraster=\"0\" "
                "symbollevels=\"0\" enableorderby=\"0\" referencescale=\"-1\">\n  <categories>\n");
    for (size_t i = 0; i < n; i++) {
        doc_addf(b, "   <category render=\"true\" symbol=\"%zu\" value=\"%s\" label=\"", i,
                 cls[i].name);
        add_label(b, &cls[i], NULL);
        doc_adds(b, "\"/>\n");
    }
    doc_adds(b, "  </categories>\n  <symbols>\n");
    for (size_t i = 0; i < n; i++)
        add_fill_symbol(b, i, cls[i].rgb, 200);
    doc_adds(b, "  </symbols>\n  <source-symbol>\n");
    add_fill_symbol(b, 0, (const unsigned char[3]){ 200, 200, 200 }, 200);
    doc_adds(b, "  </source-symbol>\n  <rotation/>\n  <sizescale/>\n </renderer-v2>\n");
}

/* One rule of the issues renderer: class name, geometry type, symbol index. */
static void
add_issue_rule(struct doc *b, const struct style_class *c, bool area, size_t sym)
{
    doc_addf(b, "   <rule key=\"{%s-%s}\" symbol=\"%zu\" label=\"", c->name,
             area ? "area" : "point", sym);
    add_label(b, c, area ? ", vùng" : NULL);
    doc_addf(b,
             "\" filter=\"&quot;class&quot; = &apos;%s&apos; AND "
             "geometry_type($geometry) = &apos;%s&apos;\"/>\n",
             c->name, area ? "Polygon" : "Point");
}

/* Issues: rule-based, so one GEOMETRY layer draws its points with markers and its overlap/gap
 * polygons with fills (QGIS splits a mixed layer into sublayers; each uses the rules it can). */
static void
add_issues_renderer(struct doc *b)
{
    struct style_class cls[MAX_CLASSES];
    size_t n = class_list(LR_STYLE_ISSUES, cls), sym = 0;

    doc_adds(b, " <renderer-v2 type=\"RuleRenderer\" forceraster=\"0\" symbollevels=\"0\" "
                "enableorderby=\"0\" referencescale=\"-1\">\n  <rules key=\"{root}\">\n");
    for (size_t i = 0; i < n; i++) {
        if (cls[i].area)
            add_issue_rule(b, &cls[i], true, sym++);
        add_issue_rule(b, &cls[i], false, sym++);
    }
    doc_adds(b, "  </rules>\n  <symbols>\n");
    sym = 0;
    for (size_t i = 0; i < n; i++) {
        bool geometry_issue = i < LR_IS_COUNT;
        if (cls[i].area)
            add_fill_symbol(b, sym++, cls[i].rgb, 150);
        add_marker_symbol(b, sym++, cls[i].rgb, geometry_issue ? "circle" : "square");
    }
    doc_adds(b, "  </symbols>\n </renderer-v2>\n");
}

char *
lr_style_qml(enum lr_style_kind kind, const struct lr_style_field *fields, size_t n)
{
    struct doc b = { .oom = false };

    lr_buf_init(&b.b);
    doc_adds(&b, qml_head);
    if (kind == LR_STYLE_PARCELS)
        add_parcels_renderer(&b);
    else if (kind == LR_STYLE_ISSUES)
        add_issues_renderer(&b);
    doc_adds(&b, " <aliases>\n  <alias field=\"fid\" index=\"0\" name=\"Mã đối tượng\"/>\n");
    for (size_t i = 0; i < n; i++) {
        doc_addf(&b, "  <alias field=\"%s\" index=\"%zu\" name=\"", fields[i].name, i + 1);
        add_xml(&b, fields[i].alias);
        doc_adds(&b, "\"/>\n");
    }
    doc_addf(&b, " </aliases>\n <layerGeometryType>%d</layerGeometryType>\n</qgis>\n",
             kind == LR_STYLE_PARCELS  ? 2
             : kind == LR_STYLE_ISSUES ? 3
                                       : 4);
    return doc_finish(&b);
}

static void
add_sld_color(struct doc *b, const char *what, const unsigned char rgb[3])
{
    doc_addf(b, "<se:SvgParameter name=\"%s\">#%02x%02x%02x</se:SvgParameter>", what, rgb[0],
             rgb[1], rgb[2]);
}

/* One SLD rule: features whose field equals the class name. */
static void
add_sld_rule(struct doc *b, const char *field, const struct style_class *c, bool polygon,
             bool point)
{
    static const unsigned char stroke[3] = { 35, 35, 35 };

    doc_addf(b, "    <se:Rule>\n     <se:Name>%s</se:Name>\n     <se:Description><se:Title>",
             c->name);
    add_label(b, c, NULL);
    doc_addf(b,
             "</se:Title></se:Description>\n     <ogc:Filter "
             "xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsEqualTo>"
             "<ogc:PropertyName>%s</ogc:PropertyName><ogc:Literal>%s</ogc:Literal>"
             "</ogc:PropertyIsEqualTo></ogc:Filter>\n",
             field, c->name);
    if (polygon) {
        doc_adds(b, "     <se:PolygonSymbolizer><se:Fill>");
        add_sld_color(b, "fill", c->rgb);
        doc_adds(b, "</se:Fill><se:Stroke>");
        add_sld_color(b, "stroke", stroke);
        doc_adds(b, "<se:SvgParameter name=\"stroke-width\">1</se:SvgParameter></se:Stroke>"
                    "</se:PolygonSymbolizer>\n");
    }
    if (point) {
        doc_adds(b, "     <se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle"
                    "</se:WellKnownName><se:Fill>");
        add_sld_color(b, "fill", c->rgb);
        doc_adds(b, "</se:Fill><se:Stroke>");
        add_sld_color(b, "stroke", stroke);
        doc_adds(b, "</se:Stroke></se:Mark><se:Size>7</se:Size></se:Graphic>"
                    "</se:PointSymbolizer>\n");
    }
    doc_adds(b, "    </se:Rule>\n");
}

char *
lr_style_sld(enum lr_style_kind kind, const char *table)
{
    struct style_class cls[MAX_CLASSES];
    struct doc b = { .oom = false };
    size_t n;

    lr_buf_init(&b.b);
    doc_adds(&b, sld_head);
    doc_adds(&b, " <NamedLayer>\n  <se:Name>");
    add_xml(&b, table);
    doc_adds(&b, "</se:Name>\n  <UserStyle>\n   <se:Name>");
    add_xml(&b, table);
    doc_adds(&b, "</se:Name>\n   <se:FeatureTypeStyle>\n");
    n = class_list(kind, cls);
    for (size_t i = 0; i < n; i++)
        add_sld_rule(&b, kind == LR_STYLE_PARCELS ? "status" : "class", &cls[i],
                     kind == LR_STYLE_PARCELS || cls[i].area, kind == LR_STYLE_ISSUES);
    doc_adds(&b, "   </se:FeatureTypeStyle>\n  </UserStyle>\n </NamedLayer>\n"
                 "</StyledLayerDescriptor>\n");
    return doc_finish(&b);
}
