/* journal_format.h — the journal's bytes on disk: file header and record
 * framing (internal). No I/O: bytes in, bytes out, like frame.h.
 *
 * A journal file is a file header followed by records, appended one after
 * another and never rewritten:
 *
 *   file header (16 bytes):
 *     0  8  magic "workqJNL"
 *     8  2  format version, little-endian (WQI_JOURNAL_VERSION)
 *     10 2  flags, 0 (reserved)
 *     12 4  CRC-32C of bytes 0..11, little-endian
 *
 *   record (12-byte header, then the body):
 *     0  4  CRC-32C of bytes 4 .. 12+len (the rest of the header and the
 *           body), little-endian
 *     4  4  body length len, little-endian (at most WQI_JREC_MAX_BODY)
 *     8  1  type (what the body means: journal_records.h); never 0
 *     9  1  flags: WQI_JREC_OPTIONAL, others 0 (reserved)
 *     10 2  0 (reserved)
 *     12 len body
 *
 * Why this shape: the checksum covers the length, so a damaged length is
 * caught like damaged contents; a record is only ever appended, so after
 * a crash the file is whole records followed by at most one torn one;
 * new record types can be added later — a type a reader does not know is
 * skipped if the writer marked it optional and otherwise makes the reader
 * refuse the file (it was written by a newer workq), never misread; and a
 * format that changes incompatibly gets a new version in the file header.
 *
 * Telling a torn tail from damage in the middle: a record that does not
 * check (bad CRC, impossible length, fewer bytes than it claims) is a torn
 * tail when no valid record starts anywhere after it — that is all a crash
 * mid-append can leave, including the zeros some file systems show past
 * the last flushed size — and damage otherwise
 * (wqi_jrec_valid_record_after).
 *
 * Thread-safety: all functions are pure.
 */
#ifndef WQI_JOURNAL_FORMAT_H
#define WQI_JOURNAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define WQI_JOURNAL_MAGIC "workqJNL"
#define WQI_JOURNAL_VERSION 1u
#define WQI_JOURNAL_FILE_HEADER 16u
#define WQI_JREC_HEADER 12u
/* The largest record body: a 4 GiB - 1 request's payload plus its queue
 * name and id fit (bodies are sized by 32 bits anyway). */
#define WQI_JREC_MAX_BODY 0xFFFFFFF0u
/* Record flag: a reader that does not know the type may skip it. */
#define WQI_JREC_OPTIONAL 0x01u

/* Write the file header for WQI_JOURNAL_VERSION into out. */
void wqi_journal_header_write(uint8_t out[WQI_JOURNAL_FILE_HEADER]);

/* Check a file header: WQI_JHDR_OK, WQI_JHDR_SHORT (fewer than 16 bytes:
 * the file was cut while being created), WQI_JHDR_NOT_JOURNAL (wrong magic
 * or checksum), WQI_JHDR_NEWER (a version above WQI_JOURNAL_VERSION, or a
 * flag this version does not know: *version receives it). */
typedef enum wqi_jhdr_status {
    WQI_JHDR_OK,
    WQI_JHDR_SHORT,
    WQI_JHDR_NOT_JOURNAL,
    WQI_JHDR_NEWER
} wqi_jhdr_status;
wqi_jhdr_status wqi_journal_header_check(const uint8_t *p, size_t n, unsigned *version);

/* One record as read: body points into the caller's buffer. */
typedef struct wqi_jrec {
    uint8_t type;
    uint8_t flags;
    const uint8_t *body;
    uint32_t len;
} wqi_jrec;

/* The 12-byte header of a record of type and flags whose body is the
 * concatenation of the n pieces (p[i], len[i]) — the body need not be in
 * one piece, so a large payload is checksummed where it lies. The total
 * body length must be at most WQI_JREC_MAX_BODY (the caller checks). */
void wqi_jrec_header(uint8_t out[WQI_JREC_HEADER], uint8_t type, uint8_t flags,
                     const void *const *p, const size_t *len, size_t n);

/* Decode the record at p[0..n). */
typedef enum wqi_jrec_status {
    WQI_JREC_OK,    /* *out is the record; *used its size (header + body) */
    WQI_JREC_SHORT, /* fewer bytes than its header, or than its header
                       claims: need more, or (at the end of the file) torn */
    WQI_JREC_BAD    /* it does not check: type 0, reserved bits set, a
                       length above WQI_JREC_MAX_BODY, or the CRC */
} wqi_jrec_status;
wqi_jrec_status wqi_jrec_decode(const uint8_t *p, size_t n, wqi_jrec *out, size_t *used);

/* 1 if a record that checks starts at any offset in p[from..n), entirely
 * inside p[0..n): the damage before it is then not a torn tail. Costs up
 * to one CRC per candidate offset whose length fits: only for error
 * paths. */
int wqi_jrec_valid_record_after(const uint8_t *p, size_t n, size_t from);

/* Little-endian helpers, shared with the record bodies. */
void wqi_le32_put(uint8_t *p, uint32_t v);
uint32_t wqi_le32_get(const uint8_t *p);

#endif /* WQI_JOURNAL_FORMAT_H */
