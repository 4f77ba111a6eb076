/* report_html.c - the sections and tables of report.html (see report_int.h): summary, gates and
 * conservation, statuses and issues per new and old commune, area ratios, the per-commune maps
 * and details, stages, inputs and CRS operations. Every text from the data is escaped. */
#include "crs.h"
#include "geom.h"
#include "manifest.h"
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char css[] =
    ":root{--fg:#1d2733;--mut:#5b6775;--bd:#d5dce4;--bg:#f4f6f9;--hd:#17324d}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',"
    "'DejaVu Sans',Arial,sans-serif;color:var(--fg);background:#fff}"
    "header{background:var(--hd);color:#fff;padding:16px 28px}"
    "header h1{margin:0 0 4px;font-size:22px;font-weight:600}"
    "header p{margin:0;color:#c9d6e3;font-size:13px}"
    "nav{padding:7px 28px;background:var(--bg);border-bottom:1px solid var(--bd);font-size:13px}"
    "nav a{margin-right:14px;color:var(--hd)}"
    "main{padding:0 28px 40px;max-width:1500px}"
    "h2{font-size:18px;margin:26px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--hd)}"
    "h3{font-size:16px;margin:20px 0 6px}h4{font-size:14px;margin:4px 0}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}"
    ".card{flex:1 1 180px;max-width:260px;border:1px solid var(--bd);border-radius:6px;"
    "padding:8px 14px;"
    "background:var(--bg)}"
    ".card b{display:block;font-size:22px}.card span{color:var(--mut);font-size:12px}"
    ".gate{padding:9px 14px;border-radius:6px;margin:10px 0}"
    ".gate.ok{background:#e5f4e2;border:1px solid #8cc084}"
    ".gate.fail{background:#fde3e2;border:1px solid #e15759}"
    "table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}"
    "th,td{border:1px solid var(--bd);padding:3px 7px;text-align:right;vertical-align:top}"
    "th{background:var(--bg);font-weight:600}td.l,th.l{text-align:left}"
    "tfoot td{font-weight:600;background:var(--bg)}"
    "small{color:var(--mut);font-size:11px}.mx td small{display:block}"
    ".mx{font-size:12px}.mx th,.mx td{padding:2px 5px}.mx th small{font-size:10px;"
    "font-weight:400}"
    ".mx{font-size:12px}.mx th,.mx td{padding:2px 5px}.mx th small{font-size:10px;"
    "font-weight:400}"
    ".mut{color:var(--mut)}.wrap{overflow-x:auto}"
    ".mono{font-family:'DejaVu Sans Mono',ui-monospace,monospace;font-size:11.5px;"
    "word-break:break-all;text-align:left}"
    ".commune{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}"
    "article{border-top:1px solid var(--bd);margin-top:14px}"
    "figure{margin:6px 0}figcaption{font-size:12px;color:var(--mut);max-width:520px}"
    "svg{max-width:100%;height:auto}svg text{font-family:inherit}"
    ".legend{display:flex;flex-wrap:wrap;gap:3px 14px;font-size:12px;margin:6px 0;"
    "max-width:900px}"
    ".legend i{display:inline-block;width:12px;height:12px;margin-right:4px;"
    "vertical-align:-2px;border:1px solid #0003}"
    "footer{margin-top:30px;font-size:12px;color:var(--mut)}";

