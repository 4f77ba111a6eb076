/* fuzz_text.c - libFuzzer target: the legacy text decoders and the encoding detector.
 * Input: byte 0 picks the encoding, the rest is decoded; the same bytes split at NUL are the
 * detector's sample. Checks: no crash, leak or UB; the decoder's output is valid UTF-8 and
 * already NFC (decoding promises NFC UTF-8); the detector answers a concrete encoding. */
#include "core.h"
#include "text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, k;
    unsigned cp;

    while (i < n) {
        unsigned c = s[i];

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            k = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            k = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            k = 3, cp = c & 0x07;
        else
            return false;
        if (i + k >= n)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static void
decode_one(enum lr_encoding enc, const unsigned char *data, size_t size)
{
    struct lr_buf out;
    size_t invalid = 0;

    lr_buf_init(&out);
    if (lr_text_decode(enc, (const char *)data, size, &out, &invalid) == LR_OK && out.data) {
        char *nfc;

        assert(valid_utf8((const unsigned char *)out.data, out.len));
        assert(strlen(out.data) == out.len || memchr(data, 0, size)); /* NUL only from a NUL */
        nfc = lr_text_nfc(out.data);
        assert(nfc && strcmp(nfc, out.data) == 0);
        free(nfc);
    }
    lr_buf_release(&out);
}

static void
detect(const unsigned char *data, size_t size)
{
    char *copy = malloc(size + 1);
    const char *values[64];
    size_t n = 0;
    bool ambiguous = false;
    enum lr_encoding enc;

    if (!copy)
        return;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *p = copy; n < LR_ARRAY_LEN(values) && p <= copy + size; p += strlen(p) + 1)
        values[n++] = p;
    enc = lr_text_detect(values, n, &ambiguous);
    assert(enc != LR_ENC_AUTO && (int)enc >= 0 && enc <= LR_ENC_VISCII);
    free(copy);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    decode_one((enum lr_encoding)(data[0] % LR_ENC_AUTO), data + 1, size - 1);
    detect(data + 1, size - 1);
    return 0;
}
