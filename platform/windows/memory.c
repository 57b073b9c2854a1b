/* memory.c (Windows) — how much memory this process may use (platform.h).
 *
 * A service's default memory budget should follow the limit that will
 * actually stop it: besides the machine's memory, a job object (a
 * container, or a launcher that caps its children) may limit the
 * process's or the whole job's committed memory. The smallest wins. */
#include "platform.h"

static void take_min(uint64_t *best, uint64_t v)
{
    if (v != 0 && (*best == 0 || v < *best)) {
        *best = v;
    }
}

uint64_t wqi_memory_limit(void)
{
    uint64_t best = 0;
    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof ms;
    if (GlobalMemoryStatusEx(&ms)) {
        take_min(&best, ms.ullTotalPhys);
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION jl;
    /* NULL: the job this process is in; fails harmlessly if none. */
    if (QueryInformationJobObject(NULL, JobObjectExtendedLimitInformation, &jl, sizeof jl, NULL)) {
        DWORD flags = jl.BasicLimitInformation.LimitFlags;
        if (flags & JOB_OBJECT_LIMIT_PROCESS_MEMORY) {
            take_min(&best, (uint64_t)jl.ProcessMemoryLimit);
        }
        if (flags & JOB_OBJECT_LIMIT_JOB_MEMORY) {
            take_min(&best, (uint64_t)jl.JobMemoryLimit);
        }
    }
    return best;
}

void *wqi_os_block_alloc(size_t size)
{
    /* Committed, so it counts against the commit limit and a job's memory
     * limit like the heap does; never touched, so it costs no working set. */
    return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void wqi_os_block_free(void *p, size_t size)
{
    (void)size;
    if (p != NULL) {
        VirtualFree(p, 0, MEM_RELEASE);
    }
}