static void
write_head(struct lr_buf *b, const struct lr_rp *rp)
{
    lr_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>Báo cáo đối soát / Reconciliation report \xe2\x80\x93 ");
    lr_rp_esc(b, rp->ctx->run_id);
    lr_buf_addf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void
write_header(struct lr_buf *b, const struct lr_rp *rp)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    lr_buf_adds(b, "<header>\n<h1>Báo cáo đối soát bản đồ và hồ sơ địa chính / "
                   "Map and land register reconciliation</h1>\n<p>Lần chạy / run <b>");
    lr_rp_esc(b, rp->ctx->run_id);
    lr_buf_adds(b, "</b> \xc2\xb7 bắt đầu / started <span class=\"v\">");
    lr_rp_esc(b, rp->ctx->started);
    lr_buf_addf(b, "</span> \xc2\xb7 lập lúc / generated <span class=\"v\">%s</span>", now);
    lr_buf_addf(b, " \xc2\xb7 landrec %s, GEOS ", LR_VERSION);
    lr_rp_esc(b, lr_geom_version());
    lr_buf_adds(b, ", PROJ ");
    lr_rp_esc(b, lr_crs_version());
    lr_buf_adds(b, " \xc2\xb7 hệ tọa độ / CRS ");
    lr_rp_esc(b, rp->sh->cfg->target_crs);
    lr_buf_adds(b, "</p>\n</header>\n<nav><a href=\"#summary\">Tóm tắt / Summary</a>"
                   "<a href=\"#new\">Xã mới / New communes</a>"
                   "<a href=\"#area\">Diện tích / Areas</a>"
                   "<a href=\"#maps\">Bản đồ / Maps</a>"
                   "<a href=\"#old\">Xã cũ / Old communes</a>"
                   "<a href=\"#stages\">Các bước / Stages</a>"
                   "<a href=\"#inputs\">Đầu vào / Inputs</a></nav>\n<main>\n");
}

static void
card(struct lr_buf *b, int64_t n, const char *label, const char *share)
{
    lr_buf_adds(b, "<div class=\"card\"><b>");
    if (share)
        lr_buf_adds(b, share);
    else
        lr_rp_num(b, n);
    lr_buf_addf(b, "</b><span>%s</span></div>\n", label);
}

static void
write_cards(struct lr_buf *b, const struct lr_rp *rp)
{
    const struct lr_rp_group *t = &rp->total;
    int64_t matched = 0, issues = 0;
    struct lr_buf s;

    for (int i = 0; i < LR_ST_COUNT; i++)
        matched += lr_status_is_matched((enum lr_status)i) ? t->map_st[i] : 0;
    for (int i = 0; i < LR_IS_COUNT; i++)
        issues += t->issues[i];
    lr_buf_init(&s);
    lr_rp_share(&s, matched, t->n_map);
    lr_buf_adds(b, "<div class=\"cards\">\n");
    card(b, t->n_map, "Thửa trên bản đồ / map parcels", NULL);
    card(b, t->n_reg, "Hồ sơ địa chính / register records", NULL);
    card(b, 0, "Thửa đã khớp hồ sơ / parcels matched to a record", s.data);
    card(b, t->n_items - t->item_st[LR_ST_MATCHED],
         "Cần xem xét (khác &#8220;khớp&#8221;) / to review (not plain matched)", NULL);
    card(b, issues, "Lỗi hình học và định giá / geometry and valuation issues", NULL);
    lr_buf_adds(b, "</div>\n");
    lr_buf_release(&s);
}

static void
conservation_row(struct lr_buf *b, const char *label, const struct lr_conservation_side *s)
{
    bool any = false;

    lr_buf_addf(b, "<tr><td class=\"l\">%s</td><td>", label);
    lr_rp_num(b, s->input);
    lr_buf_adds(b, "</td><td>");
    lr_rp_num(b, s->matched);
    lr_buf_adds(b, "</td><td>");
    lr_rp_num(b, s->unmatched);
    lr_buf_adds(b, "</td><td>");
    lr_rp_num(b, s->rejected);
    lr_buf_adds(b, "</td><td class=\"l\">");
    for (int i = 0; i < LR_IS_COUNT; i++) {
        if (!s->rejected_by[i])
            continue;
        lr_buf_addf(b, "%s%s ", any ? ", " : "", lr_issue_name((enum lr_issue_class)i));
        lr_rp_num(b, s->rejected_by[i]);
        any = true;
    }
    lr_buf_adds(b, "</td></tr>\n");
}

