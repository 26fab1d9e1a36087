/*
 * The I/O thread. See event_loop.h.
 */
#include "vmm/event_loop.h"
#include "vmm/log.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int el_init(struct event_loop *el)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

    memset(el, 0, sizeof(*el));
    for (unsigned i = 0; i < EL_MAX_HANDLERS; i++)
        el->handlers[i].fd = -1;
    pthread_mutex_init(&el->lock, NULL);
    el->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (el->epfd < 0)
        return -errno;
    el->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (el->stop_fd < 0 || epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->stop_fd, &ev) < 0) {
        int ret = -errno;
        if (el->stop_fd >= 0)
            close(el->stop_fd);
        close(el->epfd);
        el->epfd = el->stop_fd = -1;
        return ret;
    }
    return 0;
}

int el_add(struct event_loop *el, int fd, uint32_t events, el_handler_fn fn, void *opaque)
{
    struct el_handler *slot = NULL;
    struct epoll_event ev = {.events = events};
    int ret = 0;

    pthread_mutex_lock(&el->lock);
    for (unsigned i = 0; i < EL_MAX_HANDLERS; i++) {
        if (el->handlers[i].fd == -1) {
            slot = &el->handlers[i];
            break;
        }
    }
    if (!slot) {
        ret = -ENOSPC;
        goto out;
    }
    *slot = (struct el_handler){.fd = fd, .fn = fn, .opaque = opaque};
    ev.data.ptr = slot;
    if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        ret = -errno;
        slot->fd = -1;
    }
out:
    pthread_mutex_unlock(&el->lock);
    return ret;
}

int el_del(struct event_loop *el, int fd)
{
    int ret = -ENOENT;

    pthread_mutex_lock(&el->lock);
    for (unsigned i = 0; i < EL_MAX_HANDLERS; i++) {
        if (el->handlers[i].fd == fd) {
            ret = epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
            el->handlers[i].fd = -1;
            break;
        }
    }
    pthread_mutex_unlock(&el->lock);
    return ret;
}

static void *el_thread(void *arg)
{
    struct event_loop *el = arg;
    struct epoll_event evs[32];

    for (;;) {
        int n = epoll_wait(el->epfd, evs, 32, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("event loop: epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            struct el_handler *h = evs[i].data.ptr;

            if (!h)
                return NULL; /* stop_fd */
            /* Handlers are only added/removed on this thread or before it
             * starts, except el_add from setup code; copy under the lock. */
            pthread_mutex_lock(&el->lock);
            struct el_handler copy = *h;
            pthread_mutex_unlock(&el->lock);
            if (copy.fd >= 0)
                copy.fn(copy.opaque, copy.fd, evs[i].events);
        }
    }
    return NULL;
}

int el_start(struct event_loop *el)
{
    int ret = pthread_create(&el->thread, NULL, el_thread, el);

    if (ret)
        return -ret;
    el->running = true;
    return 0;
}

void el_stop(struct event_loop *el)
{
    uint64_t one = 1;

    if (el->running) {
        if (write(el->stop_fd, &one, sizeof(one)) < 0)
            log_err("event loop: cannot signal stop: %s", strerror(errno));
        pthread_join(el->thread, NULL);
        el->running = false;
    }
    if (el->stop_fd >= 0)
        close(el->stop_fd);
    if (el->epfd >= 0)
        close(el->epfd);
    el->stop_fd = el->epfd = -1;
}
