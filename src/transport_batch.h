/* transport_batch.h — what the server needs beyond wq_conn_* to answer
 * pipelined requests with fewer system calls (internal).
 *
 * A client that pipelines sends several requests at once; answering each
 * with its own write costs a system call and, on a busy machine, a wake-up
 * of the client per reply. The server instead asks whether another request
 * is already waiting in the connection's buffer (no I/O) and, while one is,
 * collects the replies and sends them together.
 */
#ifndef WQI_TRANSPORT_BATCH_H
#define WQI_TRANSPORT_BATCH_H

#include <stddef.h>

#include <workq/transport.h>

/* One message of a batch: len bytes at data (data may be NULL if len 0). */
typedef struct wqi_msg {
    const void *data;
    size_t len;
} wqi_msg;

/* The most messages one wqi_conn_send_many call takes. */
#define WQI_SEND_MANY_MAX 32

/* Send n messages (n <= WQI_SEND_MANY_MAX), in order, as n messages: in
 * one write where the backend can (uds), else one wq_conn_send each.
 * Blocking, timeout and errors as wq_conn_send (for the whole batch; after
 * an error, some may have been sent and the connection should be closed).
 * Thread-safety as wq_conn_send. */
wq_err wqi_conn_send_many(wq_conn *c, const wqi_msg *msgs, size_t n, int timeout_ms);

/* 1 if the next wq_conn_recv(c, ...) would return a whole message without
 * waiting or doing I/O, because it has already been read into c's buffer;
 * 0 if not, or if the backend cannot tell. Never blocks. Call only from
 * the thread that receives on c. */
int wqi_conn_has_message(wq_conn *c);

#endif /* WQI_TRANSPORT_BATCH_H */
