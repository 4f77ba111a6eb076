/* test_text.c - unit tests of etl/text.c: byte tables against the vietunicode table and glibc's
 * iconv test data, greedy pairs, invalid and truncated input, detection, the TCVN3 encoder.
 *
 * Data files are read at run time from $LR_SHARED_DIR/realdata/vn-legacy-encodings/, or from
 * $LR_SOURCE_DIR/../shared/... when LR_SHARED_DIR is unset; a missing file fails the test. */
/* cmocka.h needs setjmp.h, stdarg.h, stddef.h and stdint.h first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "text.h"

#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define VN_DIR    "realdata/vn-legacy-encodings/"
#define N_LETTERS 134
#define FFFD      "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

struct seq {
    unsigned char b[2];
    size_t n;
};

/* One row of vn_charset_table_v1.tsv. */
struct letter {
    uint32_t cp;
    char utf8[8];
    struct seq vni, viscii, tcvn3;
};

struct fixture {
    struct letter rows[N_LETTERS];
    size_t n_rows;
    char *dir; /* .../realdata/vn-legacy-encodings/ */
    struct lr_buf buf, buf2;
};

/* ---- helpers ---- */

static char *
data_dir(void)
{
    const char *shared = getenv("LR_SHARED_DIR");
    const char *src = getenv("LR_SOURCE_DIR");

    if (shared && *shared)
        return lr_asprintf("%s/" VN_DIR, shared);
    if (src && *src)
        return lr_asprintf("%s/../shared/" VN_DIR, src);
    return NULL;
}

/* Read a whole file (caller frees); fails the test when it is missing. */
static char *
slurp(const struct fixture *f, const char *name, size_t *len)
{
    char *path = f->dir ? lr_asprintf("%s%s", f->dir, name) : NULL;
    FILE *fp = path ? fopen(path, "rb") : NULL;
    char *data = NULL;
    long size;

    if (!f->dir)
        fail_msg("set LR_SHARED_DIR or LR_SOURCE_DIR to find '%s'", name);
    if (!fp) {
        free(path);
        fail_msg("cannot open '%s%s'", f->dir, name);
    }
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
    data[size] = '\0';
    fclose(fp);
    free(path);
    *len = (size_t)size;
    return data;
}

static void
utf8_of(uint32_t cp, char out[8])
{
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)out);

    out[n] = '\0';
}

static struct seq
parse_hex(const char *field)
{
    struct seq s = { { 0, 0 }, 0 };
    char *end;

    while (*field && s.n < 2) {
        s.b[s.n++] = (unsigned char)strtoul(field, &end, 16);
        field = end;
        while (*field == ' ')
            field++;
    }
    return s;
}

static void
parse_table(struct fixture *f)
{
    size_t len;
    char *text = slurp(f, "vietunicode-table/vn_charset_table_v1.tsv", &len);
    char *line, *save = NULL;

    line = strtok_r(text, "\n", &save); /* header */
    while ((line = strtok_r(NULL, "\n", &save)) != NULL && f->n_rows < N_LETTERS) {
        char *fld[5], *save2 = NULL;
        struct letter *r = &f->rows[f->n_rows++];
        size_t i;

        for (i = 0; i < 5; i++)
            fld[i] = strtok_r(i ? NULL : line, "\t", &save2);
        assert_non_null(fld[4]);
        r->cp = (uint32_t)strtoul(fld[0] + 2, NULL, 16); /* "U+1EA0" */
        utf8_of(r->cp, r->utf8);
        r->vni = parse_hex(fld[1]);
        r->viscii = parse_hex(fld[3]);
        r->tcvn3 = parse_hex(fld[4]);
    }
    free(text);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    f->dir = data_dir();
    lr_buf_init(&f->buf);
    lr_buf_init(&f->buf2);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    lr_buf_release(&f->buf);
    lr_buf_release(&f->buf2);
    free(f->dir);
    free(f);
    return 0;
}

