/* fuzz_money.c - libFuzzer target: the decimal parsers for areas and money
 * (lr_money_parse_area, lr_money_parse_vnd) and the area formatter.
 * Checks: no crash or UB (signed overflow is UB: UBSan reports it); a parsed area is >= 0,
 * formats to text that parses back to the same value; a parsed price is >= 0; a refusal says why
 * (LR_ERR_INPUT with a message) and never leaves a half-written value. */
#include "core.h"
#include "money.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void
area(const char *text)
{
    struct lr_err err;
    int64_t dm2 = -12345, back = -1;
    char buf[64];

    lr_err_clear(&err);
    if (lr_money_parse_area(text, &dm2, &err) == LR_OK) {
        assert(dm2 >= 0);
        lr_money_format_area(dm2, buf, sizeof(buf));
        lr_err_clear(&err);
        assert(lr_money_parse_area(buf, &back, &err) == LR_OK && back == dm2);
    } else {
        assert(err.rc != LR_OK && err.msg[0]);
        assert(dm2 == -12345);
    }
}

static void
vnd(const char *text)
{
    struct lr_err err;
    int64_t v = -12345;

    lr_err_clear(&err);
    if (lr_money_parse_vnd(text, &v, &err) == LR_OK)
        assert(v >= 0);
    else
        assert(err.rc != LR_OK && err.msg[0] && v == -12345);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    area(text);
    vnd(text);
    free(text);
    return 0;
}