static void
write_summary(struct lr_buf *b, const struct lr_rp *rp)
{
    struct lr_conservation c;

    lr_manifest_conservation(rp->sh, &c);
    lr_buf_adds(b, "<section id=\"summary\">\n<h2>Tóm tắt / Summary</h2>\n");
    write_cards(b, rp);
    lr_buf_addf(b, "<div class=\"gate %s\"><b>Ngưỡng chất lượng / Quality gates: %s</b><br>",
                rp->ctx->gates_passed ? "ok" : "fail",
                rp->ctx->gates_passed ? "ĐẠT / PASSED"
                                      : "KHÔNG ĐẠT / FAILED \xe2\x80\x93 lần chạy không được "
                                        "công bố / the run is not published");
    lr_rp_esc(b, rp->ctx->gate_message);
    lr_buf_adds(b, "</div>\n<h3>Bảo toàn số lượng / Conservation</h3>\n<table><thead><tr>"
                   "<th class=\"l\"></th><th>Đầu vào<br>input</th><th>Khớp<br>matched</th>"
                   "<th>Không khớp<br>unmatched</th><th>Bị loại<br>rejected</th>"
                   "<th class=\"l\">Lý do loại / reject reasons</th></tr></thead><tbody>\n");
    conservation_row(b, "Thửa bản đồ / map features", &c.map);
    conservation_row(b, "Hồ sơ / register rows", &c.reg);
    lr_buf_adds(b, "</tbody></table>\n</section>\n");
}

static void
count_cell(struct lr_buf *b, int64_t n, int64_t of)
{
    lr_buf_adds(b, "<td>");
    lr_rp_num(b, n);
    if (n) {
        lr_buf_adds(b, "<small>");
        lr_rp_share(b, n, of);
        lr_buf_adds(b, "</small>");
    }
    lr_buf_adds(b, "</td>");
}

/* The new codes an old commune maps to in the crosswalk ("25255, 25315"). */
static void
new_codes_of(struct lr_buf *b, const struct lr_shard *sh, int32_t old_code)
{
    bool any = false;

    for (size_t i = 0; i < sh->n_communes; i++) {
        if (sh->communes[i].old_code != old_code)
            continue;
        lr_buf_addf(b, "%s%05d", any ? ", " : "", (int)sh->communes[i].new_code);
        any = true;
    }
}

static void
matrix_row_head(struct lr_buf *b, const struct lr_rp *rp, const struct lr_rp_group *g, bool old)
{
    lr_buf_adds(b, "<tr><td class=\"l\">");
    lr_rp_group_label(b, g);
    lr_buf_adds(b, "</td>");
    if (old) {
        lr_buf_adds(b, "<td class=\"l\">");
        new_codes_of(b, rp->sh, g->code);
        lr_buf_adds(b, "</td>");
    }
    lr_buf_adds(b, "<td>");
    lr_rp_num(b, g->n_map);
    lr_buf_adds(b, "</td><td>");
    lr_rp_num(b, g->n_reg);
    lr_buf_adds(b, "</td>");
}

static void
matrix_head(struct lr_buf *b, bool old, const char *first)
{
    lr_buf_addf(b, "<div class=\"wrap\"><table class=\"mx\"><thead><tr><th class=\"l\">%s</th>",
                first);
    if (old)
        lr_buf_adds(b, "<th class=\"l\">Xã mới<br>new commune</th>");
    lr_buf_adds(b, "<th>Thửa BĐ<br>map parcels</th><th>Hồ sơ<br>records</th>");
}

/* Statuses per commune: parcels + records without a parcel, share of those items. */
static void
matrix_statuses(struct lr_buf *b, const struct lr_rp *rp, const struct lr_rp_group *g, size_t n,
                bool old)
{
    matrix_head(b, old, old ? "Xã cũ / old commune" : "Xã mới / new commune");
    for (int s = 0; s < LR_ST_COUNT; s++)
        if (rp->st_used[s])
            lr_buf_addf(b, "<th>%s<br><small>%s</small></th>", lr_rp_status_vi((enum lr_status)s),
                        lr_status_name((enum lr_status)s));
    lr_buf_adds(b, "</tr></thead><tbody>\n");
    for (size_t i = 0; i <= n; i++) {
        const struct lr_rp_group *row = i < n ? &g[i] : &rp->total;
        if (i == n)
            lr_buf_addf(b, "</tbody><tfoot><tr><td class=\"l\">Tổng / total</td>%s<td>",
                        old ? "<td></td>" : "");
        if (i < n)
            matrix_row_head(b, rp, row, old);
        else {
            lr_rp_num(b, row->n_map);
            lr_buf_adds(b, "</td><td>");
            lr_rp_num(b, row->n_reg);
            lr_buf_adds(b, "</td>");
        }
        for (int s = 0; s < LR_ST_COUNT; s++)
            if (rp->st_used[s])
                count_cell(b, row->item_st[s], row->n_items);
        lr_buf_adds(b, "</tr>\n");
    }
    lr_buf_adds(b, "</tfoot></table></div>\n");
}

