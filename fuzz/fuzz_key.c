/* fuzz_key.c - libFuzzer target: the parcel key normaliser (lr_key_parse, lr_key_parse_str,
 * lr_key_format). Input: up to three fields separated by '\n' (commune, sheet, parcel), and the
 * whole input as a key text. Checks: no crash or UB; a parsed key is in range, formats to
 * "OOOOO-S-P" and parses back to itself; a key lr_key_parse refuses is marked commune = -1. */
#include "core.h"
#include "model.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void
round_trip(const struct lr_key *k)
{
    char buf[LR_KEY_STR_MAX];
    struct lr_key back;

    assert(k->commune >= 0 && k->commune <= 99999 && k->sheet >= 0 && k->parcel >= 0);
    lr_key_format(k, buf);
    assert(strlen(buf) >= 9 && buf[5] == '-');
    assert(lr_key_parse_str(buf, &back));
    assert(lr_key_cmp(k, &back) == 0 && lr_key_hash(k) == lr_key_hash(&back));
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1), *f[3] = { NULL, NULL, NULL }, *p;
    struct lr_key k;
    int n = 0;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (lr_key_parse_str(text, &k))
        round_trip(&k);
    for (p = text; n < 3; n++) {
        f[n] = p;
        p = strchr(p, '\n');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (lr_key_parse(f[0], f[1], f[2], &k)) /* missing fields are NULL */
        round_trip(&k);
    else
        assert(k.commune == -1);
    free(text);
    return 0;
}
