/*
 * The I/O thread: one epoll loop serving queue ioeventfds, tap and socket
 * fds, timers, stdin and signals. Callbacks run on the I/O thread only, one
 * at a time, so state touched only by callbacks needs no lock.
 */
#ifndef GMVM_EVENT_LOOP_H
#define GMVM_EVENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define EL_MAX_HANDLERS 128

/* Called with the epoll events (EPOLLIN, ...) that fired on @fd. */
typedef void (*el_handler_fn)(void *opaque, int fd, uint32_t events);

struct el_handler {
    int fd;
    el_handler_fn fn;
    void *opaque;
};

struct event_loop {
    int epfd;
    int stop_fd; /* eventfd: wakes the loop to exit */
    pthread_t thread;
    bool running;
    pthread_mutex_t lock; /* guards handlers[] against el_add from other threads */
    struct el_handler handlers[EL_MAX_HANDLERS];
};

/* Create the epoll set. Returns 0 or negative errno. */
int el_init(struct event_loop *el);

/*
 * Watch @fd for @events (EPOLLIN etc.) and call @fn on the I/O thread.
 * May be called before or after el_start. Returns 0 or negative errno.
 */
int el_add(struct event_loop *el, int fd, uint32_t events, el_handler_fn fn,
           void *opaque);

/* Stop watching @fd. Returns 0 or negative errno. */
int el_del(struct event_loop *el, int fd);

/* Start the I/O thread. */
int el_start(struct event_loop *el);

/* Ask the I/O thread to exit and join it; then free the epoll set. */
void el_stop(struct event_loop *el);

#endif
