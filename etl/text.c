/* text.c - legacy Vietnamese text (TCVN3/ABC, VNI-Windows, CP1258, VISCII, UTF-8) to NFC UTF-8,
 * encoding detection, and the TCVN3 encoder.
 *
 * The byte tables below were generated once from the files in
 * realdata/vn-legacy-encodings/ (glibc charmaps TCVN5712-1, CP1258 and VISCII; the vietunicode
 * table vn_charset_table_v1.tsv for the TCVN3 two-byte capitals, VNI-Windows and the encoder) and
 * are checked against those files by tests/unit/test_text.c. No iconv at run time.
 *
 * Decisions:
 * - TCVN3 is read as VN3 ("ABC", the .VnTime fonts) extended by VN1 (glibc's TCVN5712-1) where
 *   the two do not conflict. Bytes 0xA1-0xFF that VN3 uses mean the same in VN1. VN1 also puts
 *   capital toned letters on 0x80-0x9F and on 0xAF 0xBA 0xBF-0xC5 0xCD 0xD9-0xDB 0xE0 0xF0 0xFF,
 *   NBSP on 0xA0 and combining tone marks on 0xB0-0xB4 (composed by NFC); VN3 leaves those
 *   bytes unused, so they are decoded as VN1.
 * - C0 bytes: VN1 has 12 capitals at 0x01 0x02 0x04-0x06 0x11-0x17. They are decoded as those
 *   capitals (a text attribute of a DBF/DGN never holds those control characters); TAB, LF, CR
 *   and every other C0 byte stay themselves. The encoder writes '?' for those 12 controls, so
 *   what it writes always decodes back.
 * - Capital toned letters in VN3 are two bytes, "capital base letter + lowercase toned byte"
 *   (A2 CA = Ấ). Decoding is greedy, two bytes before one: such a pair is always the capital
 *   (VN1 text holding the two letters "Aà" side by side would read as "À"; Vietnamese words
 *   never repeat a vowel that way). A lone toned byte is the lowercase letter.
 * - VNI-Windows: base letter + mark byte, greedy, two bytes before one; single-byte letters per
 *   the table. Other bytes >= 0x80 (a mark with no base) read as Windows-1252, the code page VNI
 *   fonts were laid over; the five bytes Windows-1252 leaves undefined give U+FFFD.
 * - Bytes an encoding leaves undefined (CP1258: 81 8A 8D-90 9A 9D 9E; VNI as above) give U+FFFD
 *   and are counted in *n_invalid like invalid UTF-8.
 * - Detection decodes the sample in every candidate encoding and scores each word holding a
 *   non-ASCII character: +2 when it is a plausible Vietnamese syllable (initial consonants, a
 *   known vowel nucleus, a known final, at most one tone mark, no capital after a lowercase
 *   letter unless it is ASCII), -3 when it is not, -4 when it holds anything that is not a letter
 *   (symbols, U+FFFD, stray combining marks). ASCII-only words score 0. Valid UTF-8 holding
 *   Vietnamese letters wins outright. */
#include "text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct tcvn3_pair {
    uint8_t first; /* capital base byte that must precede the toned lowercase byte */
    uint16_t cp;   /* the capital toned letter the two bytes make */
};
struct tcvn3_code { /* encoder: Unicode letter -> 1 or 2 TCVN3 bytes (b[1] == 0: one byte) */
    uint16_t cp;
    uint8_t b[2];
};
struct vni_pair { /* (first byte << 8 | mark byte) -> letter */
    uint16_t key;
    uint16_t cp;
};
struct viet_letter { /* a precomposed Vietnamese letter: base (index in skel_base), tone, case */
    uint16_t cp;
    uint8_t base, tone, upper;
};

