/* An installed libworkq's first user: tests/install/check.sh builds this
 * against the install prefix (find_package, pkg-config; shared, static;
 * Linux, and mingw under Wine) and runs it. Only the public headers and
 * the library as installed are used. Exit status 0 when every check holds. */
#include <stdio.h>
#include <string.h>

#include <workq/workq.h>

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "consumer: FAILED: %s\n", what);
        failures++;
    }
}

int main(void)
{
    /* The headers and the library loaded agree on the version. */
    printf("consumer: headers %s, library %s\n", WORKQ_VERSION_STRING, wq_version());
    check(strcmp(wq_version(), WORKQ_VERSION_STRING) == 0, "wq_version() == WORKQ_VERSION_STRING");
    check(wq_version_number() == WORKQ_VERSION_NUMBER,
          "wq_version_number() == WORKQ_VERSION_NUMBER");
    check(strcmp(wq_strerror(WQ_ENOMEM), "out of memory") == 0, "wq_strerror(WQ_ENOMEM)");
    check(wq_err_code(WQ_ENOTFOUND) == 404, "wq_err_code(WQ_ENOTFOUND) == 404");

    /* A round trip through an in-process server over the mem transport. */
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.transport = wq_transport_mem();
    cfg.endpoint = "install-consumer";
    wq_server *server = NULL;
    wq_err err = wq_server_start(&cfg, &server);
    check(err == WQ_OK, "wq_server_start over mem");
    if (err != WQ_OK) {
        fprintf(stderr, "consumer: wq_server_start: %s\n", wq_strerror(err));
        return 1;
    }

    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.transport = cfg.transport;
    opts.timeout_ms = 10000;
    wq_client *c = NULL;
    err = wq_client_open("install-consumer", &opts, &c);
    check(err == WQ_OK, "wq_client_open");
    if (err == WQ_OK) {
        err = wq_client_ping(c);
        check(err == WQ_OK, "wq_client_ping");

        char version[64] = "";
        err = wq_client_hello(c, version, sizeof version, NULL);
        check(err == WQ_OK, "wq_client_hello");
        check(strcmp(version, wq_version()) == 0, "HELLO's version == wq_version()");

        wq_item item;
        int found = 0;
        err = wq_client_create(c, "jobs");
        if (err == WQ_OK)
            err = wq_client_start(c, "jobs");
        if (err == WQ_OK)
            err = wq_client_publish(c, "jobs", "hello", 5, NULL);
        if (err == WQ_OK)
            err = wq_client_retrieve(c, "jobs", 1000, &item, &found);
        check(err == WQ_OK && found, "create, start, publish, retrieve");
        if (err == WQ_OK && found) {
            check(item.len == 5 && memcmp(item.payload, "hello", 5) == 0, "the item came back");
            check(wq_client_ack(c, "jobs", item.id) == WQ_OK, "wq_client_ack");
            wq_free(item.payload);
        }
        if (err != WQ_OK)
            fprintf(stderr, "consumer: %s (%s)\n", wq_strerror(err), wq_client_message(c));
    }
    wq_client_close(c);
    wq_server_stop(server);

    printf("consumer: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
