/* journal_format.c — file header and record framing (journal_format.h). */
#include <string.h>

#include "crc32c.h"
#include "journal_format.h"

void wqi_le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t wqi_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void wqi_journal_header_write(uint8_t out[WQI_JOURNAL_FILE_HEADER])
{
    memcpy(out, WQI_JOURNAL_MAGIC, 8);
    out[8] = (uint8_t)WQI_JOURNAL_VERSION;
    out[9] = (uint8_t)(WQI_JOURNAL_VERSION >> 8);
    out[10] = 0;
    out[11] = 0;
    wqi_le32_put(out + 12, wqi_crc32c(out, 12));
}

wqi_jhdr_status wqi_journal_header_check(const uint8_t *p, size_t n, unsigned *version)
{
    *version = 0;
    if (n < WQI_JOURNAL_FILE_HEADER) {
        return WQI_JHDR_SHORT;
    }
    if (memcmp(p, WQI_JOURNAL_MAGIC, 8) != 0 || wqi_le32_get(p + 12) != wqi_crc32c(p, 12)) {
        return WQI_JHDR_NOT_JOURNAL;
    }
    *version = (unsigned)p[8] | ((unsigned)p[9] << 8);
    /* A flag we do not know changes the meaning of what follows. */
    if (*version > WQI_JOURNAL_VERSION || p[10] != 0 || p[11] != 0) {
        return WQI_JHDR_NEWER;
    }
    return WQI_JHDR_OK;
}

void wqi_jrec_header(uint8_t out[WQI_JREC_HEADER], uint8_t type, uint8_t flags,
                     const void *const *p, const size_t *len, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += len[i];
    }
    wqi_le32_put(out + 4, (uint32_t)total);
    out[8] = type;
    out[9] = flags;
    out[10] = 0;
    out[11] = 0;
    uint32_t crc = wqi_crc32c(out + 4, WQI_JREC_HEADER - 4);
    for (size_t i = 0; i < n; i++) {
        crc = wqi_crc32c_extend(crc, p[i], len[i]);
    }
    wqi_le32_put(out, crc);
}

wqi_jrec_status wqi_jrec_decode(const uint8_t *p, size_t n, wqi_jrec *out, size_t *used)
{
    *used = 0;
    if (n < WQI_JREC_HEADER) {
        return WQI_JREC_SHORT;
    }
    uint32_t len = wqi_le32_get(p + 4);
    /* Type 0 is never written: a run of zeros is not a record. */
    if (len > WQI_JREC_MAX_BODY || p[8] == 0 || (p[9] & ~WQI_JREC_OPTIONAL) != 0 || p[10] != 0 ||
        p[11] != 0) {
        return WQI_JREC_BAD;
    }
    if ((uint64_t)len > (uint64_t)(n - WQI_JREC_HEADER)) {
        return WQI_JREC_SHORT;
    }
    if (wqi_crc32c(p + 4, WQI_JREC_HEADER - 4 + (size_t)len) != wqi_le32_get(p)) {
        return WQI_JREC_BAD;
    }
    out->type = p[8];
    out->flags = p[9];
    out->body = p + WQI_JREC_HEADER;
    out->len = len;
    *used = WQI_JREC_HEADER + (size_t)len;
    return WQI_JREC_OK;
}

int wqi_jrec_valid_record_after(const uint8_t *p, size_t n, size_t from)
{
    for (size_t off = from; off + WQI_JREC_HEADER <= n; off++) {
        wqi_jrec r;
        size_t used;
        if (wqi_jrec_decode(p + off, n - off, &r, &used) == WQI_JREC_OK) {
            return 1;
        }
    }
    return 0;
}
