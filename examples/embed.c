/* Run the service inside your program and talk to it. */
#include <stdio.h>
#include <workq/workq.h>

int main(void)
{
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.transport = wq_transport_mem(); /* in-process; NULL: the OS's IPC */
    cfg.endpoint = "example";
    wq_server *server;
    if (wq_server_start(&cfg, &server) != WQ_OK)
        return 1;

    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.transport = cfg.transport;
    wq_client *c = NULL;
    wq_item item;
    int found = 0;
    wq_err err = wq_client_open("example", &opts, &c);
    if (err == WQ_OK)
        err = wq_client_create(c, "jobs");
    if (err == WQ_OK)
        err = wq_client_start(c, "jobs");
    if (err == WQ_OK)
        err = wq_client_publish(c, "jobs", "hello", 5, NULL);
    if (err == WQ_OK)
        err = wq_client_retrieve(c, "jobs", 1000, &item, &found);
    if (err == WQ_OK && found) {
        printf("item %lu: %s\n", (unsigned long)item.id, (char *)item.payload);
        err = wq_client_ack(c, "jobs", item.id);
        wq_free(item.payload);
    }
    wq_client_close(c);
    wq_server_stop(server);
    printf("%s\n", wq_strerror(err));
    return err == WQ_OK && found ? 0 : 1;
}