/* Decode n bytes from a heap copy of exactly n bytes, so ASan sees any over-read. */
static const char *
decode(struct fixture *f, enum lr_encoding enc, const void *bytes, size_t n, size_t *n_invalid)
{
    char *copy = malloc(n ? n : 1);

    assert_non_null(copy);
    memcpy(copy, bytes, n);
    assert_int_equal(lr_text_decode(enc, copy, n, &f->buf, n_invalid), LR_OK);
    free(copy);
    assert_non_null(f->buf.data);
    return f->buf.data;
}

static const char *
nfc(const char *s, char **hold)
{
    *hold = lr_text_nfc(s);
    assert_non_null(*hold);
    return *hold;
}

/* Test-side VNI encoder built from the table (the library has none). */
static void
encode_vni(const struct fixture *f, const char *s, struct lr_buf *out)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t cp;
    utf8proc_ssize_t k;
    size_t i;

    lr_buf_reset(out);
    lr_buf_add(out, "", 0);
    while (*p && (k = utf8proc_iterate(p, -1, &cp)) > 0) {
        p += k;
        if (cp < 0x80) {
            lr_buf_addc(out, (char)cp);
            continue;
        }
        for (i = 0; i < f->n_rows && f->rows[i].cp != (uint32_t)cp; i++)
            ;
        assert_true(i < f->n_rows);
        lr_buf_add(out, (const char *)f->rows[i].vni.b, f->rows[i].vni.n);
    }
}

/* Encode with glibc iconv (test side only): CP1258 writes letters it lacks as base + tone. */
static void
encode_iconv(const char *to, const char *s, struct lr_buf *out)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    char tmp[512], *in = (char *)s, *o = tmp;
    size_t inleft = strlen(s), outleft = sizeof tmp;

    assert_true(cd != (iconv_t)-1);
    assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &o, &outleft) != (size_t)-1);
    iconv_close(cd);
    lr_buf_reset(out);
    lr_buf_add(out, tmp, (size_t)(o - tmp));
}

/* ---- the 134 letters of the vietunicode table ---- */

static void
test_table_decodes(void **state)
{
    struct fixture *f = *state;
    size_t i, n_invalid;

    parse_table(f);
    assert_int_equal(f->n_rows, N_LETTERS);
    for (i = 0; i < f->n_rows; i++) {
        const struct letter *r = &f->rows[i];

        assert_string_equal(decode(f, LR_ENC_TCVN3, r->tcvn3.b, r->tcvn3.n, &n_invalid), r->utf8);
        assert_string_equal(decode(f, LR_ENC_VNI, r->vni.b, r->vni.n, &n_invalid), r->utf8);
        assert_string_equal(decode(f, LR_ENC_VISCII, r->viscii.b, r->viscii.n, &n_invalid),
                            r->utf8);
        assert_int_equal(n_invalid, 0);
    }
}

static void
test_table_tcvn3_encode(void **state)
{
    struct fixture *f = *state;
    size_t i;

    parse_table(f);
    for (i = 0; i < f->n_rows; i++) {
        const struct letter *r = &f->rows[i];

        assert_int_equal(lr_text_encode_tcvn3(r->utf8, &f->buf2), LR_OK);
        assert_int_equal(f->buf2.len, r->tcvn3.n);
        assert_memory_equal(f->buf2.data, r->tcvn3.b, r->tcvn3.n);
        assert_string_equal(decode(f, LR_ENC_TCVN3, f->buf2.data, f->buf2.len, NULL), r->utf8);
    }
}

/* ---- hand-made cases ---- */

struct dcase {
    enum lr_encoding enc;
    const char *in;
    const char *want;
    size_t invalid;
};