/* TCVN3 = VN3 + VN1 (glibc TCVN5712-1), bytes 0x00-0x1F and 0x80-0xFF; 0x20-0x7F are ASCII. */
/* clang-format off */
static const uint16_t tcvn3_c0[32] = {
    /* 0x00 */ 0x0000, 0x00DA, 0x1EE4, 0x0003, 0x1EEA, 0x1EEC, 0x1EEE, 0x0007,
    /* 0x08 */ 0x0008, 0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x000E, 0x000F,
    /* 0x10 */ 0x0010, 0x1EE8, 0x1EF0, 0x1EF2, 0x1EF6, 0x1EF8, 0x00DD, 0x1EF4,
    /* 0x18 */ 0x0018, 0x0019, 0x001A, 0x001B, 0x001C, 0x001D, 0x001E, 0x001F,
};
static const uint16_t tcvn3_hi[128] = {
    /* 0x80 */ 0x00C0, 0x1EA2, 0x00C3, 0x00C1, 0x1EA0, 0x1EB6, 0x1EAC, 0x00C8,
    /* 0x88 */ 0x1EBA, 0x1EBC, 0x00C9, 0x1EB8, 0x1EC6, 0x00CC, 0x1EC8, 0x0128,
    /* 0x90 */ 0x00CD, 0x1ECA, 0x00D2, 0x1ECE, 0x00D5, 0x00D3, 0x1ECC, 0x1ED8,
    /* 0x98 */ 0x1EDC, 0x1EDE, 0x1EE0, 0x1EDA, 0x1EE2, 0x00D9, 0x1EE6, 0x0168,
    /* 0xA0 */ 0x00A0, 0x0102, 0x00C2, 0x00CA, 0x00D4, 0x01A0, 0x01AF, 0x0110,
    /* 0xA8 */ 0x0103, 0x00E2, 0x00EA, 0x00F4, 0x01A1, 0x01B0, 0x0111, 0x1EB0,
    /* 0xB0 */ 0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00E0, 0x1EA3, 0x00E3,
    /* 0xB8 */ 0x00E1, 0x1EA1, 0x1EB2, 0x1EB1, 0x1EB3, 0x1EB5, 0x1EAF, 0x1EB4,
    /* 0xC0 */ 0x1EAE, 0x1EA6, 0x1EA8, 0x1EAA, 0x1EA4, 0x1EC0, 0x1EB7, 0x1EA7,
    /* 0xC8 */ 0x1EA9, 0x1EAB, 0x1EA5, 0x1EAD, 0x00E8, 0x1EC2, 0x1EBB, 0x1EBD,
    /* 0xD0 */ 0x00E9, 0x1EB9, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EBF, 0x1EC7, 0x00EC,
    /* 0xD8 */ 0x1EC9, 0x1EC4, 0x1EBE, 0x1ED2, 0x0129, 0x00ED, 0x1ECB, 0x00F2,
    /* 0xE0 */ 0x1ED4, 0x1ECF, 0x00F5, 0x00F3, 0x1ECD, 0x1ED3, 0x1ED5, 0x1ED7,
    /* 0xE8 */ 0x1ED1, 0x1ED9, 0x1EDD, 0x1EDF, 0x1EE1, 0x1EDB, 0x1EE3, 0x00F9,
    /* 0xF0 */ 0x1ED6, 0x1EE7, 0x0169, 0x00FA, 0x1EE5, 0x1EEB, 0x1EED, 0x1EEF,
    /* 0xF8 */ 0x1EE9, 0x1EF1, 0x1EF3, 0x1EF7, 0x1EF9, 0x00FD, 0x1EF5, 0x1ED0,
};
/* clang-format on */
/* TCVN3 two-byte capitals, indexed by the second (lowercase toned) byte - 0x80. */
static const struct tcvn3_pair tcvn3_pairs[128] = {
    [0xB5 - 0x80] = { 0x41, 0x00C0 }, [0xB6 - 0x80] = { 0x41, 0x1EA2 },
    [0xB7 - 0x80] = { 0x41, 0x00C3 }, [0xB8 - 0x80] = { 0x41, 0x00C1 },
    [0xB9 - 0x80] = { 0x41, 0x1EA0 }, [0xBB - 0x80] = { 0xA1, 0x1EB0 },
    [0xBC - 0x80] = { 0xA1, 0x1EB2 }, [0xBD - 0x80] = { 0xA1, 0x1EB4 },
    [0xBE - 0x80] = { 0xA1, 0x1EAE }, [0xC6 - 0x80] = { 0xA1, 0x1EB6 },
    [0xC7 - 0x80] = { 0xA2, 0x1EA6 }, [0xC8 - 0x80] = { 0xA2, 0x1EA8 },
    [0xC9 - 0x80] = { 0xA2, 0x1EAA }, [0xCA - 0x80] = { 0xA2, 0x1EA4 },
    [0xCB - 0x80] = { 0xA2, 0x1EAC }, [0xCC - 0x80] = { 0x45, 0x00C8 },
    [0xCE - 0x80] = { 0x45, 0x1EBA }, [0xCF - 0x80] = { 0x45, 0x1EBC },
    [0xD0 - 0x80] = { 0x45, 0x00C9 }, [0xD1 - 0x80] = { 0x45, 0x1EB8 },
    [0xD2 - 0x80] = { 0xA3, 0x1EC0 }, [0xD3 - 0x80] = { 0xA3, 0x1EC2 },
    [0xD4 - 0x80] = { 0xA3, 0x1EC4 }, [0xD5 - 0x80] = { 0xA3, 0x1EBE },
    [0xD6 - 0x80] = { 0xA3, 0x1EC6 }, [0xD7 - 0x80] = { 0x49, 0x00CC },
    [0xD8 - 0x80] = { 0x49, 0x1EC8 }, [0xDC - 0x80] = { 0x49, 0x0128 },
    [0xDD - 0x80] = { 0x49, 0x00CD }, [0xDE - 0x80] = { 0x49, 0x1ECA },
    [0xDF - 0x80] = { 0x4F, 0x00D2 }, [0xE1 - 0x80] = { 0x4F, 0x1ECE },
    [0xE2 - 0x80] = { 0x4F, 0x00D5 }, [0xE3 - 0x80] = { 0x4F, 0x00D3 },
    [0xE4 - 0x80] = { 0x4F, 0x1ECC }, [0xE5 - 0x80] = { 0xA4, 0x1ED2 },
    [0xE6 - 0x80] = { 0xA4, 0x1ED4 }, [0xE7 - 0x80] = { 0xA4, 0x1ED6 },
    [0xE8 - 0x80] = { 0xA4, 0x1ED0 }, [0xE9 - 0x80] = { 0xA4, 0x1ED8 },
    [0xEA - 0x80] = { 0xA5, 0x1EDC }, [0xEB - 0x80] = { 0xA5, 0x1EDE },
    [0xEC - 0x80] = { 0xA5, 0x1EE0 }, [0xED - 0x80] = { 0xA5, 0x1EDA },
    [0xEE - 0x80] = { 0xA5, 0x1EE2 }, [0xEF - 0x80] = { 0x55, 0x00D9 },
    [0xF1 - 0x80] = { 0x55, 0x1EE6 }, [0xF2 - 0x80] = { 0x55, 0x0168 },
    [0xF3 - 0x80] = { 0x55, 0x00DA }, [0xF4 - 0x80] = { 0x55, 0x1EE4 },
    [0xF5 - 0x80] = { 0xA6, 0x1EEA }, [0xF6 - 0x80] = { 0xA6, 0x1EEC },
    [0xF7 - 0x80] = { 0xA6, 0x1EEE }, [0xF8 - 0x80] = { 0xA6, 0x1EE8 },
    [0xF9 - 0x80] = { 0xA6, 0x1EF0 }, [0xFA - 0x80] = { 0x59, 0x1EF2 },
    [0xFB - 0x80] = { 0x59, 0x1EF6 }, [0xFC - 0x80] = { 0x59, 0x1EF8 },
    [0xFD - 0x80] = { 0x59, 0x00DD }, [0xFE - 0x80] = { 0x59, 0x1EF4 },
};
/* TCVN3 encoder, sorted by code point: the 134 letters of the vietunicode table. */
static const struct tcvn3_code tcvn3_codes[134] = {
    { 0x00C0, { 0x41, 0xB5 } }, { 0x00C1, { 0x41, 0xB8 } }, { 0x00C2, { 0xA2, 0x00 } },
    { 0x00C3, { 0x41, 0xB7 } }, { 0x00C8, { 0x45, 0xCC } }, { 0x00C9, { 0x45, 0xD0 } },
    { 0x00CA, { 0xA3, 0x00 } }, { 0x00CC, { 0x49, 0xD7 } }, { 0x00CD, { 0x49, 0xDD } },
    { 0x00D2, { 0x4F, 0xDF } }, { 0x00D3, { 0x4F, 0xE3 } }, { 0x00D4, { 0xA4, 0x00 } },
    { 0x00D5, { 0x4F, 0xE2 } }, { 0x00D9, { 0x55, 0xEF } }, { 0x00DA, { 0x55, 0xF3 } },
    { 0x00DD, { 0x59, 0xFD } }, { 0x00E0, { 0xB5, 0x00 } }, { 0x00E1, { 0xB8, 0x00 } },
    { 0x00E2, { 0xA9, 0x00 } }, { 0x00E3, { 0xB7, 0x00 } }, { 0x00E8, { 0xCC, 0x00 } },
    { 0x00E9, { 0xD0, 0x00 } }, { 0x00EA, { 0xAA, 0x00 } }, { 0x00EC, { 0xD7, 0x00 } },
    { 0x00ED, { 0xDD, 0x00 } }, { 0x00F2, { 0xDF, 0x00 } }, { 0x00F3, { 0xE3, 0x00 } },
    { 0x00F4, { 0xAB, 0x00 } }, { 0x00F5, { 0xE2, 0x00 } }, { 0x00F9, { 0xEF, 0x00 } },
    { 0x00FA, { 0xF3, 0x00 } }, { 0x00FD, { 0xFD, 0x00 } }, { 0x0102, { 0xA1, 0x00 } },
    { 0x0103, { 0xA8, 0x00 } }, { 0x0110, { 0xA7, 0x00 } }, { 0x0111, { 0xAE, 0x00 } },
    { 0x0128, { 0x49, 0xDC } }, { 0x0129, { 0xDC, 0x00 } }, { 0x0168, { 0x55, 0xF2 } },
    { 0x0169, { 0xF2, 0x00 } }, { 0x01A0, { 0xA5, 0x00 } }, { 0x01A1, { 0xAC, 0x00 } },
    { 0x01AF, { 0xA6, 0x00 } }, { 0x01B0, { 0xAD, 0x00 } }, { 0x1EA0, { 0x41, 0xB9 } },
    { 0x1EA1, { 0xB9, 0x00 } }, { 0x1EA2, { 0x41, 0xB6 } }, { 0x1EA3, { 0xB6, 0x00 } },
    { 0x1EA4, { 0xA2, 0xCA } }, { 0x1EA5, { 0xCA, 0x00 } }, { 0x1EA6, { 0xA2, 0xC7 } },
    { 0x1EA7, { 0xC7, 0x00 } }, { 0x1EA8, { 0xA2, 0xC8 } }, { 0x1EA9, { 0xC8, 0x00 } },
    { 0x1EAA, { 0xA2, 0xC9 } }, { 0x1EAB, { 0xC9, 0x00 } }, { 0x1EAC, { 0xA2, 0xCB } },
    { 0x1EAD, { 0xCB, 0x00 } }, { 0x1EAE, { 0xA1, 0xBE } }, { 0x1EAF, { 0xBE, 0x00 } },
    { 0x1EB0, { 0xA1, 0xBB } }, { 0x1EB1, { 0xBB, 0x00 } }, { 0x1EB2, { 0xA1, 0xBC } },
    { 0x1EB3, { 0xBC, 0x00 } }, { 0x1EB4, { 0xA1, 0xBD } }, { 0x1EB5, { 0xBD, 0x00 } },
    { 0x1EB6, { 0xA1, 0xC6 } }, { 0x1EB7, { 0xC6, 0x00 } }, { 0x1EB8, { 0x45, 0xD1 } },
    { 0x1EB9, { 0xD1, 0x00 } }, { 0x1EBA, { 0x45, 0xCE } }, { 0x1EBB, { 0xCE, 0x00 } },
    { 0x1EBC, { 0x45, 0xCF } }, { 0x1EBD, { 0xCF, 0x00 } }, { 0x1EBE, { 0xA3, 0xD5 } },
    { 0x1EBF, { 0xD5, 0x00 } }, { 0x1EC0, { 0xA3, 0xD2 } }, { 0x1EC1, { 0xD2, 0x00 } },
    { 0x1EC2, { 0xA3, 0xD3 } }, { 0x1EC3, { 0xD3, 0x00 } }, { 0x1EC4, { 0xA3, 0xD4 } },
    { 0x1EC5, { 0xD4, 0x00 } }, { 0x1EC6, { 0xA3, 0xD6 } }, { 0x1EC7, { 0xD6, 0x00 } },
    { 0x1EC8, { 0x49, 0xD8 } }, { 0x1EC9, { 0xD8, 0x00 } }, { 0x1ECA, { 0x49, 0xDE } },
    { 0x1ECB, { 0xDE, 0x00 } }, { 0x1ECC, { 0x4F, 0xE4 } }, { 0x1ECD, { 0xE4, 0x00 } },
    { 0x1ECE, { 0x4F, 0xE1 } }, { 0x1ECF, { 0xE1, 0x00 } }, { 0x1ED0, { 0xA4, 0xE8 } },
    { 0x1ED1, { 0xE8, 0x00 } }, { 0x1ED2, { 0xA4, 0xE5 } }, { 0x1ED3, { 0xE5, 0x00 } },
    { 0x1ED4, { 0xA4, 0xE6 } }, { 0x1ED5, { 0xE6, 0x00 } }, { 0x1ED6, { 0xA4, 0xE7 } },
    { 0x1ED7, { 0xE7, 0x00 } }, { 0x1ED8, { 0xA4, 0xE9 } }, { 0x1ED9, { 0xE9, 0x00 } },
    { 0x1EDA, { 0xA5, 0xED } }, { 0x1EDB, { 0xED, 0x00 } }, { 0x1EDC, { 0xA5, 0xEA } },
    { 0x1EDD, { 0xEA, 0x00 } }, { 0x1EDE, { 0xA5, 0xEB } }, { 0x1EDF, { 0xEB, 0x00 } },
    { 0x1EE0, { 0xA5, 0xEC } }, { 0x1EE1, { 0xEC, 0x00 } }, { 0x1EE2, { 0xA5, 0xEE } },
    { 0x1EE3, { 0xEE, 0x00 } }, { 0x1EE4, { 0x55, 0xF4 } }, { 0x1EE5, { 0xF4, 0x00 } },
    { 0x1EE6, { 0x55, 0xF1 } }, { 0x1EE7, { 0xF1, 0x00 } }, { 0x1EE8, { 0xA6, 0xF8 } },
    { 0x1EE9, { 0xF8, 0x00 } }, { 0x1EEA, { 0xA6, 0xF5 } }, { 0x1EEB, { 0xF5, 0x00 } },
    { 0x1EEC, { 0xA6, 0xF6 } }, { 0x1EED, { 0xF6, 0x00 } }, { 0x1EEE, { 0xA6, 0xF7 } },
    { 0x1EEF, { 0xF7, 0x00 } }, { 0x1EF0, { 0xA6, 0xF9 } }, { 0x1EF1, { 0xF9, 0x00 } },
    { 0x1EF2, { 0x59, 0xFA } }, { 0x1EF3, { 0xFA, 0x00 } }, { 0x1EF4, { 0x59, 0xFE } },
    { 0x1EF5, { 0xFE, 0x00 } }, { 0x1EF6, { 0x59, 0xFB } }, { 0x1EF7, { 0xFB, 0x00 } },
    { 0x1EF8, { 0x59, 0xFC } }, { 0x1EF9, { 0xFC, 0x00 } },
};
/* clang-format off */
/* VNI-Windows single bytes 0x80-0xFF: the table's one-byte letters, else Windows-1252; 0 = undefined. */
static const uint16_t vni_hi[128] = {
    /* 0x80 */ 0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    /* 0x88 */ 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x0000, 0x017D, 0x0000,
    /* 0x90 */ 0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    /* 0x98 */ 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x0000, 0x017E, 0x0178,
    /* 0xA0 */ 0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
    /* 0xA8 */ 0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
    /* 0xB0 */ 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
    /* 0xB8 */ 0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,
    /* 0xC0 */ 0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x1EC8, 0x00C7,
    /* 0xC8 */ 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x1EF4, 0x00CF,
    /* 0xD0 */ 0x00D0, 0x0110, 0x1ECA, 0x0128, 0x01A0, 0x00D5, 0x01AF, 0x00D7,
    /* 0xD8 */ 0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF,
    /* 0xE0 */ 0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x1EC9, 0x00E7,
    /* 0xE8 */ 0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x1EF5, 0x00EF,
    /* 0xF0 */ 0x00F0, 0x0111, 0x1ECB, 0x0129, 0x01A1, 0x00F5, 0x01B0, 0x00F7,
    /* 0xF8 */ 0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF,
};
/* clang-format on */
/* VNI-Windows two-byte letters, sorted by key. */
static const struct vni_pair vni_pairs[116] = {
    { 0x41C0, 0x1EA6 }, { 0x41C1, 0x1EA4 }, { 0x41C2, 0x00C2 }, { 0x41C3, 0x1EAA },
    { 0x41C4, 0x1EAC }, { 0x41C5, 0x1EA8 }, { 0x41C8, 0x1EB0 }, { 0x41C9, 0x1EAE },
    { 0x41CA, 0x0102 }, { 0x41CB, 0x1EB6 }, { 0x41CF, 0x1EA0 }, { 0x41D5, 0x00C3 },
    { 0x41D8, 0x00C0 }, { 0x41D9, 0x00C1 }, { 0x41DA, 0x1EB2 }, { 0x41DB, 0x1EA2 },
    { 0x41DC, 0x1EB4 }, { 0x45C0, 0x1EC0 }, { 0x45C1, 0x1EBE }, { 0x45C2, 0x00CA },
    { 0x45C3, 0x1EC4 }, { 0x45C4, 0x1EC6 }, { 0x45C5, 0x1EC2 }, { 0x45CF, 0x1EB8 },
    { 0x45D5, 0x1EBC }, { 0x45D8, 0x00C8 }, { 0x45D9, 0x00C9 }, { 0x45DB, 0x1EBA },
    { 0x4FC0, 0x1ED2 }, { 0x4FC1, 0x1ED0 }, { 0x4FC2, 0x00D4 }, { 0x4FC3, 0x1ED6 },
    { 0x4FC4, 0x1ED8 }, { 0x4FC5, 0x1ED4 }, { 0x4FCF, 0x1ECC }, { 0x4FD5, 0x00D5 },
    { 0x4FD8, 0x00D2 }, { 0x4FD9, 0x00D3 }, { 0x4FDB, 0x1ECE }, { 0x55CF, 0x1EE4 },
    { 0x55D5, 0x0168 }, { 0x55D8, 0x00D9 }, { 0x55D9, 0x00DA }, { 0x55DB, 0x1EE6 },
    { 0x59D5, 0x1EF8 }, { 0x59D8, 0x1EF2 }, { 0x59D9, 0x00DD }, { 0x59DB, 0x1EF6 },
    { 0x61E0, 0x1EA7 }, { 0x61E1, 0x1EA5 }, { 0x61E2, 0x00E2 }, { 0x61E3, 0x1EAB },
    { 0x61E4, 0x1EAD }, { 0x61E5, 0x1EA9 }, { 0x61E8, 0x1EB1 }, { 0x61E9, 0x1EAF },
    { 0x61EA, 0x0103 }, { 0x61EB, 0x1EB7 }, { 0x61EF, 0x1EA1 }, { 0x61F5, 0x00E3 },
    { 0x61F8, 0x00E0 }, { 0x61F9, 0x00E1 }, { 0x61FA, 0x1EB3 }, { 0x61FB, 0x1EA3 },
    { 0x61FC, 0x1EB5 }, { 0x65E0, 0x1EC1 }, { 0x65E1, 0x1EBF }, { 0x65E2, 0x00EA },
    { 0x65E3, 0x1EC5 }, { 0x65E4, 0x1EC7 }, { 0x65E5, 0x1EC3 }, { 0x65EF, 0x1EB9 },
    { 0x65F5, 0x1EBD }, { 0x65F8, 0x00E8 }, { 0x65F9, 0x00E9 }, { 0x65FB, 0x1EBB },
    { 0x6FE0, 0x1ED3 }, { 0x6FE1, 0x1ED1 }, { 0x6FE2, 0x00F4 }, { 0x6FE3, 0x1ED7 },
    { 0x6FE4, 0x1ED9 }, { 0x6FE5, 0x1ED5 }, { 0x6FEF, 0x1ECD }, { 0x6FF5, 0x00F5 },
    { 0x6FF8, 0x00F2 }, { 0x6FF9, 0x00F3 }, { 0x6FFB, 0x1ECF }, { 0x75EF, 0x1EE5 },
    { 0x75F5, 0x0169 }, { 0x75F8, 0x00F9 }, { 0x75F9, 0x00FA }, { 0x75FB, 0x1EE7 },
    { 0x79F5, 0x1EF9 }, { 0x79F8, 0x1EF3 }, { 0x79F9, 0x00FD }, { 0x79FB, 0x1EF7 },
    { 0xD4CF, 0x1EE2 }, { 0xD4D5, 0x1EE0 }, { 0xD4D8, 0x1EDC }, { 0xD4D9, 0x1EDA },
    { 0xD4DB, 0x1EDE }, { 0xD6CF, 0x1EF0 }, { 0xD6D5, 0x1EEE }, { 0xD6D8, 0x1EEA },
    { 0xD6D9, 0x1EE8 }, { 0xD6DB, 0x1EEC }, { 0xF4EF, 0x1EE3 }, { 0xF4F5, 0x1EE1 },
    { 0xF4F8, 0x1EDD }, { 0xF4F9, 0x1EDB }, { 0xF4FB, 0x1EDF }, { 0xF6EF, 0x1EF1 },
    { 0xF6F5, 0x1EEF }, { 0xF6F8, 0x1EEB }, { 0xF6F9, 0x1EE9 }, { 0xF6FB, 0x1EED },
};
/* clang-format off */
/* CP1258 (glibc charmap) 0x80-0xFF; 0 = undefined. 0xCC 0xD2 0xDE 0xEC 0xF2 are combining tones. */
static const uint16_t cp1258_hi[128] = {
    /* 0x80 */ 0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    /* 0x88 */ 0x02C6, 0x2030, 0x0000, 0x2039, 0x0152, 0x0000, 0x0000, 0x0000,
    /* 0x90 */ 0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    /* 0x98 */ 0x02DC, 0x2122, 0x0000, 0x203A, 0x0153, 0x0000, 0x0000, 0x0178,
    /* 0xA0 */ 0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
    /* 0xA8 */ 0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
    /* 0xB0 */ 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
    /* 0xB8 */ 0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,
    /* 0xC0 */ 0x00C0, 0x00C1, 0x00C2, 0x0102, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
    /* 0xC8 */ 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x0300, 0x00CD, 0x00CE, 0x00CF,
    /* 0xD0 */ 0x0110, 0x00D1, 0x0309, 0x00D3, 0x00D4, 0x01A0, 0x00D6, 0x00D7,
    /* 0xD8 */ 0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x01AF, 0x0303, 0x00DF,
    /* 0xE0 */ 0x00E0, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
    /* 0xE8 */ 0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x0301, 0x00ED, 0x00EE, 0x00EF,
    /* 0xF0 */ 0x0111, 0x00F1, 0x0323, 0x00F3, 0x00F4, 0x01A1, 0x00F6, 0x00F7,
    /* 0xF8 */ 0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x01B0, 0x20AB, 0x00FF,
};
/* VISCII (glibc charmap): six C0 positions hold capitals. */
static const uint16_t viscii_c0[32] = {
    /* 0x00 */ 0x0000, 0x0001, 0x1EB2, 0x0003, 0x0004, 0x1EB4, 0x1EAA, 0x0007,
    /* 0x08 */ 0x0008, 0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x000E, 0x000F,
    /* 0x10 */ 0x0010, 0x0011, 0x0012, 0x0013, 0x1EF6, 0x0015, 0x0016, 0x0017,
    /* 0x18 */ 0x0018, 0x1EF8, 0x001A, 0x001B, 0x001C, 0x001D, 0x1EF4, 0x001F,
};
static const uint16_t viscii_hi[128] = {
    /* 0x80 */ 0x1EA0, 0x1EAE, 0x1EB0, 0x1EB6, 0x1EA4, 0x1EA6, 0x1EA8, 0x1EAC,
    /* 0x88 */ 0x1EBC, 0x1EB8, 0x1EBE, 0x1EC0, 0x1EC2, 0x1EC4, 0x1EC6, 0x1ED0,
    /* 0x90 */ 0x1ED2, 0x1ED4, 0x1ED6, 0x1ED8, 0x1EE2, 0x1EDA, 0x1EDC, 0x1EDE,
    /* 0x98 */ 0x1ECA, 0x1ECE, 0x1ECC, 0x1EC8, 0x1EE6, 0x0168, 0x1EE4, 0x1EF2,
    /* 0xA0 */ 0x00D5, 0x1EAF, 0x1EB1, 0x1EB7, 0x1EA5, 0x1EA7, 0x1EA9, 0x1EAD,
    /* 0xA8 */ 0x1EBD, 0x1EB9, 0x1EBF, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EC7, 0x1ED1,
    /* 0xB0 */ 0x1ED3, 0x1ED5, 0x1ED7, 0x1EE0, 0x01A0, 0x1ED9, 0x1EDD, 0x1EDF,
    /* 0xB8 */ 0x1ECB, 0x1EF0, 0x1EE8, 0x1EEA, 0x1EEC, 0x01A1, 0x1EDB, 0x01AF,
    /* 0xC0 */ 0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x1EA2, 0x0102, 0x1EB3, 0x1EB5,
    /* 0xC8 */ 0x00C8, 0x00C9, 0x00CA, 0x1EBA, 0x00CC, 0x00CD, 0x0128, 0x1EF3,
    /* 0xD0 */ 0x0110, 0x1EE9, 0x00D2, 0x00D3, 0x00D4, 0x1EA1, 0x1EF7, 0x1EEB,
    /* 0xD8 */ 0x1EED, 0x00D9, 0x00DA, 0x1EF9, 0x1EF5, 0x00DD, 0x1EE1, 0x01B0,
    /* 0xE0 */ 0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x1EA3, 0x0103, 0x1EEF, 0x1EAB,
    /* 0xE8 */ 0x00E8, 0x00E9, 0x00EA, 0x1EBB, 0x00EC, 0x00ED, 0x0129, 0x1EC9,
    /* 0xF0 */ 0x0111, 0x1EF1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x1ECF, 0x1ECD,
    /* 0xF8 */ 0x1EE5, 0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x00FD, 0x1EE3, 0x1EEE,
};
/* clang-format on */
/* The 134 precomposed Vietnamese letters, sorted by code point, for detection. */
static const struct viet_letter viet_letters[134] = {
    { 0x00C0, 0, 1, 1 },  { 0x00C1, 0, 2, 1 },  { 0x00C2, 2, 0, 1 },  { 0x00C3, 0, 4, 1 },
    { 0x00C8, 3, 1, 1 },  { 0x00C9, 3, 2, 1 },  { 0x00CA, 4, 0, 1 },  { 0x00CC, 5, 1, 1 },
    { 0x00CD, 5, 2, 1 },  { 0x00D2, 6, 1, 1 },  { 0x00D3, 6, 2, 1 },  { 0x00D4, 7, 0, 1 },
    { 0x00D5, 6, 4, 1 },  { 0x00D9, 9, 1, 1 },  { 0x00DA, 9, 2, 1 },  { 0x00DD, 11, 2, 1 },
    { 0x00E0, 0, 1, 0 },  { 0x00E1, 0, 2, 0 },  { 0x00E2, 2, 0, 0 },  { 0x00E3, 0, 4, 0 },
    { 0x00E8, 3, 1, 0 },  { 0x00E9, 3, 2, 0 },  { 0x00EA, 4, 0, 0 },  { 0x00EC, 5, 1, 0 },
    { 0x00ED, 5, 2, 0 },  { 0x00F2, 6, 1, 0 },  { 0x00F3, 6, 2, 0 },  { 0x00F4, 7, 0, 0 },
    { 0x00F5, 6, 4, 0 },  { 0x00F9, 9, 1, 0 },  { 0x00FA, 9, 2, 0 },  { 0x00FD, 11, 2, 0 },
    { 0x0102, 1, 0, 1 },  { 0x0103, 1, 0, 0 },  { 0x0110, 12, 0, 1 }, { 0x0111, 12, 0, 0 },
    { 0x0128, 5, 4, 1 },  { 0x0129, 5, 4, 0 },  { 0x0168, 9, 4, 1 },  { 0x0169, 9, 4, 0 },
    { 0x01A0, 8, 0, 1 },  { 0x01A1, 8, 0, 0 },  { 0x01AF, 10, 0, 1 }, { 0x01B0, 10, 0, 0 },
    { 0x1EA0, 0, 5, 1 },  { 0x1EA1, 0, 5, 0 },  { 0x1EA2, 0, 3, 1 },  { 0x1EA3, 0, 3, 0 },
    { 0x1EA4, 2, 2, 1 },  { 0x1EA5, 2, 2, 0 },  { 0x1EA6, 2, 1, 1 },  { 0x1EA7, 2, 1, 0 },
    { 0x1EA8, 2, 3, 1 },  { 0x1EA9, 2, 3, 0 },  { 0x1EAA, 2, 4, 1 },  { 0x1EAB, 2, 4, 0 },
    { 0x1EAC, 2, 5, 1 },  { 0x1EAD, 2, 5, 0 },  { 0x1EAE, 1, 2, 1 },  { 0x1EAF, 1, 2, 0 },
    { 0x1EB0, 1, 1, 1 },  { 0x1EB1, 1, 1, 0 },  { 0x1EB2, 1, 3, 1 },  { 0x1EB3, 1, 3, 0 },
    { 0x1EB4, 1, 4, 1 },  { 0x1EB5, 1, 4, 0 },  { 0x1EB6, 1, 5, 1 },  { 0x1EB7, 1, 5, 0 },
    { 0x1EB8, 3, 5, 1 },  { 0x1EB9, 3, 5, 0 },  { 0x1EBA, 3, 3, 1 },  { 0x1EBB, 3, 3, 0 },
    { 0x1EBC, 3, 4, 1 },  { 0x1EBD, 3, 4, 0 },  { 0x1EBE, 4, 2, 1 },  { 0x1EBF, 4, 2, 0 },
    { 0x1EC0, 4, 1, 1 },  { 0x1EC1, 4, 1, 0 },  { 0x1EC2, 4, 3, 1 },  { 0x1EC3, 4, 3, 0 },
    { 0x1EC4, 4, 4, 1 },  { 0x1EC5, 4, 4, 0 },  { 0x1EC6, 4, 5, 1 },  { 0x1EC7, 4, 5, 0 },
    { 0x1EC8, 5, 3, 1 },  { 0x1EC9, 5, 3, 0 },  { 0x1ECA, 5, 5, 1 },  { 0x1ECB, 5, 5, 0 },
    { 0x1ECC, 6, 5, 1 },  { 0x1ECD, 6, 5, 0 },  { 0x1ECE, 6, 3, 1 },  { 0x1ECF, 6, 3, 0 },
    { 0x1ED0, 7, 2, 1 },  { 0x1ED1, 7, 2, 0 },  { 0x1ED2, 7, 1, 1 },  { 0x1ED3, 7, 1, 0 },
    { 0x1ED4, 7, 3, 1 },  { 0x1ED5, 7, 3, 0 },  { 0x1ED6, 7, 4, 1 },  { 0x1ED7, 7, 4, 0 },
    { 0x1ED8, 7, 5, 1 },  { 0x1ED9, 7, 5, 0 },  { 0x1EDA, 8, 2, 1 },  { 0x1EDB, 8, 2, 0 },
    { 0x1EDC, 8, 1, 1 },  { 0x1EDD, 8, 1, 0 },  { 0x1EDE, 8, 3, 1 },  { 0x1EDF, 8, 3, 0 },
    { 0x1EE0, 8, 4, 1 },  { 0x1EE1, 8, 4, 0 },  { 0x1EE2, 8, 5, 1 },  { 0x1EE3, 8, 5, 0 },
    { 0x1EE4, 9, 5, 1 },  { 0x1EE5, 9, 5, 0 },  { 0x1EE6, 9, 3, 1 },  { 0x1EE7, 9, 3, 0 },
    { 0x1EE8, 10, 2, 1 }, { 0x1EE9, 10, 2, 0 }, { 0x1EEA, 10, 1, 1 }, { 0x1EEB, 10, 1, 0 },
    { 0x1EEC, 10, 3, 1 }, { 0x1EED, 10, 3, 0 }, { 0x1EEE, 10, 4, 1 }, { 0x1EEF, 10, 4, 0 },
    { 0x1EF0, 10, 5, 1 }, { 0x1EF1, 10, 5, 0 }, { 0x1EF2, 11, 1, 1 }, { 0x1EF3, 11, 1, 0 },
    { 0x1EF4, 11, 5, 1 }, { 0x1EF5, 11, 5, 0 }, { 0x1EF6, 11, 3, 1 }, { 0x1EF7, 11, 3, 0 },
    { 0x1EF8, 11, 4, 1 }, { 0x1EF9, 11, 4, 0 },
};

