/* workq/errors.h — the one error vocabulary of workq.
 *
 * Every fallible function returns a wq_err. WQ_OK is 0; every other value is
 * stable across releases (new ones are only appended) so it can be stored,
 * compared and sent between processes. Operating-system errors are mapped to
 * these values inside the backend that saw them; nothing above the transport
 * ever sees errno or GetLastError().
 *
 * The values from WQ_EBADREQ on correspond one to one to the protocol's
 * error codes (docs/protocol.md); wq_err_from_code() and wq_err_code() convert.
 */
#ifndef WORKQ_ERRORS_H
#define WORKQ_ERRORS_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wq_err {
    WQ_OK = 0,
    /* Local and transport errors. */
    WQ_EINVAL = 1,       /* bad argument to a function */
    WQ_ENOMEM = 2,       /* out of memory */
    WQ_ETIMEDOUT = 3,    /* the timeout passed before the operation completed */
    WQ_ECLOSED = 4,      /* the peer closed the connection, or it was shut down */
    WQ_EMSGSIZE = 5,     /* message larger than the allowed maximum (protocol 413) */
    WQ_EADDRINUSE = 6,   /* the endpoint is already served by someone else */
    WQ_ENOENT = 7,       /* no server at the endpoint, or no directory for it */
    WQ_EACCES = 8,       /* permission denied by the operating system */
    WQ_ENAMETOOLONG = 9, /* endpoint name or path too long for the OS */
    WQ_EPROTO = 10,      /* malformed data on the wire; the connection is unusable */
    WQ_EBUSY = 11,       /* every server instance is busy, or server busy (protocol 503) */
    WQ_EIO = 12,         /* another operating-system error */
    WQ_EUNSAFE = 13, /* endpoint path fails a safety check (owner, mode, symlink, not a socket) */
    /* Protocol errors (docs/protocol.md), one per code. */
    WQ_EBADREQ = 14,    /* 400 bad request */
    WQ_EFORBIDDEN = 15, /* 403 not allowed for this client */
    WQ_ENOTFOUND = 16,  /* 404 no such queue or lease */
    WQ_ENOTTEXT = 17,   /* 406 item is not text */
    WQ_EEXIST = 18,     /* 409 already exists */
    WQ_EGONE = 19,      /* 410 queue deleted while waiting */
    WQ_EINTERNAL = 20,  /* 500 internal error */
    WQ_ELIMIT = 21,     /* 507 limit reached */
    WQ_ESHUTDOWN = 22   /* 503 shutting down */
} wq_err;

/* A short, constant, English description of err ("message too large").
 * Never NULL: unknown values give "unknown error". Thread-safe. */
WQ_API const char *wq_strerror(wq_err err);

/* The protocol code (400, 404, …) for err, or 0 if err has none.
 * WQ_EMSGSIZE gives 413; WQ_EBUSY and WQ_ESHUTDOWN give 503. Thread-safe. */
WQ_API int wq_err_code(wq_err err);

/* The wq_err for a protocol code; an unknown code gives WQ_EPROTO.
 * 503 gives WQ_EBUSY (a server's sentence tells busy from shutting down).
 * Thread-safe. */
WQ_API wq_err wq_err_from_code(int code);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_ERRORS_H */