static const struct dcase dcases[] = {
    /* TCVN3: greedy pairs, lone toned bytes, VN1 capitals, controls, combining tones */
    { LR_ENC_TCVN3, "\xa2\xca\x70", "Ấp", 0 },
    { LR_ENC_TCVN3, "\xca\x70", "ấp", 0 },
    { LR_ENC_TCVN3, "\x41\xb5\x41", "ÀA", 0 },
    { LR_ENC_TCVN3, "\x42\xb5", "Bà", 0 }, /* B is no base of à */
    { LR_ENC_TCVN3, "\x61\xb5", "aà", 0 }, /* lowercase base: no pair */
    { LR_ENC_TCVN3, "\xa2", "Â", 0 },      /* trailing base byte */
    { LR_ENC_TCVN3, "Nguy\xd4n V\xa8n \xa7\xf8\x63", "Nguyễn Văn Đức", 0 },
    { LR_ENC_TCVN3, "Th\xabn Thanh \xca\x6d", "Thôn Thanh ấm", 0 },
    { LR_ENC_TCVN3, "\x80\x9f\xaf\xff", "ÀŨẰỐ", 0 }, /* VN1 single-byte capitals */
    { LR_ENC_TCVN3, "\x01\x02\x04\x05\x06\x11\x17", "ÚỤỪỬỮỨỴ", 0 },
    { LR_ENC_TCVN3, "a\tb\nc\rd\x03", "a\tb\nc\rd\x03", 0 },
    { LR_ENC_TCVN3, "a\xb3 \x6e\xb2 \xa8\xb4", "á ñ ặ", 0 }, /* VN1 combining tones */
    /* VNI-Windows */
    { LR_ENC_VNI, "Nguye\xe3n Va\xean \xd1\xf6\xf9\x63", "Nguyễn Văn Đức", 0 },
    { LR_ENC_VNI, "HA\xd8 NO\xc4I", "HÀ NỘI", 0 },
    { LR_ENC_VNI, "\xd4\xd9\xf4\xf9", "Ớớ", 0 },
    { LR_ENC_VNI, "\xf9", "ù", 0 },   /* lone mark: Windows-1252 */
    { LR_ENC_VNI, "b\xf9", "bù", 0 }, /* b takes no mark */
    { LR_ENC_VNI, "a\xd9", "aÙ", 0 }, /* capital mark after lowercase base: no pair */
    { LR_ENC_VNI, "a", "a", 0 },      /* trailing base */
    { LR_ENC_VNI, "\x81x\x8d", FFFD "x" FFFD, 2 },
    { LR_ENC_VNI, "\xec\xcc\xf2\xd2\xf3\xee", "ìÌịỊĩỵ", 0 },
    /* CP1258: combining tones compose (NFC), undefined bytes counted */
    { LR_ENC_CP1258, "Ti\xea\xecng Vi\xea\xf2t", "Tiếng Việt", 0 },
    { LR_ENC_CP1258, "\xd0\xfd\xec\x63", "Đức", 0 },
    { LR_ENC_CP1258, "\xcc", "\xcc\x80", 0 }, /* a lone tone stays a combining mark */
    { LR_ENC_CP1258, "a\x81\x8a\x8d\x8e\x8f\x90\x9a\x9d\x9e",
      "a" FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD, 9 },
    { LR_ENC_CP1258, "\x80\xfe", "€₫", 0 },
    /* VISCII */
    { LR_ENC_VISCII, "Nguy\xadn V\xe5n \xd0\xd1\x63", "Nguyễn Văn Đức", 0 },
    { LR_ENC_VISCII, "\x02\x05\x06\x14\x19\x1e\t", "ẲẴẪỶỸỴ\t", 0 },
    /* UTF-8: NFC, and invalid sequences replaced by maximal subpart */
    { LR_ENC_UTF8, "Vie\xcc\x82\xcc\xa3t", "Việt", 0 },
    { LR_ENC_UTF8, "Vi\xe1\xbb\x87t", "Việt", 0 },
    { LR_ENC_UTF8, FFFD, FFFD, 0 }, /* a real U+FFFD is not counted */
    { LR_ENC_UTF8, "a\xff\x62", "a" FFFD "b", 1 },
    { LR_ENC_UTF8, "\xc3", FFFD, 1 },                            /* lead byte at the end */
    { LR_ENC_UTF8, "\xe1\xba", FFFD, 1 },                        /* truncated 3-byte sequence */
    { LR_ENC_UTF8, "\xf0\x9f\x98", FFFD, 1 },                    /* truncated 4-byte sequence */
    { LR_ENC_UTF8, "\xc0\xaf", FFFD FFFD, 2 },                   /* overlong */
    { LR_ENC_UTF8, "\xed\xa0\x80", FFFD FFFD FFFD, 3 },          /* surrogate */
    { LR_ENC_UTF8, "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4 }, /* above U+10FFFF */
    { LR_ENC_UTF8, "\xe1\xbax", FFFD "x", 1 },
    { LR_ENC_UTF8, "\x80\x80", FFFD FFFD, 2 },
    { LR_ENC_UTF8, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0 },
    { LR_ENC_UTF8, "", "", 0 },
};

static void
test_decode_cases(void **state)
{
    struct fixture *f = *state;
    size_t i, n_invalid;

    for (i = 0; i < LR_ARRAY_LEN(dcases); i++) {
        const struct dcase *c = &dcases[i];
        const char *got = decode(f, c->enc, c->in, strlen(c->in), &n_invalid);

        if (strcmp(got, c->want) != 0 || n_invalid != c->invalid)
            fail_msg("case %zu (encoding %d): got '%s' (%zu invalid), want '%s' (%zu)", i,
                     (int)c->enc, got, n_invalid, c->want, c->invalid);
    }
}

static void
test_decode_keeps_nul(void **state)
{
    struct fixture *f = *state;

    decode(f, LR_ENC_TCVN3, "x\0\xb5", 3, NULL);
    assert_int_equal(f->buf.len, 4);
    assert_memory_equal(f->buf.data, "x\0à", 4);
}

/* ---- glibc iconv test data ---- */

struct glibc_case {
    enum lr_encoding enc;
    const char *in, *want;
};

/* glibc's TCVN5712-1 is VN1. Our TCVN3 decoder is VN3 plus every VN1 byte that does not conflict
 * with VN3 (see text.c), so it decodes the whole code chart. The chart puts a space before every
 * byte, so the VN3 two-byte capitals (capital base + toned lowercase) never arise, and the
 * "base + combining tone" lines compose through NFC as glibc composes them. Both sides are
 * compared after NFC. */
static const struct glibc_case glibc_cases[] = {
    { LR_ENC_TCVN3, "glibc/iconv-testdata/TCVN-5712", "glibc/iconv-testdata/TCVN-5712..UTF8" },
    { LR_ENC_CP1258, "glibc/iconv-testdata/CP1258", "glibc/iconv-testdata/CP1258..UTF8" },
    { LR_ENC_CP1258, "glibc/iconv-testdata/WINDOWS-1258",
      "glibc/iconv-testdata/WINDOWS-1258..UTF8" },
};

static void
test_glibc_files(void **state)
{
    struct fixture *f = *state;
    size_t i, n_in, n_want, n_invalid;

    for (i = 0; i < LR_ARRAY_LEN(glibc_cases); i++) {
        char *in = slurp(f, glibc_cases[i].in, &n_in);
        char *want = slurp(f, glibc_cases[i].want, &n_want);
        char *want_nfc = NULL;

        decode(f, glibc_cases[i].enc, in, n_in, &n_invalid);
        assert_int_equal(n_invalid, 0);
        assert_int_equal(f->buf.len, strlen(f->buf.data));
        assert_string_equal(f->buf.data, nfc(want, &want_nfc));
        free(want_nfc);
        free(want);
        free(in);
    }
}

/* Pair files "0xBBTT<tab>0xUUUU": two bytes and the code point glibc composes them to. */
static void
check_pairs(struct fixture *f, enum lr_encoding enc, const char *name, bool viet_only,
            size_t want_checked)
{
    size_t len, checked = 0, i;
    char *text = slurp(f, name, &len), *line, *save = NULL;

    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long bytes = strtoul(line, NULL, 16);
        uint32_t cp = (uint32_t)strtoul(strchr(line, '\t') + 1, NULL, 16);
        unsigned char two[2] = { (unsigned char)(bytes >> 8), (unsigned char)bytes };
        char want[8];

        if (bytes < 0x100)
            continue; /* one-byte lines are encoder-only (U+0340 -> 0xCC etc.) */
        for (i = 0; i < f->n_rows && f->rows[i].cp != cp; i++)
            ;
        if (viet_only && i == f->n_rows)
            continue;
        utf8_of(cp, want);
        assert_string_equal(decode(f, enc, two, 2, NULL), want);
        checked++;
    }
    assert_int_equal(checked, want_checked);
    free(text);
}