/* Syllable skeletons hold one ASCII byte per letter, lower case, tone dropped: plain letters as
 * themselves and W = ă, A = â, E = ê, O = ô, P = ơ, U = ư, D = đ (skel_base is indexed by
 * viet_letter.base). */
static const char skel_base[] = "aWAeEioOPuUyD";
#define SKEL_VOWELS     "aWAeEioOPuUy"
#define SKEL_CONSONANTS "bcdfghjklmnpqrstvwxzD"

/* Vowel nuclei of Vietnamese syllables, in skeleton letters ("UPi" = ươi). */
static const char *const nuclei[] = {
    "a",   "W",   "A",   "e",   "E",   "i",   "o",   "O",   "P",   "u",   "U",   "y",   "ai",  "ao",
    "au",  "ay",  "Au",  "Ay",  "eo",  "Eu",  "ia",  "iE",  "iu",  "oa",  "oW",  "oe",  "oi",  "oo",
    "Oi",  "Pi",  "ua",  "uA",  "uE",  "ui",  "uO",  "uP",  "uy",  "Ua",  "Ui",  "UP",  "Uu",  "yE",
    "iEu", "yEu", "oai", "oao", "oay", "oeo", "uAy", "uOi", "UPi", "UPu", "uya", "uyE", "uyu",
};
/* Final consonants ("k" for minority place names such as Đắk Lắk). */
static const char *const finals[] = { "", "c", "ch", "m", "n", "ng", "nh", "p", "t", "k" };

