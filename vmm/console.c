/*
 * COM1 wired to stdio. See console.h.
 */
#include "vmm/console.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#define COM1_PORT 0x3f8
#define CTRL_A    0x01

static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

void console_restore_terminal(void)
{
    if (termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        termios_saved = 0;
    }
}

static void console_fatal_signal(int sig)
{
    /* Async-signal-safe: tcsetattr is, and we re-raise with the default. */
    console_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void console_set_raw(int fd)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
    struct termios raw;

    if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
        return;
    termios_saved = 1;
    atexit(console_restore_terminal);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], console_fatal_signal);
    raw = saved_termios;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR; /* our own log lines still get \r\n */
    tcsetattr(fd, TCSANOW, &raw);
}

static void console_out(void *opaque, uint8_t byte)
{
    struct console *con = opaque;

    while (write(con->out_fd, &byte, 1) < 0 && errno == EINTR)
        ;
}

static void console_irq(void *opaque, int level)
{
    struct console *con = opaque;

    vm_irq_line(con->vm, X86_SERIAL_IRQ, level);
}

static void com1_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct console *con = opaque;

    data[0] = serial_read(&con->uart, (unsigned)offset);
    for (uint32_t i = 1; i < len; i++)
        data[i] = 0;
}

static void com1_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct console *con = opaque;

    serial_write(&con->uart, (unsigned)offset, data[0]);
}

static const struct bus_ops com1_ops = {.read = com1_read, .write = com1_write};

static void console_input(void *opaque, int fd, uint32_t events);

/* Put stdin back on the I/O thread, once, if it was paused. */
static void console_resume_input(struct console *con)
{
    if (__atomic_exchange_n(&con->input_paused, 0, __ATOMIC_ACQ_REL))
        el_add(&con->vm->el, con->in_fd, EPOLLIN, console_input, con);
}

/* Serial callback (vCPU thread): the guest made room in a full queue. */
static void console_input_room(void *opaque)
{
    console_resume_input(opaque);
}

/*
 * The guest is not reading and its queue is full: leave the bytes in the
 * pipe or tty rather than dropping them, and stop watching stdin (level-
 * triggered epoll would wake us at once, forever) until the guest reads.
 * Pause before the re-check, so a drain that races with us is not missed.
 */
static void console_pause_input(struct console *con)
{
    el_del(&con->vm->el, con->in_fd);
    __atomic_store_n(&con->input_paused, 1, __ATOMIC_RELEASE);
    if (serial_input_room(&con->uart))
        console_resume_input(con);
}

/* I/O thread: stdin has bytes (or hit EOF). */
static void console_input(void *opaque, int fd, uint32_t events)
{
    struct console *con = opaque;
    uint8_t buf[256];
    size_t room = serial_input_room(&con->uart);
    ssize_t n;

    if (room == 0) {
        console_pause_input(con);
        return;
    }
    n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            el_del(&con->vm->el, fd); /* EOF: the guest just sees no input */
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (termios_saved && con->escape_pending) {
            con->escape_pending = 0;
            if (buf[i] == 'x') {
                log_info("Ctrl-A x: ending the VM");
                vm_request_stop(con->vm, GMVM_EXIT_SIGNAL + SIGINT);
                return;
            }
            if (buf[i] != CTRL_A) /* Ctrl-A Ctrl-A sends one Ctrl-A */
                serial_push_input(&con->uart, (const uint8_t[]){CTRL_A}, 1);
        } else if (termios_saved && buf[i] == CTRL_A) {
            con->escape_pending = 1;
            continue;
        }
        serial_push_input(&con->uart, &buf[i], 1);
    }
}

int console_attach(struct console *con, struct vm *vm, int in_fd, int out_fd)
{
    int ret;

    memset(con, 0, sizeof(*con));
    con->vm = vm;
    con->in_fd = in_fd;
    con->out_fd = out_fd;
    serial_init(&con->uart, console_out, console_irq, con);
    con->uart.room = console_input_room;
    ret = bus_register(&vm->pio, COM1_PORT, 8, &com1_ops, con, "com1");
    if (ret < 0)
        return ret;
    if (in_fd >= 0) {
        ret = el_add(&vm->el, in_fd, EPOLLIN, console_input, con);
        /* EPERM: stdin is a regular file or /dev/null, which epoll refuses;
         * such a guest simply has no console input. */
        if (ret == -EPERM)
            ret = 0;
        else if (ret == 0)
            console_set_raw(in_fd);
    }
    return ret;
}
