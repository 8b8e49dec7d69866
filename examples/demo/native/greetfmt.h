/* libgreetfmt: a tiny plain C library (no Lua) that formats a greeting.
 * Built as libgreetfmt.so.1 (SONAME libgreetfmt.so.1); greeter.so needs it. */
#ifndef GREETFMT_H
#define GREETFMT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GREETFMT_VERSION "1.0"

/* Write "Hello, <who>!" into buf (at most n bytes, NUL-terminated when n > 0).
 * A NULL or empty who greets "world". Returns the length of the full greeting
 * (like snprintf: a value >= n means buf was too small), or -1 on error. */
int greetfmt_format(char *buf, size_t n, const char *who);

/* The library's version, GREETFMT_VERSION. */
const char *greetfmt_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GREETFMT_H */
