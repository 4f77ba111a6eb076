/* report_svg.c - the report's charts as inline SVG (see report_int.h): status bars per new
 * commune, the histogram of map/register area ratios, and the colour legend. Coordinates are
 * printed with a fixed number of decimals so the bytes are deterministic. */
#include "report_int.h"

#include <math.h>
#include <stdio.h>

#define BAR_W      1000 /* chart width (user units = CSS px at full size) */
#define BAR_LABEL  250  /* commune label column */
#define BAR_SHARE  360  /* width of the 100 % share bar */
#define BAR_GAP    30
#define BAR_COUNT  270 /* width of the longest non-matched count bar */
#define BAR_ROW    20
#define BAR_HEAD   34
#define HIST_W     760
#define HIST_H     270
#define HIST_LEFT  64
#define HIST_TOP   14
#define HIST_PLOTW 676
#define HIST_PLOTH 200

static void
seg_title(struct lr_buf *b, enum lr_status s, int64_t n, int64_t of)
{
    lr_buf_addf(b, "<title>%s / %s: ", lr_rp_status_vi(s), lr_status_name(s));
    lr_rp_num(b, n);
    lr_buf_adds(b, " (");
    lr_rp_share(b, n, of);
    lr_buf_adds(b, ")</title>");
}

/* One commune's row: label, share bar, non-matched count bar and its number. */
static void
bar_row(struct lr_buf *b, const struct lr_rp_group *g, double y, int64_t max_other)
{
    double x = BAR_LABEL, x2 = BAR_LABEL + BAR_SHARE + BAR_GAP;
    int64_t other = g->n_items - g->item_st[LR_ST_MATCHED];

    lr_buf_addf(b, "<text x=\"0\" y=\"%.1f\" font-size=\"12\">", y + 11);
    lr_rp_group_label(b, g);
    lr_buf_adds(b, "</text>\n");
    lr_buf_addf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"14\" fill=\"#eef1f4\"/>",
                BAR_LABEL, y, BAR_SHARE);
    for (int s = 0; s < LR_ST_COUNT && g->n_items > 0; s++) {
        double w = (double)BAR_SHARE * (double)g->item_st[s] / (double)g->n_items;
        if (!g->item_st[s])
            continue;
        lr_buf_addf(b, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"14\" fill=\"%s\">", x,
                    y, w, lr_rp_status_color((enum lr_status)s));
        seg_title(b, (enum lr_status)s, g->item_st[s], g->n_items);
        lr_buf_adds(b, "</rect>");
        x += w;
    }
    for (int s = 0; s < LR_ST_COUNT && max_other > 0; s++) {
        double w = (double)BAR_COUNT * (double)g->item_st[s] / (double)max_other;
        if (s == LR_ST_MATCHED || !g->item_st[s])
            continue;
        lr_buf_addf(b, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"14\" fill=\"%s\">", x2,
                    y, w, lr_rp_status_color((enum lr_status)s));
        seg_title(b, (enum lr_status)s, g->item_st[s], g->n_items);
        lr_buf_adds(b, "</rect>");
        x2 += w;
    }
    lr_buf_addf(b, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"12\">", x2 + 5, y + 11);
    lr_rp_num(b, other);
    lr_buf_adds(b, "</text>\n");
}

void
lr_rp_svg_status_bars(struct lr_buf *b, const struct lr_rp *rp)
{
    int64_t max_other = 0;
    int h = BAR_HEAD + BAR_ROW * (int)rp->n_news + 6;

    for (size_t i = 0; i < rp->n_news; i++) {
        int64_t o = rp->news[i].n_items - rp->news[i].item_st[LR_ST_MATCHED];
        max_other = o > max_other ? o : max_other;
    }
    lr_buf_addf(b,
                "<figure><svg width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"statuses per new commune\">\n",
                BAR_W, h, BAR_W, h);
    lr_buf_addf(b,
                "<text x=\"%d\" y=\"12\" font-size=\"12\" font-weight=\"600\">Tỉ lệ trạng "
                "thái / status shares (100%%)</text>",
                BAR_LABEL);
    lr_buf_addf(b,
                "<text x=\"%d\" y=\"12\" font-size=\"12\" font-weight=\"600\">Số cần xem xét "
                "/ not plain matched (count)</text>\n",
                BAR_LABEL + BAR_SHARE + BAR_GAP);
    lr_buf_addf(b,
                "<text x=\"%d\" y=\"27\" font-size=\"11\" fill=\"#5b6775\">Xã mới / new "
                "commune</text>\n",
                0);
    for (size_t i = 0; i < rp->n_news; i++)
        bar_row(b, &rp->news[i], BAR_HEAD + BAR_ROW * (double)i, max_other);
    lr_buf_adds(b, "</svg><figcaption>Trái: tỉ lệ mọi trạng thái của thửa bản đồ và hồ sơ không "
                   "có thửa. Phải: số lượng các trạng thái khác &#8220;khớp&#8221;. / Left: "
                   "shares of every status (map parcels and register records without a parcel). "
                   "Right: counts of every status but matched.</figcaption></figure>\n");
}

static double
hist_y(int64_t n, double logmax)
{
    return HIST_TOP + HIST_PLOTH - (logmax > 0 ? HIST_PLOTH * log10(1.0 + (double)n) / logmax : 0);
}