/* Issues per commune: findings, share = map parcels carrying the issue / map parcels. */
static void
matrix_issues(struct lr_buf *b, const struct lr_rp *rp, const struct lr_rp_group *g, size_t n,
              bool old)
{
    matrix_head(b, old, old ? "Xã cũ / old commune" : "Xã mới / new commune");
    for (int c = 0; c < LR_IS_COUNT; c++)
        if (rp->is_used[c])
            lr_buf_addf(b, "<th>%s<br><small>%s</small></th>",
                        lr_rp_issue_vi((enum lr_issue_class)c),
                        lr_issue_name((enum lr_issue_class)c));
    lr_buf_adds(b, "</tr></thead><tbody>\n");
    for (size_t i = 0; i <= n; i++) {
        const struct lr_rp_group *row = i < n ? &g[i] : &rp->total;
        if (i < n) {
            matrix_row_head(b, rp, row, old);
        } else {
            lr_buf_addf(b, "</tbody><tfoot><tr><td class=\"l\">Tổng / total</td>%s<td>",
                        old ? "<td></td>" : "");
            lr_rp_num(b, row->n_map);
            lr_buf_adds(b, "</td><td>");
            lr_rp_num(b, row->n_reg);
            lr_buf_adds(b, "</td>");
        }
        for (int c = 0; c < LR_IS_COUNT; c++) {
            if (!rp->is_used[c])
                continue;
            lr_buf_adds(b, "<td>");
            lr_rp_num(b, row->issues[c]);
            if (row->affected[c]) {
                lr_buf_adds(b, "<small>");
                lr_rp_share(b, row->affected[c], row->n_map);
                lr_buf_adds(b, "</small>");
            }
            lr_buf_adds(b, "</td>");
        }
        lr_buf_adds(b, "</tr>\n");
    }
    lr_buf_adds(b, "</tfoot></table></div>\n");
}

static const char status_note[] =
    "<p class=\"mut\">Mỗi ô: số lượng và tỉ lệ trên tổng số thửa bản đồ cộng hồ sơ không có thửa. "
    "/ Each cell: count, and share of the commune's map parcels plus register records without a "
    "parcel.</p>\n";
static const char issue_note[] =
    "<p class=\"mut\">Mỗi ô: số lỗi, và tỉ lệ thửa bản đồ có lỗi đó. / Each cell: findings, and "
    "share of the commune's map parcels with that issue.</p>\n";

static void
write_new_overview(struct lr_buf *b, const struct lr_rp *rp)
{
    lr_buf_adds(b, "<section id=\"new\">\n<h2>Trạng thái theo xã mới / Statuses per new "
                   "commune</h2>\n");
    lr_rp_svg_status_bars(b, rp);
    lr_rp_legend(b, rp, false);
    lr_buf_adds(b, "<h3>Trạng thái / Statuses</h3>\n");
    lr_buf_adds(b, status_note);
    matrix_statuses(b, rp, rp->news, rp->n_news, false);
    lr_buf_adds(b, "<h3>Lỗi / Issues</h3>\n");
    lr_buf_adds(b, issue_note);
    matrix_issues(b, rp, rp->news, rp->n_news, false);
    lr_buf_adds(b, "</section>\n");
}

static void
write_area(struct lr_buf *b, const struct lr_rp *rp)
{
    lr_buf_adds(b, "<section id=\"area\">\n<h2>Tỉ lệ diện tích bản đồ / hồ sơ \xe2\x80\x93 "
                   "Map to register area ratio</h2>\n");
    lr_rp_svg_histogram(b, rp);
    lr_buf_adds(b, "<p>Thửa đã khớp có cả hai diện tích / matched parcels with both areas: <b>");
    lr_rp_num(b, rp->ratio_n);
    lr_buf_adds(b, "</b>; trong dung sai / within tolerance: <b>");
    lr_rp_num(b, rp->ratio_within);
    lr_buf_adds(b, "</b> (");
    lr_rp_share(b, rp->ratio_within, rp->ratio_n);
    lr_buf_addf(b, "); trung vị / median ratio: <b>%lld.%04lld</b>.</p>\n</section>\n",
                (long long)(rp->ratio_median_e4 / 10000), (long long)(rp->ratio_median_e4 % 10000));
}

