/* test_thread_stack.c (POSIX) — every thread the library starts gets the
 * documented stack (src/platform.h: WQI_THREAD_STACK_SIZE), not the 8 MiB
 * default, so that each connection of a server reserves no more. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform.h"

static void measure(void *arg)
{
    size_t *size = arg;
    pthread_attr_t attr;
    void *addr = NULL;
    *size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        (void)pthread_attr_getstack(&attr, &addr, size);
        pthread_attr_destroy(&attr);
    }
}

static void library_threads_get_the_documented_stack(void **state)
{
    (void)state;
    size_t size = 0;
    wqi_thread t;
    assert_int_equal(wqi_thread_start(&t, measure, &size), WQ_OK);
    wqi_thread_join(&t);
    /* The C library may round up to whole pages, never down. */
    assert_true(size >= WQI_THREAD_STACK_SIZE);
    assert_true(size < WQI_THREAD_STACK_SIZE + 64u * 1024u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_threads_get_the_documented_stack),
    };
    return cmocka_run_group_tests_name("thread_stack", tests, NULL, NULL);
}