static void
test_glibc_pairs(void **state)
{
    struct fixture *f = *state;

    parse_table(f);
    /* all 56 VN1 "base + combining tone" pairs */
    check_pairs(f, LR_ENC_TCVN3, "glibc/iconv-testdata/TCVN5712-1.precomposed", false, 56);
    /* CP1258 base + tone pairs that make one of the 134 Vietnamese letters. The file's other
     * entries are lenient glibc compositions that are not canonical (e.g. 0xD3DE Ó + tilde ->
     * U+1E4C, whose NFD has the marks the other way round), which NFC rightly keeps apart. */
    check_pairs(f, LR_ENC_CP1258, "glibc/iconv-testdata/CP1258.irreversible", true, 104);
}

/* ---- arbitrary and truncated input ---- */

static bool
valid_utf8(const char *s, size_t n)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t cp;
    utf8proc_ssize_t k;

    while (n > 0) {
        k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static const enum lr_encoding all_enc[] = { LR_ENC_UTF8, LR_ENC_TCVN3, LR_ENC_VNI, LR_ENC_CP1258,
                                            LR_ENC_VISCII };

/* Every 1- and 2-byte input in every encoding (ASan catches a read past a trailing lead byte):
 * valid UTF-8 out, and NFC out. */
static void
test_all_short_inputs(void **state)
{
    struct fixture *f = *state;
    unsigned char b[3];
    size_t e, i, n_invalid;
    char *again = NULL;

    for (e = 0; e < LR_ARRAY_LEN(all_enc); e++) {
        for (i = 0; i < 0x10000; i++) {
            b[0] = (unsigned char)(i >> 8);
            b[1] = (unsigned char)i;
            decode(f, all_enc[e], b, 2, &n_invalid);
            assert_true(valid_utf8(f->buf.data, f->buf.len));
            if (i < 0x100) { /* one byte, and the byte after a base letter */
                decode(f, all_enc[e], b + 1, 1, &n_invalid);
                assert_true(valid_utf8(f->buf.data, f->buf.len));
                b[0] = 'a';
                decode(f, all_enc[e], b, 2, &n_invalid);
                assert_string_equal(nfc(f->buf.data, &again), f->buf.data);
                free(again);
            }
        }
    }
}

/* ---- TCVN3 encoder ---- */

static const char *const sentences[] = {
    "Ấp Sóc Bom Bo, xã Bình Tân, huyện Phú Riềng",
    "Nguyễn Văn Đức",
    "Thôn Thanh Ấm, Đồng Quan Tiên, thị trấn Vân Đình",
    "ĐẶNG THỊ ỨNG, Ỷ LAN, ỞỜỚỢỠ ỮỪỨỰỬ",
    "Số 12/3 đường Trường Chinh; tờ bản đồ số 7, thửa 145 (đất ở)",
    "",
};

static void
test_tcvn3_roundtrip(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < LR_ARRAY_LEN(sentences); i++) {
        assert_int_equal(lr_text_encode_tcvn3(sentences[i], &f->buf2), LR_OK);
        assert_string_equal(decode(f, LR_ENC_TCVN3, f->buf2.data, f->buf2.len, NULL), sentences[i]);
    }
}