/* One new commune's detail: statuses of parcels and records, its issues. */
static void
commune_tables(struct lr_buf *b, const struct lr_rp_group *g)
{
    bool any = false;

    lr_buf_adds(b, "<div><h4>Trạng thái / Statuses</h4><table><thead><tr><th class=\"l\">"
                   "Trạng thái / status</th><th>Thửa BĐ<br>map parcels</th><th>%</th>"
                   "<th>Hồ sơ<br>records</th><th>%</th></tr></thead><tbody>\n");
    for (int s = 0; s < LR_ST_COUNT; s++) {
        if (!g->map_st[s] && !g->reg_st[s])
            continue;
        lr_buf_addf(b, "<tr><td class=\"l\">%s <small>%s</small></td><td>",
                    lr_rp_status_vi((enum lr_status)s), lr_status_name((enum lr_status)s));
        lr_rp_num(b, g->map_st[s]);
        lr_buf_adds(b, "</td><td>");
        lr_rp_share(b, g->map_st[s], g->n_map);
        lr_buf_adds(b, "</td><td>");
        lr_rp_num(b, g->reg_st[s]);
        lr_buf_adds(b, "</td><td>");
        lr_rp_share(b, g->reg_st[s], g->n_reg);
        lr_buf_adds(b, "</td></tr>\n");
    }
    lr_buf_adds(b, "</tbody></table>\n<h4>Lỗi / Issues</h4>\n");
    for (int c = 0; c < LR_IS_COUNT; c++) {
        if (!g->issues[c] && !g->affected[c])
            continue;
        if (!any)
            lr_buf_adds(b, "<table><thead><tr><th class=\"l\">Lỗi / issue</th><th>Số lỗi<br>"
                           "findings</th><th>Thửa<br>parcels</th><th>%</th></tr></thead><tbody>\n");
        any = true;
        lr_buf_addf(b, "<tr><td class=\"l\">%s <small>%s</small></td><td>",
                    lr_rp_issue_vi((enum lr_issue_class)c), lr_issue_name((enum lr_issue_class)c));
        lr_rp_num(b, g->issues[c]);
        lr_buf_adds(b, "</td><td>");
        lr_rp_num(b, g->affected[c]);
        lr_buf_adds(b, "</td><td>");
        lr_rp_share(b, g->affected[c], g->n_map);
        lr_buf_adds(b, "</td></tr>\n");
    }
    lr_buf_adds(b, any ? "</tbody></table></div>\n" : "<p>Không có / none</p></div>\n");
}

static enum lr_rc
write_maps(struct lr_buf *b, struct lr_rp *rp, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    lr_buf_adds(b, "<section id=\"maps\">\n<h2>Bản đồ và chi tiết theo xã mới / Map and details "
                   "per new commune</h2>\n");
    lr_rp_legend(b, rp, true);
    for (size_t i = 0; rc == LR_OK && i < rp->n_news; i++) {
        const struct lr_rp_group *g = &rp->news[i];
        lr_buf_addf(b, "<article id=\"c%d\">\n<h3>", (int)g->code);
        lr_rp_group_label(b, g);
        lr_buf_adds(b, "</h3>\n<div class=\"commune\">\n");
        rc = lr_rp_map(rp, g, b, err);
        commune_tables(b, g);
        lr_buf_adds(b, "</div>\n</article>\n");
    }
    lr_buf_adds(b, "</section>\n");
    return rc;
}

static void
write_old(struct lr_buf *b, const struct lr_rp *rp)
{
    lr_buf_adds(b, "<section id=\"old\">\n<h2>Theo xã cũ / Per old commune</h2>\n"
                   "<h3>Trạng thái / Statuses</h3>\n");
    lr_buf_adds(b, status_note);
    matrix_statuses(b, rp, rp->olds, rp->n_olds, true);
    lr_buf_adds(b, "<h3>Lỗi / Issues</h3>\n");
    lr_buf_adds(b, issue_note);
    matrix_issues(b, rp, rp->olds, rp->n_olds, true);
    lr_buf_adds(b, "</section>\n");
}

