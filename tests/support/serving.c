/* serving.c — wait for a service started as a process to answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <workq/client.h>

#include "platform.h"
#include "proc.h"

void wqt_wait_until_serving(const char *endpoint, wqt_proc *proc)
{
    /* workqd signals readiness only to systemd, so poll: connecting to a
     * missing endpoint answers at once, and the loop is bounded. */
    for (int i = 0; i < 3000; i++) {
        wq_client *c;
        if (wq_client_open(endpoint, NULL, &c) == WQ_OK) {
            wq_err err = wq_client_ping(c);
            wq_client_close(c);
            if (err == WQ_OK) {
                return;
            }
        }
        if (!wqt_proc_running(proc)) {
            fail_msg("the service exited before it answered on %s", endpoint);
        }
        wqi_sleep_ms(10);
    }
    fail_msg("no service answered on %s", endpoint);
}
