/* data_dir.c — the default data directory (data_dir.h). */
#include <stdio.h>
#include <string.h>

#include "data_dir.h"

/* Absolute for the rules' purposes: "/..." on POSIX; "X:\..." or a UNC
 * "\\..." on Windows. */
static int absolute(const wqd_dir_facts *f, const char *p)
{
    if (p == NULL || p[0] == '\0') {
        return 0;
    }
    if (!f->windows) {
        return p[0] == '/';
    }
    int drive = ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':' &&
                (p[2] == '\\' || p[2] == '/');
    return drive || (p[0] == '\\' && p[1] == '\\');
}

/* The endpoint's name: a plain name as is; a path's last component
 * without ".sock". Empty if there is none. */
static void endpoint_name(const char *endpoint, char *out, size_t size)
{
    const char *base = endpoint;
    for (const char *p = endpoint; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\') {
            base = p + 1;
        }
    }
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".sock") == 0) {
        n -= 5;
    }
    snprintf(out, size, "%.*s", (int)n, base);
}

static wq_err put(char *out, size_t size, const char *a, const char *b, const char *c)
{
    int n = snprintf(out, size, "%s%s%s", a, b, c);
    return n < 0 || (size_t)n >= size ? WQ_ENAMETOOLONG : WQ_OK;
}

wq_err wqd_data_dir_default(const wqd_dir_facts *f, const char *endpoint, char *out, size_t size)
{
    if (size > 0) {
        out[0] = '\0';
    }
    if (f->state_directory != NULL && f->state_directory[0] != '\0' && !f->windows) {
        size_t n = strcspn(f->state_directory, ":");
        char first[4096];
        if (n >= sizeof first) {
            return WQ_ENAMETOOLONG;
        }
        memcpy(first, f->state_directory, n);
        first[n] = '\0';
        if (absolute(f, first)) {
            return put(out, size, first, "", "");
        }
    }
    if (f->windows && f->windows_service) {
        if (!absolute(f, f->programdata) || f->service_name == NULL || f->service_name[0] == '\0') {
            return WQ_ENOENT;
        }
        return put(out, size, f->programdata, "\\workq\\", f->service_name);
    }
    if (endpoint == NULL || endpoint[0] == '\0') {
        return WQ_EINVAL;
    }
    char name[256];
    endpoint_name(endpoint, name, sizeof name);
    if (name[0] == '\0') {
        return WQ_EINVAL;
    }
    if (f->windows) {
        return absolute(f, f->localappdata) ? put(out, size, f->localappdata, "\\workq\\", name)
                                            : WQ_ENOENT;
    }
    if (f->root) {
        return put(out, size, "/var/lib/workq/", name, "");
    }
    char base[4096];
    if (absolute(f, f->xdg_state_home)) {
        snprintf(base, sizeof base, "%s", f->xdg_state_home);
    } else if (absolute(f, f->home)) {
        snprintf(base, sizeof base, "%s/.local/state", f->home);
    } else {
        return WQ_ENOENT;
    }
    return put(out, size, base, "/workq/", name);
}
