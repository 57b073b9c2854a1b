/* version.c — the library's version at run time (workq/version.h). */
#include <workq/version.h>

const char *wq_version(void)
{
    return WORKQ_VERSION_STRING;
}

unsigned wq_version_number(void)
{
    return WORKQ_VERSION_NUMBER;
}