struct ecase {
    const char *in, *want;
};

static const struct ecase ecases[] = {
    { "Nguyễn Văn Đức", "Nguy\xd4n V\xa8n \xa7\xf8\x63" },
    { "Ấp", "\xa2\xca\x70" },
    { "Vie\xcc\x82\xcc\xa3t", "Vi\xd6t" }, /* decomposed input is normalised first */
    { "Ñ€ä", "???" },                      /* not in TCVN3 */
    { "\x01\x11\t\n", "??\t\n" },          /* C0 bytes that TCVN3 reads as VN1 capitals */
    { "a\xff"
      "b",
      "a?b" }, /* invalid UTF-8 */
    { "\xe1\xbb", "?" },
};

static void
test_tcvn3_encode_cases(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < LR_ARRAY_LEN(ecases); i++) {
        assert_int_equal(lr_text_encode_tcvn3(ecases[i].in, &f->buf2), LR_OK);
        assert_string_equal(f->buf2.data, ecases[i].want);
    }
    assert_int_equal(lr_text_encode_tcvn3(NULL, &f->buf2), LR_OK);
    assert_string_equal(f->buf2.data, "");
}

/* ---- NFC ---- */

static void
test_nfc(void **state)
{
    static const struct ecase cases[] = {
        { "Vie\xcc\x82\xcc\xa3t", "Việt" },
        { "Ho\xcc\x80"
          "a",
          "Hòa" },
        { "Hoa\xcc\x80", "Hoà" }, /* NFC does not move the tone: never key on names */
        { "\xc3\x90\xc4\x90", "\xc3\x90\xc4\x90" }, /* Ð and Đ stay apart */
        { "", "" },
    };
    size_t i;
    char *s;

    (void)state;
    for (i = 0; i < LR_ARRAY_LEN(cases); i++) {
        s = lr_text_nfc(cases[i].in);
        assert_non_null(s);
        assert_string_equal(s, cases[i].want);
        free(s);
    }
    assert_null(lr_text_nfc("a\xff"));
    assert_null(lr_text_nfc(NULL));
}

