/*
 * Logging: one line per message on stderr, prefixed "gmvm: ". The guest
 * console owns stdout.
 */
#ifndef GMVM_LOG_H
#define GMVM_LOG_H

#include <stdbool.h>

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Rate-limited error for guest-triggered conditions, so a hostile guest
 * cannot flood the host log: at most @burst lines per @window_s seconds per
 * limiter (0 = the defaults, 3 lines per 5 s); the next window starts with a
 * count of what was suppressed.
 * Use as: static struct log_ratelimit rl; log_ratelimited(&rl, "...");
 */
struct log_ratelimit {
    unsigned burst;    /* lines per window; 0 = LOG_RATELIMIT_BURST */
    unsigned window_s; /* window length; 0 = LOG_RATELIMIT_WINDOW_S */
    long window_start; /* seconds */
    unsigned count;
    unsigned suppressed;
};
#define LOG_RATELIMIT_BURST    3
#define LOG_RATELIMIT_WINDOW_S 5
void log_ratelimited(struct log_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set by --verbose / GMVM_DEBUG: enables log_debug and log_info. */
extern int log_level;
#define LOG_LEVEL_QUIET 0
#define LOG_LEVEL_INFO  1
#define LOG_LEVEL_DEBUG 2

#endif