static const char *const stage_vi[][2] = {
    { "load", "Nạp dữ liệu" },       { "reproject", "Chuyển hệ tọa độ" },
    { "validate", "Kiểm tra hình" }, { "match", "Đối chiếu" },
    { "value", "Định giá" },         { "extract", "Trích xuất" },
    { "publish", "Công bố" },
};

static const char *
stage_label(const char *name)
{
    for (size_t i = 0; name && i < LR_ARRAY_LEN(stage_vi); i++)
        if (strcmp(stage_vi[i][0], name) == 0)
            return stage_vi[i][1];
    return "";
}

static void
write_stages(struct lr_buf *b, const struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;
    double total = 0;

    lr_buf_adds(b, "<section id=\"stages\">\n<h2>Các bước xử lý / Pipeline stages</h2>\n<table>"
                   "<thead><tr><th class=\"l\">Bước / stage</th><th>Vào<br>in</th><th>Ra<br>out"
                   "</th><th>Loại<br>rejected</th><th>Giây<br>seconds</th><th>Dòng/giây<br>"
                   "rows/s</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < sh->n_stages; i++) {
        const struct lr_stage_stat *s = &sh->stages[i];
        if (!s->done)
            continue;
        total += s->seconds;
        lr_buf_addf(b, "<tr><td class=\"l\">%s <small>%s</small></td><td>", stage_label(s->name),
                    s->name ? s->name : "");
        lr_rp_num(b, s->in);
        lr_buf_adds(b, "</td><td>");
        lr_rp_num(b, s->out);
        lr_buf_adds(b, "</td><td>");
        lr_rp_num(b, s->rejected);
        lr_buf_addf(b, "</td><td><span class=\"v\">%.3f</span></td><td><span class=\"v\">",
                    s->seconds);
        lr_rp_num(b, s->seconds > 0 ? (int64_t)((double)s->in / s->seconds) : 0);
        lr_buf_adds(b, "</span></td></tr>\n");
    }
    lr_buf_addf(b,
                "</tbody><tfoot><tr><td class=\"l\">Tổng / total</td><td></td><td></td>"
                "<td></td><td><span class=\"v\">%.3f</span></td><td></td></tr></tfoot>"
                "</table>\n<p class=\"mut\">Báo cáo này được lập trong bước công bố, nên "
                "thời gian của bước đó chưa có ở đây (xem manifest.json). / This report is "
                "written during the publish stage: its own time is in manifest.json.</p>\n"
                "</section>\n",
                total);
}

/* "VN-2000 / TM-3 106-15" from a WKT's first quoted name; other CRS texts as they are. */
static void
crs_label(struct lr_buf *b, const char *crs)
{
    const char *q = crs ? strchr(crs, '"') : NULL, *e = q ? strchr(q + 1, '"') : NULL;
    char *name;

    if (!crs || !strchr(crs, '[') || !e) {
        lr_rp_esc(b, crs ? crs : "");
        return;
    }
    name = strndup(q + 1, (size_t)(e - q - 1));
    lr_rp_esc(b, name ? name : "");
    lr_buf_adds(b, " <small>(WKT)</small>");
    free(name);
}

/* path relative to the config's folder when it lies under it (as the config names it). */
static void
input_path(struct lr_buf *b, const struct lr_config *cfg, const char *path)
{
    size_t n = cfg->dir ? strlen(cfg->dir) : 0;

    if (path && n && strncmp(path, cfg->dir, n) == 0 && path[n] == '/')
        path += n + 1;
    lr_rp_esc(b, path);
}

