/* format.c — workqctl's output formats: a growable string, decimal
 * numbers, JSON strings, base64, UTF-8 validation, the list table. Pure:
 * builds strings, prints nothing. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "utf8.h"

void wqc_str_free(wqc_str *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

/* Room for n more bytes plus the NUL, growing geometrically. */
static int reserve(wqc_str *s, size_t n)
{
    if (s->failed) {
        return 0;
    }
    if (s->cap > s->len && n < s->cap - s->len) {
        return 1; /* len + n + 1 <= cap */
    }
    if (n > SIZE_MAX / 2 - s->len - 1) {
        s->failed = 1;
        return 0;
    }
    size_t need = s->len + n + 1;
    size_t cap = s->cap < 64 ? 64 : s->cap;
    while (cap < need) {
        cap *= 2;
    }
    char *p = realloc(s->data, cap);
    if (p == NULL) {
        s->failed = 1;
        return 0;
    }
    s->data = p;
    s->cap = cap;
    return 1;
}

void wqc_str_add(wqc_str *s, const void *p, size_t n)
{
    if (!reserve(s, n)) {
        return;
    }
    if (n > 0) {
        memcpy(s->data + s->len, p, n);
    }
    s->len += n;
    s->data[s->len] = '\0';
}

void wqc_str_puts(wqc_str *s, const char *z)
{
    wqc_str_add(s, z, strlen(z));
}

void wqc_str_pad(wqc_str *s, char c, size_t n)
{
    if (!reserve(s, n)) {
        return;
    }
    memset(s->data + s->len, c, n);
    s->len += n;
    s->data[s->len] = '\0';
}

/* Digits of v into out (at least 20 bytes), returning how many. */
static size_t u64_digits(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

void wqc_str_u64(wqc_str *s, uint64_t v)
{
    char d[20];
    wqc_str_add(s, d, u64_digits(v, d));
}

void wqc_json_string(wqc_str *s, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    wqc_str_add(s, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        char esc[6];
        size_t elen = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c < 0x20) {
            esc[0] = '\\';
            elen = 2;
            switch (c) {
            case '\b':
                esc[1] = 'b';
                break;
            case '\f':
                esc[1] = 'f';
                break;
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            default:
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
                break;
            }
        }
        if (elen == 0) {
            run++;
            continue;
        }
        wqc_str_add(s, b + i - run, run);
        run = 0;
        wqc_str_add(s, esc, elen);
    }
    wqc_str_add(s, b + n - run, run);
    wqc_str_add(s, "\"", 1);
}

void wqc_base64(wqc_str *s, const void *p, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *b = p;
    if (n / 3 >= SIZE_MAX / 4 - 1 || !reserve(s, (n / 3 + 1) * 4)) {
        s->failed = 1;
        return;
    }
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63],
                     alphabet[v & 63]};
        wqc_str_add(s, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)b[i] << 16;
        char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63], '=', '='};
        wqc_str_add(s, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;
        char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], '='};
        wqc_str_add(s, q, 4);
    }
}

void wqc_json_item(wqc_str *s, uint64_t id, const void *p, size_t n)
{
    wqc_str_puts(s, "{\"id\":");
    wqc_str_u64(s, id);
    if (wqi_utf8_valid(p, n)) {
        wqc_str_puts(s, ",\"payload\":");
        wqc_json_string(s, p, n);
    } else {
        wqc_str_puts(s, ",\"payload_base64\":\"");
        wqc_base64(s, p, n);
        wqc_str_puts(s, "\"");
    }
    wqc_str_puts(s, "}\n");
}

static const char *state_name(int started)
{
    return started ? "started" : "stopped";
}

/* Width in columns of a cell. Queue names are ASCII (docs/protocol.md), so
 * bytes are columns. */
static size_t u64_width(uint64_t v)
{
    char d[20];
    return u64_digits(v, d);
}

void wqc_table(wqc_str *s, const wqc_row *rows, size_t n)
{
    static const char *const head[4] = {"NAME", "STATE", "READY", "LEASED"};
    size_t w[4];
    for (int k = 0; k < 4; k++) {
        w[k] = strlen(head[k]);
    }
    for (size_t i = 0; i < n; i++) {
        size_t cw[4] = {strlen(rows[i].name), strlen(state_name(rows[i].started)),
                        u64_width(rows[i].ready), u64_width(rows[i].leased)};
        for (int k = 0; k < 4; k++) {
            if (cw[k] > w[k]) {
                w[k] = cw[k];
            }
        }
    }
    /* Line 0 is the header. Text columns pad on the right, counts on the
     * left; the last column is a count, so no line ends in blanks. */
    for (size_t r = 0; r <= n; r++) {
        char num[2][20];
        const char *cell[4];
        size_t len[4];
        if (r == 0) {
            for (int k = 0; k < 4; k++) {
                cell[k] = head[k];
                len[k] = strlen(head[k]);
            }
        } else {
            const wqc_row *row = &rows[r - 1];
            cell[0] = row->name;
            len[0] = strlen(row->name);
            cell[1] = state_name(row->started);
            len[1] = strlen(cell[1]);
            len[2] = u64_digits(row->ready, num[0]);
            cell[2] = num[0];
            len[3] = u64_digits(row->leased, num[1]);
            cell[3] = num[1];
        }
        for (int k = 0; k < 4; k++) {
            if (k > 0) {
                wqc_str_add(s, "  ", 2);
            }
            if (k >= 2) {
                wqc_str_pad(s, ' ', w[k] - len[k]);
            }
            wqc_str_add(s, cell[k], len[k]);
            if (k < 2) {
                wqc_str_pad(s, ' ', w[k] - len[k]);
            }
        }
        wqc_str_add(s, "\n", 1);
    }
}

void wqc_json_list(wqc_str *s, const wqc_row *rows, size_t n)
{
    wqc_str_add(s, "[", 1);
    for (size_t i = 0; i < n; i++) {
        wqc_str_puts(s, i > 0 ? ",{\"name\":" : "{\"name\":");
        wqc_json_string(s, rows[i].name, strlen(rows[i].name));
        wqc_str_puts(s, ",\"state\":\"");
        wqc_str_puts(s, state_name(rows[i].started));
        wqc_str_puts(s, "\",\"ready\":");
        wqc_str_u64(s, rows[i].ready);
        wqc_str_puts(s, ",\"leased\":");
        wqc_str_u64(s, rows[i].leased);
        wqc_str_add(s, "}", 1);
    }
    wqc_str_puts(s, "]\n");
}