static void
hist_axes(struct lr_buf *b, double logmax, int64_t max)
{
    double bw = (double)HIST_PLOTW / LR_RP_BINS;

    for (int64_t t = 1; t <= max; t *= 10) {
        double y = hist_y(t, logmax);
        lr_buf_addf(b,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e7ec\"/>"
                    "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
                    HIST_LEFT, y, HIST_LEFT + HIST_PLOTW, y, HIST_LEFT - 4, y + 4);
        lr_rp_num(b, t);
        lr_buf_adds(b, "</text>\n");
    }
    for (int k = 0; k <= 4; k++) { /* 0.80 0.90 1.00 1.10 1.20: centres of bins 1 + 10k */
        double x = HIST_LEFT + bw * (1.5 + 10 * k);
        lr_buf_addf(b,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d.%02d"
                    "</text>\n",
                    x, HIST_TOP, x, HIST_TOP + HIST_PLOTH + 4, k == 2 ? "#1d2733" : "#e3e7ec", x,
                    HIST_TOP + HIST_PLOTH + 16, (80 + 10 * k) / 100, (80 + 10 * k) % 100);
    }
    lr_buf_addf(b,
                "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"start\">&lt;0.795"
                "</text><text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
                "\xe2\x89\xa5"
                "1.205</text>\n",
                HIST_LEFT + 1.0, HIST_TOP + HIST_PLOTH + 30, HIST_LEFT + (double)HIST_PLOTW - 1,
                HIST_TOP + HIST_PLOTH + 30);
    lr_buf_addf(b,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">diện tích "
                "bản đồ / diện tích hồ sơ \xe2\x80\x93 map area / register area</text>\n"
                "<text transform=\"translate(14 %d) rotate(-90)\" font-size=\"12\" "
                "text-anchor=\"middle\">số thửa (log) / parcels (log)</text>\n",
                HIST_LEFT + HIST_PLOTW / 2, HIST_H - 4, HIST_TOP + HIST_PLOTH / 2);
}

/* The tooltip of bin i: its ratio range and count. */
static void
bin_title(struct lr_buf *b, int i, int64_t n)
{
    int lo = LR_RP_BIN_LO + (i - 1) * LR_RP_BIN_STEP, hi = lo + LR_RP_BIN_STEP;

    if (i == 0)
        lr_buf_addf(b, "<title>&lt; %d.%03d: ", hi / 10000, hi % 10000 / 10);
    else if (i == LR_RP_BINS - 1)
        lr_buf_addf(b, "<title>\xe2\x89\xa5 %d.%03d: ", lo / 10000, lo % 10000 / 10);
    else
        lr_buf_addf(b, "<title>%d.%03d\xe2\x80\x93%d.%03d: ", lo / 10000, lo % 10000 / 10,
                    hi / 10000, hi % 10000 / 10);
    lr_rp_num(b, n);
    lr_buf_adds(b, "</title>");
}

void
lr_rp_svg_histogram(struct lr_buf *b, const struct lr_rp *rp)
{
    int64_t max = 0;
    double bw = (double)HIST_PLOTW / LR_RP_BINS, logmax;

    for (int i = 0; i < LR_RP_BINS; i++)
        max = rp->hist[i] > max ? rp->hist[i] : max;
    logmax = log10(1.0 + (double)max);
    lr_buf_addf(b,
                "<figure><svg width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"area ratio histogram\">\n",
                HIST_W, HIST_H, HIST_W, HIST_H);
    hist_axes(b, logmax, max);
    for (int i = 0; i < LR_RP_BINS; i++) {
        double y = hist_y(rp->hist[i], logmax);
        bool edge = i == 0 || i == LR_RP_BINS - 1;
        if (!rp->hist[i])
            continue;
        lr_buf_addf(b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">",
                    HIST_LEFT + bw * i + 1, y, bw - 2, HIST_TOP + HIST_PLOTH - y,
                    edge ? "#e15759" : "#4e79a7");
        bin_title(b, i, rp->hist[i]);
        lr_buf_adds(b, "</rect>\n");
    }
    lr_buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1d2733\"/>\n",
                HIST_LEFT, HIST_TOP + HIST_PLOTH, HIST_LEFT + HIST_PLOTW, HIST_TOP + HIST_PLOTH);
    lr_buf_adds(b, "</svg><figcaption>Cột rộng 0,01 quanh mỗi giá trị; hai cột đỏ ở hai đầu gom "
                   "mọi tỉ lệ dưới 0,795 và từ 1,205 trở lên. / Bins of 0.01 centred on each "
                   "value; the red end bins hold every ratio below 0.795 and from 1.205 up."
                   "</figcaption></figure>\n");
}

static void
swatch(struct lr_buf *b, const char *color, const char *vi, const char *en)
{
    lr_buf_addf(b, "<span><i style=\"background:%s\"></i>%s <small>%s</small></span>", color, vi,
                en);
}

void
lr_rp_legend(struct lr_buf *b, const struct lr_rp *rp, bool map_only_statuses)
{
    lr_buf_adds(b, "<div class=\"legend\">");
    for (int s = 0; s < LR_ST_COUNT; s++) {
        bool on =
            map_only_statuses ? rp->total.map_st[s] > 0 && s != LR_ST_REJECTED : rp->st_used[s];
        if (on)
            swatch(b, lr_rp_status_color((enum lr_status)s), lr_rp_status_vi((enum lr_status)s),
                   lr_status_name((enum lr_status)s));
    }
    if (map_only_statuses) {
        swatch(b, "#d9e6d5", "Thửa không vẽ riêng (gộp theo ô 4 px)",
               "parcels not drawn one by one (4 px cells)");
        lr_buf_adds(b, "<span><i style=\"background:#fff;border:2px solid #17324d\"></i>Ranh giới "
                       "xã <small>commune boundary</small></span>");
    }
    lr_buf_adds(b, "</div>\n");
}