#define SCORE_GOOD 2  /* a plausible Vietnamese syllable with a non-ASCII letter */
#define SCORE_BAD  -3 /* letters that do not make a Vietnamese syllable */
#define SCORE_JUNK -4 /* a word holding a symbol, U+FFFD or a stray combining mark */

/* bsearch comparator for tables whose first member is a uint16_t key. */
static int
cmp_key16(const void *a, const void *b)
{
    uint16_t x, y;

    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}

static const struct viet_letter *
find_letter(uint32_t cp)
{
    uint16_t key = (uint16_t)cp;

    if (cp < 0xC0 || cp > 0xFFFF)
        return NULL;
    return bsearch(&key, viet_letters, LR_ARRAY_LEN(viet_letters), sizeof viet_letters[0],
                   cmp_key16);
}

/* Decode one UTF-8 sequence at s (n > 0 bytes left) into *cp; returns the bytes consumed. An
 * ill-formed sequence consumes its maximal valid prefix (at least 1 byte), gives U+FFFD and
 * clears *ok (Unicode's "maximal subpart" practice). Never reads past s[n - 1]. */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp, bool *ok)
{
    unsigned char b = s[0], lo = 0x80, hi = 0xBF;
    size_t len, i;
    uint32_t c;

    *ok = true;
    *cp = b;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        c = b & 0x0F;
        lo = b == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = b == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        c = b & 0x07;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        len = 0;
        c = 0;
    }
    for (i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi)
            break;
        c = (c << 6) | (s[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    if (len == 0 || i < len) {
        *ok = false;
        *cp = 0xFFFD;
        return i > 1 ? i : 1;
    }
    *cp = c;
    return len;
}

struct dec {
    struct lr_buf *out;
    size_t n_invalid;
    bool need_nfc; /* a code point NFC may change was written */
    enum lr_rc rc;
};

/* Append code point cp (< 0x110000, not a surrogate) as UTF-8. */
static void
put_cp(struct dec *d, uint32_t cp)
{
    char u[4];
    size_t n;

    if (d->rc != LR_OK)
        return;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    /* Everything below U+0300 and the precomposed Latin block U+1E00-U+1EFF is already NFC and
     * cannot combine with what precedes it. */
    if (cp >= 0x300 && !(cp >= 0x1E00 && cp <= 0x1EFF))
        d->need_nfc = true;
    d->rc = lr_buf_add(d->out, u, n);
}

/* Append a table value; 0 marks a byte the encoding leaves undefined. */
static void
put_mapped(struct dec *d, uint32_t cp)
{
    if (cp == 0) {
        d->n_invalid++;
        cp = 0xFFFD;
    }
    put_cp(d, cp);
}

static void
decode_tcvn3(struct dec *d, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && d->rc == LR_OK; i++) {
        unsigned b = s[i];

        if (i + 1 < n && s[i + 1] >= 0x80) {
            const struct tcvn3_pair *p = &tcvn3_pairs[s[i + 1] - 0x80];

            if (p->cp && p->first == b) {
                put_cp(d, p->cp);
                i++;
                continue;
            }
        }
        if (b < 0x20)
            put_cp(d, tcvn3_c0[b]);
        else if (b < 0x80)
            put_cp(d, b);
        else
            put_mapped(d, tcvn3_hi[b - 0x80]);
    }
}

