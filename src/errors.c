/* errors.c — names of wq_err values and the protocol-code mapping. */
#include <stddef.h>

#include <workq/errors.h>

/* One row per wq_err, in enum order; code 0 means "no protocol code". */
static const struct {
    wq_err err;
    int code;
    const char *text;
} table[] = {
    {WQ_OK, 0, "success"},
    {WQ_EINVAL, 0, "invalid argument"},
    {WQ_ENOMEM, 0, "out of memory"},
    {WQ_ETIMEDOUT, 0, "timed out"},
    {WQ_ECLOSED, 0, "connection closed"},
    {WQ_EMSGSIZE, 413, "message too large"},
    {WQ_EADDRINUSE, 0, "endpoint already in use"},
    {WQ_ENOENT, 0, "no such endpoint"},
    {WQ_EACCES, 0, "permission denied"},
    {WQ_ENAMETOOLONG, 0, "endpoint name too long"},
    {WQ_EPROTO, 0, "protocol error"},
    {WQ_EBUSY, 503, "server busy"},
    {WQ_EIO, 0, "input/output error"},
    {WQ_EUNSAFE, 0, "endpoint path is not safe to use"},
    {WQ_EBADREQ, 400, "bad request"},
    {WQ_EFORBIDDEN, 403, "not allowed"},
    {WQ_ENOTFOUND, 404, "not found"},
    {WQ_ENOTTEXT, 406, "item is not text"},
    {WQ_EEXIST, 409, "already exists"},
    {WQ_EGONE, 410, "queue deleted while waiting"},
    {WQ_EINTERNAL, 500, "internal error"},
    {WQ_ELIMIT, 507, "limit reached"},
    {WQ_ESHUTDOWN, 503, "shutting down"},
};

#define TABLE_LEN (sizeof table / sizeof table[0])

const char *wq_strerror(wq_err err)
{
    if ((size_t)err < TABLE_LEN) {
        return table[err].text;
    }
    return "unknown error";
}

int wq_err_code(wq_err err)
{
    if ((size_t)err < TABLE_LEN) {
        return table[err].code;
    }
    return 0;
}

wq_err wq_err_from_code(int code)
{
    if (code == 503) {
        return WQ_EBUSY; /* the first 503 row; ESHUTDOWN shares the code */
    }
    for (size_t i = 0; i < TABLE_LEN; i++) {
        if (table[i].code == code && code != 0) {
            return table[i].err;
        }
    }
    return WQ_EPROTO;
}
