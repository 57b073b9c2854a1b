/* eventlog.c (Windows) — workqd's log lines in the Windows event log
 * (checklist WS-5) while it runs as a service.
 *
 * RegisterEventSourceW needs no registration to work: events land in the
 * Application log under the source name. No message-table resource is
 * registered, so the Event Viewer prefixes the text with "The description
 * for Event ID … cannot be found"; the line itself is the event's only
 * insertion string and is shown in full. ReportEventW goes through a seam
 * (wqd_eventlog_report) so that tests can capture what would be logged —
 * Wine's ReportEventW is a stub that returns TRUE.
 */
#include <stdlib.h>
#include <string.h>

#include "service.h"

wqd_report_event_fn wqd_eventlog_report = ReportEventW;

static SRWLOCK ev_lock = SRWLOCK_INIT;
static HANDLE ev_source;
static int ev_open;

void wqd_eventlog_open(const char *source)
{
    wchar_t w[257];
    if (MultiByteToWideChar(CP_ACP, 0, source, -1, w, 257) == 0) {
        wcscpy(w, L"WorkQueueService");
    }
    HANDLE h = RegisterEventSourceW(NULL, w);
    AcquireSRWLockExclusive(&ev_lock);
    ev_source = h; /* NULL: the seam is still called, the real call skipped */
    ev_open = 1;
    ReleaseSRWLockExclusive(&ev_lock);
}

int wqd_eventlog_is_open(void)
{
    AcquireSRWLockShared(&ev_lock);
    int open = ev_open;
    ReleaseSRWLockShared(&ev_lock);
    return open;
}

void wqd_eventlog_write(wq_log_level level, const char *line)
{
    WORD type = EVENTLOG_INFORMATION_TYPE;
    if (level == WQ_LOG_ERROR) {
        type = EVENTLOG_ERROR_TYPE;
    } else if (level == WQ_LOG_WARN) {
        type = EVENTLOG_WARNING_TYPE;
    }
    /* Log lines are UTF-8; an invalid sequence is replaced, not dropped. */
    int n = MultiByteToWideChar(CP_UTF8, 0, line, -1, NULL, 0);
    if (n <= 0) {
        return;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        return;
    }
    MultiByteToWideChar(CP_UTF8, 0, line, -1, w, n);
    LPCWSTR strings[1];
    strings[0] = w;
    AcquireSRWLockExclusive(&ev_lock);
    if (ev_open && (ev_source != NULL || wqd_eventlog_report != ReportEventW)) {
        wqd_eventlog_report(ev_source, type, 0, 1000u + (DWORD)level, NULL, 1, 0, strings, NULL);
    }
    ReleaseSRWLockExclusive(&ev_lock);
    free(w);
}

void wqd_eventlog_close(void)
{
    AcquireSRWLockExclusive(&ev_lock);
    if (ev_source != NULL) {
        DeregisterEventSource(ev_source);
    }
    ev_source = NULL;
    ev_open = 0;
    ReleaseSRWLockExclusive(&ev_lock);
}