static void
decode_vni(struct dec *d, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && d->rc == LR_OK; i++) {
        unsigned b = s[i];

        if (i + 1 < n && s[i + 1] >= 0xC0) {
            uint16_t key = (uint16_t)(b << 8 | s[i + 1]);
            const struct vni_pair *p =
                bsearch(&key, vni_pairs, LR_ARRAY_LEN(vni_pairs), sizeof vni_pairs[0], cmp_key16);

            if (p) {
                put_cp(d, p->cp);
                i++;
                continue;
            }
        }
        if (b < 0x80)
            put_cp(d, b);
        else
            put_mapped(d, vni_hi[b - 0x80]);
    }
}

/* One byte, one table entry: CP1258 (combining tones are composed by NFC later) and VISCII. */
static void
decode_single(struct dec *d, const unsigned char *s, size_t n, const uint16_t *c0,
              const uint16_t *hi)
{
    size_t i;

    for (i = 0; i < n && d->rc == LR_OK; i++) {
        unsigned b = s[i];

        if (b < 0x20 && c0)
            put_cp(d, c0[b]);
        else if (b < 0x80)
            put_cp(d, b);
        else
            put_mapped(d, hi[b - 0x80]);
    }
}

static void
decode_utf8(struct dec *d, const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    bool ok;

    while (i < n && d->rc == LR_OK) {
        i += utf8_next(s + i, n - i, &cp, &ok);
        if (!ok)
            d->n_invalid++;
        put_cp(d, cp);
    }
}

