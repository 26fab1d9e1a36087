/*
 * Logging to stderr. See log.h.
 */
#include "vmm/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int log_level = LOG_LEVEL_QUIET;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 2, 0))) static void log_vline(const char *prefix,
                                                            const char *fmt, va_list ap)
{
    /* One locked write per line: lines from vCPU and I/O threads don't mix.
     * A raw-mode terminal needs \r\n. */
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "gmvm: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputs("\r\n", stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline("", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    if (log_level < LOG_LEVEL_INFO)
        return;
    va_start(ap, fmt);
    log_vline("", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;

    if (log_level < LOG_LEVEL_DEBUG)
        return;
    va_start(ap, fmt);
    log_vline("debug: ", fmt, ap);
    va_end(ap);
}

void log_ratelimited(struct log_ratelimit *rl, const char *fmt, ...)
{
    unsigned burst = rl->burst ? rl->burst : LOG_RATELIMIT_BURST;
    unsigned window = rl->window_s ? rl->window_s : LOG_RATELIMIT_WINDOW_S;
    struct timespec now;
    va_list ap;

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&log_lock);
    if (now.tv_sec - rl->window_start >= window) {
        if (rl->suppressed)
            fprintf(stderr, "gmvm: (%u similar messages suppressed)\r\n", rl->suppressed);
        rl->window_start = now.tv_sec;
        rl->count = 0;
        rl->suppressed = 0;
    }
    if (rl->count >= burst) {
        rl->suppressed++;
        pthread_mutex_unlock(&log_lock);
        return;
    }
    rl->count++;
    pthread_mutex_unlock(&log_lock);

    va_start(ap, fmt);
    log_vline("", fmt, ap);
    va_end(ap);
}