/* ---- detection ---- */

static const char *const people[] = {
    "Nguyễn Văn Đức",  "Trần Thị Hoa",    "Lê Hoàng Phúc",  "Phạm Minh Tuấn",
    "Hoàng Thị Hương", "Võ Thị Sáu",      "Đặng Quốc Việt", "Bùi Xuân Trường",
    "Đỗ Thị Ngọc Ánh", "Huỳnh Văn Lượng", "Ngô Thị Thủy",   "Dương Đình Khải",
};
static const char *const places[] = {
    "Ấp Sóc Bom Bo",     "xã Bình Tân",         "huyện Phú Riềng",   "tỉnh Bình Phước",
    "Thôn Thanh Ấm",     "Đồng Quan Tiên",      "thị trấn Vân Đình", "phường Bến Thành",
    "quận Hai Bà Trưng", "xã Ea Tiêu, Cư Kuin", "tổ dân phố 5",      "đất trồng lúa nước",
};
static const char *const upper[] = {
    "NGUYỄN VĂN ĐỨC",      "TRẦN THỊ HOA",   "XÃ BÌNH TÂN",  "HUYỆN PHÚ RIỀNG",
    "ĐẤT Ở TẠI NÔNG THÔN", "THỬA ĐẤT SỐ 12", "ĐƯỜNG LÊ LỢI", "KHU DÂN CƯ",
};

struct sample {
    const char *const *values;
    size_t n;
};

static const struct sample samples[] = {
    { people, LR_ARRAY_LEN(people) },
    { places, LR_ARRAY_LEN(places) },
    { upper, LR_ARRAY_LEN(upper) },
};

