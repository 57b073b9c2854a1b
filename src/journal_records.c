/* journal_records.c — record bodies (journal_records.h). */
#include <string.h>

#include "journal_records.h"
#include "leb128.h"
#include "queue_name.h"

/* Which fields a type carries. */
#define HAS_ID 1u
#define HAS_NAME 2u
#define HAS_PAYLOAD 4u /* the rest of the body: PUBLISH's payload, PURGE's held ids */

static unsigned fields_of(uint8_t type)
{
    switch (type) {
    case WQI_JT_CREATE:
    case WQI_JT_DELETE:
    case WQI_JT_START:
    case WQI_JT_STOP:
        return HAS_NAME;
    case WQI_JT_PURGE:
        return HAS_NAME | HAS_PAYLOAD;
    case WQI_JT_PUBLISH:
        return HAS_ID | HAS_NAME | HAS_PAYLOAD;
    case WQI_JT_ACK:
    case WQI_JT_RELEASE:
    case WQI_JT_NEXT_ID:
        return HAS_ID;
    default:
        return 0;
    }
}

size_t wqi_jchange_encode_head(const wqi_jchange *c, uint8_t out[WQI_JCHANGE_HEAD_MAX])
{
    unsigned f = fields_of(c->type);
    size_t n = 0;
    if (f & HAS_ID) {
        n += wqi_leb128_put(out + n, c->id);
    }
    if (f & HAS_NAME) {
        out[n++] = (uint8_t)c->name_len;
        memcpy(out + n, c->name, c->name_len);
        n += c->name_len;
    }
    return n;
}

wq_err wqi_jchange_decode(const wqi_jrec *r, wqi_jchange *out)
{
    memset(out, 0, sizeof *out);
    unsigned f = fields_of(r->type);
    if (f == 0) {
        return WQ_ENOTSUP;
    }
    out->type = r->type;
    const uint8_t *p = r->body;
    size_t n = r->len, pos = 0;
    if ((f & HAS_ID) && !wqi_leb128_get_checked(p, n, &pos, &out->id)) {
        return WQ_EPROTO;
    }
    if (f & HAS_NAME) {
        if (pos >= n) {
            return WQ_EPROTO;
        }
        size_t len = p[pos++];
        if (len == 0 || len > WQ_QUEUE_NAME_MAX || len > n - pos ||
            !wqi_queue_name_valid((const char *)(p + pos), len)) {
            return WQ_EPROTO;
        }
        out->name = (const char *)(p + pos);
        out->name_len = len;
        pos += len;
    }
    if (f & HAS_PAYLOAD) {
        out->payload = p + pos;
        out->payload_len = n - pos;
        pos = n;
    }
    if (out->type == WQI_JT_PURGE) {
        /* The held ids must read as strictly ascending uvarints. */
        const uint8_t *ids = out->payload;
        size_t left = out->payload_len;
        uint64_t id, prev = 0;
        int first = 1;
        while (left > 0) {
            if (!wqi_jchange_next_held(&ids, &left, &id) || (!first && id <= prev)) {
                return WQ_EPROTO;
            }
            prev = id;
            first = 0;
        }
    }
    return pos == n ? WQ_OK : WQ_EPROTO;
}

size_t wqi_jchange_encode_held(const uint64_t *ids, size_t n, uint8_t *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += wqi_leb128_put(out + len, ids[i]);
    }
    return len;
}

int wqi_jchange_next_held(const uint8_t **p, size_t *n, uint64_t *id)
{
    size_t pos = 0;
    if (*n == 0 || !wqi_leb128_get_checked(*p, *n, &pos, id)) {
        return 0;
    }
    *p += pos;
    *n -= pos;
    return 1;
}
