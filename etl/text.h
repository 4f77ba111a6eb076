/* text.h - legacy Vietnamese text decoding (TCVN3/ABC, VNI-Windows, CP1258, VISCII, UTF-8) to
 * NFC UTF-8, the TCVN3 encoder used by the sample generator, and key-field helpers.
 * Pure functions, no global state: safe from any thread. */
#ifndef LR_TEXT_H
#define LR_TEXT_H

#include "config.h"
#include "core.h"

/* Decode n raw bytes in encoding enc into NFC UTF-8, appended to out (out is reset first).
 * LR_ENC_AUTO is not accepted here (use lr_text_detect first). Invalid UTF-8 in a UTF-8 source is
 * replaced by U+FFFD and counted in *n_invalid (may be NULL). Returns LR_ERR_NOMEM only. */
enum lr_rc lr_text_decode(enum lr_encoding enc, const char *bytes, size_t n, struct lr_buf *out,
                          size_t *n_invalid);

/* Score how plausible the sample of values is in each candidate encoding and pick the best.
 * values: n_values raw byte strings (NUL-terminated). *ambiguous is set when the two best
 * encodings are too close to tell. Pure ASCII input answers LR_ENC_UTF8, not ambiguous. */
enum lr_encoding lr_text_detect(const char *const *values, size_t n_values, bool *ambiguous);

/* Encode NFC UTF-8 text s as TCVN3 (ABC) bytes, appended to out (reset first). Characters TCVN3
 * cannot hold are written as '?'. Used by the sample generator and tests. */
enum lr_rc lr_text_encode_tcvn3(const char *s, struct lr_buf *out);

/* Normalise UTF-8 text to NFC (utf8proc). Caller frees; NULL on out of memory or invalid input. */
char *lr_text_nfc(const char *s);

#endif