static void
input_row(struct lr_buf *b, const struct lr_config *cfg, const struct lr_input *in)
{
    lr_buf_adds(b, "<tr><td class=\"l\">");
    lr_rp_esc(b, in->kind);
    lr_buf_adds(b, "</td><td class=\"l\">");
    input_path(b, cfg, in->path);
    if (in->layer) {
        lr_buf_adds(b, " <small>(");
        lr_rp_esc(b, in->layer);
        lr_buf_adds(b, ")</small>");
    }
    lr_buf_adds(b, "</td><td>");
    lr_rp_num(b, in->features);
    lr_buf_adds(b, "</td><td class=\"mono\">");
    lr_rp_esc(b, in->sha256);
    lr_buf_adds(b, "</td><td class=\"l\">");
    if (in->src_crs)
        crs_label(b, in->src_crs);
    if (in->crs_assumed)
        lr_buf_adds(b, " <small>giả định / assumed</small>");
    lr_buf_adds(b, "</td><td>");
    if (in->converted || in->ambiguous) {
        lr_rp_num(b, in->converted);
        lr_buf_adds(b, " / ");
        lr_rp_num(b, in->ambiguous);
    }
    lr_buf_adds(b, "</td></tr>\n");
}

/* Every distinct CRS operation with the inputs that used it, in input order. */
static void
write_crs_ops(struct lr_buf *b, const struct lr_shard *sh)
{
    lr_buf_adds(b, "<h3>Phép chuyển hệ tọa độ / CRS operations</h3>\n<table><thead><tr>"
                   "<th class=\"l\">Phép chuyển (PROJ) / operation</th><th class=\"l\">Tệp / "
                   "files</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < sh->n_inputs; i++) {
        const char *op = sh->inputs[i].crs_op;
        bool seen = false, first = true;
        for (size_t j = 0; op && j < i && !seen; j++)
            seen = sh->inputs[j].crs_op && strcmp(sh->inputs[j].crs_op, op) == 0;
        if (!op || seen)
            continue;
        lr_buf_adds(b, "<tr><td class=\"mono\">");
        lr_rp_esc(b, op);
        lr_buf_adds(b, "</td><td class=\"l\">");
        for (size_t j = i; j < sh->n_inputs; j++) {
            if (!sh->inputs[j].crs_op || strcmp(sh->inputs[j].crs_op, op) != 0)
                continue;
            lr_buf_adds(b, first ? "" : ", ");
            input_path(b, sh->cfg, sh->inputs[j].path);
            first = false;
        }
        lr_buf_adds(b, "</td></tr>\n");
    }
    lr_buf_adds(b, "</tbody></table>\n");
}

static void
write_inputs(struct lr_buf *b, const struct lr_rp *rp)
{
    const struct lr_shard *sh = rp->sh;

    lr_buf_adds(b, "<section id=\"inputs\">\n<h2>Dữ liệu đầu vào / Input files</h2>\n"
                   "<div class=\"wrap\"><table><thead><tr><th class=\"l\">Loại / kind</th>"
                   "<th class=\"l\">Tệp, theo thư mục cấu hình / file, from the config's folder "
                   "(lớp / layer)</th><th>Số bản ghi<br>features</th>"
                   "<th class=\"l\">SHA-256</th><th class=\"l\">Hệ tọa độ nguồn / source CRS</th>"
                   "<th>Văn bản đã chuyển mã / mơ hồ<br>text converted / ambiguous</th></tr>"
                   "</thead><tbody>\n");
    for (size_t i = 0; i < sh->n_inputs; i++)
        input_row(b, sh->cfg, &sh->inputs[i]);
    lr_buf_adds(b, "</tbody></table></div>\n");
    write_crs_ops(b, sh);
    lr_buf_adds(b, "</section>\n");
}

enum lr_rc
lr_rp_html(struct lr_rp *rp, struct lr_buf *b, struct lr_err *err)
{
    enum lr_rc rc;

    write_head(b, rp);
    write_header(b, rp);
    write_summary(b, rp);
    write_new_overview(b, rp);
    write_area(b, rp);
    rc = write_maps(b, rp, err);
    write_old(b, rp);
    write_stages(b, rp);
    write_inputs(b, rp);
    lr_buf_adds(b, "<footer>Báo cáo không chứa tên chủ sử dụng, số định danh, số giấy chứng "
                   "nhận hay địa chỉ. / This report holds no owner names, ID numbers, certificate "
                   "numbers or addresses. Tạo bởi / written by landrec.</footer>\n</main>\n"
                   "</body>\n</html>\n");
    return rc;
}