/* Replace the (valid UTF-8) content of b by its NFC form. */
static enum lr_rc
nfc_in_place(struct lr_buf *b)
{
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t len;
    enum lr_rc rc;

    len = utf8proc_map((const utf8proc_uint8_t *)b->data, (utf8proc_ssize_t)b->len, &nfc,
                       UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (len < 0) /* the decoders write valid UTF-8 only: memory is all that can fail */
        return LR_ERR_NOMEM;
    lr_buf_reset(b);
    rc = lr_buf_add(b, (const char *)nfc, (size_t)len);
    free(nfc);
    return rc;
}

/* Only bytes 0x20-0x7F: text every encoding reads as itself (no C0 letters of TCVN3 or VISCII,
 * no lead bytes of pairs, nothing to compose). */
static bool
printable_ascii(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] >= 0x80)
            return false;
    return true;
}

enum lr_rc
lr_text_decode(enum lr_encoding enc, const char *bytes, size_t n, struct lr_buf *out,
               size_t *n_invalid)
{
    const unsigned char *s = (const unsigned char *)bytes;
    struct dec d = { out, 0, false, LR_OK };

    assert(enc != LR_ENC_AUTO);
    assert(bytes || n == 0);
    lr_buf_reset(out);
    if (printable_ascii(s, n)) { /* every decoder maps these bytes to themselves; already NFC */
        if (n_invalid)
            *n_invalid = 0;
        return lr_buf_add(out, bytes, n); /* out->data is "" for empty input, never NULL */
    }
    d.rc = lr_buf_add(out, "", 0); /* out->data is "" for empty input, never NULL */
    switch (enc) {
    case LR_ENC_TCVN3:
        decode_tcvn3(&d, s, n);
        break;
    case LR_ENC_VNI:
        decode_vni(&d, s, n);
        break;
    case LR_ENC_CP1258:
        decode_single(&d, s, n, NULL, cp1258_hi);
        break;
    case LR_ENC_VISCII:
        decode_single(&d, s, n, viscii_c0, viscii_hi);
        break;
    case LR_ENC_UTF8:
    case LR_ENC_AUTO: /* a caller's bug (see text.h): read as UTF-8 in release builds */
    default:
        decode_utf8(&d, s, n);
        break;
    }
    if (d.rc == LR_OK && d.need_nfc)
        d.rc = nfc_in_place(out);
    if (n_invalid)
        *n_invalid = d.n_invalid;
    return d.rc;
}

