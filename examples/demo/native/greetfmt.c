/* libgreetfmt: see greetfmt.h. */
#include <stdio.h>

#include "greetfmt.h"

int greetfmt_format(char *buf, size_t n, const char *who)
{
    if (who == NULL || *who == '\0') {
        who = "world";
    }
    int len = snprintf(buf, n, "Hello, %s!", who);
    return len < 0 ? -1 : len;
}

const char *greetfmt_version(void)
{
    return GREETFMT_VERSION;
}
