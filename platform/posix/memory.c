/* memory.c (POSIX) — how much memory this process may use (platform.h).
 *
 * A service's default memory budget should follow the limit that will
 * actually stop it, not just the machine's size: under systemd that is
 * usually the unit's MemoryMax= (a cgroup v2 limit), under a shell's
 * `ulimit -v` RLIMIT_AS. The smallest known limit wins. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "platform.h"

static void take_min(uint64_t *best, uint64_t v)
{
    if (v != 0 && (*best == 0 || v < *best)) {
        *best = v;
    }
}

static uint64_t physical_memory(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES);
    long size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) {
        return (uint64_t)pages * (uint64_t)size;
    }
#endif
    return 0;
}

static uint64_t rlimit_of(int resource)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return 0;
    }
    return (uint64_t)rl.rlim_cur;
}

/* memory.max of one cgroup v2 directory: 0 for "max", unreadable or
 * absent (the root has none). */
static uint64_t cgroup_max(const char *dir)
{
    char path[4200];
    if ((size_t)snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", dir) >= sizeof path) {
        return 0;
    }
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    unsigned long long v = 0;
    int ok = fscanf(f, "%llu", &v) == 1; /* "max" does not scan: no limit */
    fclose(f);
    return ok ? (uint64_t)v : 0;
}

/* The smallest memory.max of our cgroup v2 and its ancestors: a limit
 * set on a slice binds every unit in it. */
static uint64_t cgroup_limit(void)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f == NULL) {
        return 0;
    }
    char line[4096];
    char dir[4096] = "";
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "0::", 3) == 0) { /* the unified hierarchy's line */
            line[strcspn(line, "\n")] = '\0';
            snprintf(dir, sizeof dir, "%s", line + 3);
            break;
        }
    }
    fclose(f);
    uint64_t best = 0;
    while (dir[0] == '/' && dir[1] != '\0') {
        take_min(&best, cgroup_max(dir));
        char *slash = strrchr(dir, '/');
        if (slash == dir) {
            break;
        }
        *slash = '\0';
    }
    return best;
}

uint64_t wqi_memory_limit(void)
{
    uint64_t best = 0;
    take_min(&best, physical_memory());
    take_min(&best, cgroup_limit());
    take_min(&best, rlimit_of(RLIMIT_AS));
#ifdef RLIMIT_DATA
    take_min(&best, rlimit_of(RLIMIT_DATA));
#endif
    return best;
}

void *wqi_os_block_alloc(size_t size)
{
    /* Private and writable, so it counts against RLIMIT_AS and
     * RLIMIT_DATA like the heap does; never touched, so it costs no
     * resident memory. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void wqi_os_block_free(void *p, size_t size)
{
    if (p != NULL) {
        munmap(p, size);
    }
}