/* Encode sample s in enc (test side), run detection, expect enc and a clear answer. */
static void
check_detect(struct fixture *f, const struct sample *s, enum lr_encoding enc)
{
    char *enc_values[16];
    size_t i;
    bool amb = true;
    enum lr_encoding got;

    assert_true(s->n <= LR_ARRAY_LEN(enc_values));
    for (i = 0; i < s->n; i++) {
        if (enc == LR_ENC_TCVN3)
            assert_int_equal(lr_text_encode_tcvn3(s->values[i], &f->buf2), LR_OK);
        else if (enc == LR_ENC_VNI)
            encode_vni(f, s->values[i], &f->buf2);
        else if (enc == LR_ENC_CP1258)
            encode_iconv("CP1258", s->values[i], &f->buf2);
        else if (enc == LR_ENC_VISCII)
            encode_iconv("VISCII", s->values[i], &f->buf2);
        else
            lr_buf_add(&f->buf2, s->values[i], strlen(s->values[i])); /* detach left it empty */
        enc_values[i] = lr_buf_detach(&f->buf2);
        assert_non_null(enc_values[i]);
    }
    got = lr_text_detect((const char *const *)enc_values, s->n, &amb);
    if (got != enc || amb)
        fail_msg("sample '%s': want encoding %d, got %d%s", s->values[0], (int)enc, (int)got,
                 amb ? " (ambiguous)" : "");
    for (i = 0; i < s->n; i++)
        free(enc_values[i]);
}

static void
test_detect_samples(void **state)
{
    struct fixture *f = *state;
    size_t s, e;

    parse_table(f);
    for (s = 0; s < LR_ARRAY_LEN(samples); s++)
        for (e = 0; e < LR_ARRAY_LEN(all_enc); e++)
            check_detect(f, &samples[s], all_enc[e]);
}

struct detect_case {
    const char *values[4];
    enum lr_encoding want; /* checked only when not ambiguous */
    bool ambiguous;
};

static const struct detect_case detect_cases[] = {
    { { "Lo 12", "To ban do so 7", "", NULL }, LR_ENC_UTF8, false }, /* pure ASCII */
    { { NULL }, LR_ENC_UTF8, false },                                /* no values */
    { { "Ph\xf3", NULL }, LR_ENC_UTF8, true },       /* one short word: TCVN3 Phú or CP1258 Phó */
    { { "\xff\xfe\x80", NULL }, LR_ENC_UTF8, true }, /* noise */
    { { "Vi\xe1\xbb\x87t Nam", NULL }, LR_ENC_UTF8, false }, /* valid UTF-8, Vietnamese */
    { { "Th\xab\x6e Thanh \xca\x6d", "\xa7\xe5ng Quan Ti\xaan", NULL }, LR_ENC_TCVN3, false },
};

static void
test_detect_cases(void **state)
{
    size_t i, n;
    bool amb;
    enum lr_encoding got;

    (void)state;
    for (i = 0; i < LR_ARRAY_LEN(detect_cases); i++) {
        const struct detect_case *c = &detect_cases[i];

        for (n = 0; n < 4 && c->values[n]; n++)
            ;
        got = lr_text_detect(c->values, n, &amb);
        if (amb != c->ambiguous || (!amb && got != c->want))
            fail_msg("detect case %zu: got %d%s", i, (int)got, amb ? " (ambiguous)" : "");
    }
}

/* ---- threads: no shared mutable state ---- */

static void *
decode_many(void *arg)
{
    struct lr_buf b;
    int i, *bad = arg;

    lr_buf_init(&b);
    for (i = 0; i < 2000; i++) {
        if (lr_text_decode(LR_ENC_TCVN3, "Nguy\xd4n V\xa8n \xa7\xf8\x63 a\xb3", 17, &b, NULL) !=
                LR_OK ||
            strcmp(b.data, "Nguyễn Văn Đức á") != 0)
            (*bad)++;
    }
    lr_buf_release(&b);
    return NULL;
}

static void
test_threads(void **state)
{
    pthread_t t[4];
    int bad[4] = { 0 };
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, decode_many, &bad[i]), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(bad[i], 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table_decodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_tcvn3_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_keeps_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_glibc_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_glibc_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_short_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcvn3_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcvn3_encode_cases, setup, teardown),
        cmocka_unit_test(test_nfc),
        cmocka_unit_test_setup_teardown(test_detect_samples, setup, teardown),
        cmocka_unit_test(test_detect_cases),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
