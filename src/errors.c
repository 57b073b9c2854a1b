/* errors.c — descriptions, names and protocol codes of wq_err values, all
 * expanded from WQ_ERR_MAP (errors.h). The translation of OS error codes is
 * per OS: platform/<os>/os_err.c. */
#include <stddef.h>

#include <workq/errors.h>

#define ROW(name, value, code, text) {code, text, #name},
static const struct {
    int code; /* 0: no protocol code */
    const char *text;
    const char *name;
} table[] = {WQ_ERR_MAP(ROW)};
#undef ROW

#define TABLE_LEN (sizeof table / sizeof table[0])

/* The map lists values in order from 0 without gaps, so a value is its own
 * index into table. A row added out of order, or with a gap, fails the
 * build here. */
enum row_index {
#define ROW_INDEX(name, value, code, text) ROW_INDEX_##name,
    WQ_ERR_MAP(ROW_INDEX)
#undef ROW_INDEX
};
#define CHECK_ORDER(name, value, code, text)                                                       \
    _Static_assert(ROW_INDEX_##name == (value), "WQ_ERR_MAP: " #name " is out of order");
WQ_ERR_MAP(CHECK_ORDER)
#undef CHECK_ORDER

const char *wq_strerror(wq_err err)
{
    return (size_t)err < TABLE_LEN ? table[err].text : "unknown error";
}

const char *wq_err_name(wq_err err)
{
    return (size_t)err < TABLE_LEN ? table[err].name : "WQ_E?";
}

int wq_err_code(wq_err err)
{
    return (size_t)err < TABLE_LEN ? table[err].code : 0;
}

wq_err wq_err_from_code(int code)
{
    /* The first row with the code: for 503 that is WQ_EBUSY (WQ_ESHUTDOWN
     * shares the code and is told apart by the reply's reason token). */
    for (size_t i = 0; code != 0 && i < TABLE_LEN; i++) {
        if (table[i].code == code) {
            return (wq_err)i;
        }
    }
    return WQ_EPROTO;
}