/* Append the TCVN3 bytes of code point cp, or '?'. */
static enum lr_rc
put_tcvn3(struct lr_buf *out, uint32_t cp)
{
    const struct tcvn3_code *c;
    uint16_t key = (uint16_t)cp;

    if (cp < 0x20)
        return lr_buf_addc(out, tcvn3_c0[cp] == cp ? (char)cp : '?');
    if (cp < 0x80)
        return lr_buf_addc(out, (char)cp);
    if (cp > 0xFFFF)
        return lr_buf_addc(out, '?');
    c = bsearch(&key, tcvn3_codes, LR_ARRAY_LEN(tcvn3_codes), sizeof tcvn3_codes[0], cmp_key16);
    if (!c)
        return lr_buf_addc(out, '?');
    return lr_buf_add(out, (const char *)c->b, c->b[1] ? 2 : 1);
}

enum lr_rc
lr_text_encode_tcvn3(const char *s, struct lr_buf *out)
{
    enum lr_rc rc = LR_OK;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t len;
    const unsigned char *p;
    size_t i = 0, n;
    uint32_t cp;
    bool ok;

    lr_buf_reset(out);
    rc = lr_buf_add(out, "", 0);
    if (rc != LR_OK || !s)
        goto out;
    /* The input should be NFC already; normalise anyway so decomposed letters encode too. */
    len = utf8proc_map((const utf8proc_uint8_t *)s, 0, &nfc,
                       UTF8PROC_NULLTERM | UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (len == UTF8PROC_ERROR_NOMEM) {
        rc = LR_ERR_NOMEM;
        goto out;
    }
    p = len >= 0 ? nfc : (const unsigned char *)s; /* invalid UTF-8: bad bytes become '?' */
    n = len >= 0 ? (size_t)len : strlen(s);
    while (i < n && rc == LR_OK) {
        i += utf8_next(p + i, n - i, &cp, &ok);
        rc = put_tcvn3(out, ok ? cp : 0xFFFD);
    }
out:
    free(nfc);
    return rc;
}

char *
lr_text_nfc(const char *s)
{
    if (!s)
        return NULL;
    return (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
}

/* ---- detection ---- */

/* One word of decoded text being scored. */
struct word {
    char skel[16];     /* syllable skeleton (see skel_base) */
    size_t n_letters;  /* letters seen, also past the skeleton's capacity */
    int tones;         /* letters carrying a tone mark */
    bool non_ascii;    /* holds something outside ASCII: the word is scored */
    bool junk;         /* holds something that is not a letter */
    bool lower;        /* holds a lowercase letter */
    bool upper_inside; /* holds a non-ASCII capital after its first letter */
};

static bool
is_separator(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
    return cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F); /* NBSP, general punctuation */
}

/* Add code point cp (not a separator) to w; counts Vietnamese letters in *n_viet. */
static void
word_add(struct word *w, uint32_t cp, size_t *n_viet)
{
    const struct viet_letter *v = NULL;
    bool upper;
    char c;

    if (cp < 0x80) {
        upper = cp < 'a';
        c = (char)(cp | 0x20);
    } else if ((v = find_letter(cp)) != NULL) {
        upper = v->upper;
        c = skel_base[v->base];
        w->tones += v->tone != 0;
        w->non_ascii = true;
        (*n_viet)++;
    } else {
        w->non_ascii = w->junk = true;
        return;
    }
    if (!upper)
        w->lower = true;
    else if (w->n_letters > 0 && v)
        w->upper_inside = true;
    if (w->n_letters < sizeof w->skel - 1) {
        w->skel[w->n_letters] = c;
        w->skel[w->n_letters + 1] = '\0';
    }
    w->n_letters++;
}

static bool
in_list(const char *s, size_t n, const char *const *list, size_t n_list)
{
    size_t i;

    for (i = 0; i < n_list; i++)
        if (strlen(list[i]) == n && strncmp(list[i], s, n) == 0)
            return true;
    return false;
}

/* Initial consonants, a vowel nucleus, a final: does skeleton s make a Vietnamese syllable? */
static bool
syllable_ok(const char *s)
{
    size_t i = strspn(s, SKEL_CONSONANTS);
    size_t v = strspn(s + i, SKEL_VOWELS);
    const char *fin = s + i + v;

    if (i > 3 || v == 0 || !in_list(fin, strlen(fin), finals, LR_ARRAY_LEN(finals)))
        return false;
    if (in_list(s + i, v, nuclei, LR_ARRAY_LEN(nuclei)))
        return true;
    /* the u of "qu" and the i of "gi" belong to the initial */
    if (i > 0 && v > 1 && ((s[i - 1] == 'q' && s[i] == 'u') || (s[i - 1] == 'g' && s[i] == 'i')))
        return in_list(s + i + 1, v - 1, nuclei, LR_ARRAY_LEN(nuclei));
    return false;
}

static long
word_score(const struct word *w)
{
    if (!w->non_ascii)
        return 0;
    if (w->junk)
        return SCORE_JUNK;
    if (w->n_letters >= sizeof w->skel - 1 || w->tones > 1 || (w->upper_inside && w->lower) ||
        !syllable_ok(w->skel))
        return SCORE_BAD;
    return SCORE_GOOD;
}

/* Score decoded NFC UTF-8 text s of n bytes, word by word. */
static long
text_score(const char *s, size_t n, size_t *n_viet)
{
    const unsigned char *u = (const unsigned char *)s;
    struct word w;
    long score = 0;
    size_t i = 0;
    uint32_t cp;
    bool ok;

    memset(&w, 0, sizeof w);
    while (i < n) {
        i += utf8_next(u + i, n - i, &cp, &ok);
        if (ok && is_separator(cp)) {
            score += word_score(&w);
            memset(&w, 0, sizeof w);
        } else {
            word_add(&w, cp, n_viet);
        }
    }
    return score + word_score(&w);
}

static bool
all_ascii(const char *const *values, size_t n_values)
{
    size_t i;
    const unsigned char *p;

    for (i = 0; i < n_values; i++)
        for (p = (const unsigned char *)values[i]; p && *p; p++)
            if (*p >= 0x80)
                return false;
    return true;
}

enum lr_encoding
lr_text_detect(const char *const *values, size_t n_values, bool *ambiguous)
{
    static const enum lr_encoding cand[] = { LR_ENC_UTF8, LR_ENC_TCVN3, LR_ENC_VNI, LR_ENC_CP1258,
                                             LR_ENC_VISCII };
    long score[LR_ARRAY_LEN(cand)] = { 0 };
    size_t c, i, best = 0, second = 1, n_bad, utf8_bad = 0, utf8_viet = 0, n_viet;
    struct lr_buf buf;
    bool amb = false;

    if (all_ascii(values, n_values))
        goto out;
    lr_buf_init(&buf);
    for (c = 0; c < LR_ARRAY_LEN(cand); c++) {
        for (i = 0; i < n_values; i++) {
            if (!values[i] ||
                lr_text_decode(cand[c], values[i], strlen(values[i]), &buf, &n_bad) != LR_OK)
                continue;
            n_viet = 0;
            score[c] += text_score(buf.data, buf.len, &n_viet);
            if (cand[c] == LR_ENC_UTF8) {
                utf8_bad += n_bad;
                utf8_viet += n_viet;
            }
        }
    }
    lr_buf_release(&buf);
    if (utf8_bad == 0 && utf8_viet > 0)
        goto out; /* valid UTF-8 with Vietnamese letters */
    for (c = 1; c < LR_ARRAY_LEN(cand); c++) {
        if (score[c] > score[best]) {
            second = best;
            best = c;
        } else if (c != second && score[c] > score[second]) {
            second = c;
        }
    }
    /* too close to call: within one and a half words, or within 1/8 of the best */
    amb = score[best] <= 0 || score[best] - score[second] < 3 + score[best] / 8;
out:
    if (ambiguous)
        *ambiguous = amb;
    return cand[best];
}
