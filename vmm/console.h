/*
 * The console: COM1 (a 16550A at 0x3f8, IRQ 4) wired to gmvm's stdin and
 * stdout. When stdin is a terminal it is put in raw mode, restored on every
 * exit path (normal return, fatal signal, atexit); Ctrl-A x ends the VM.
 */
#ifndef GMVM_CONSOLE_H
#define GMVM_CONSOLE_H

#include "devices/serial.h"

struct vm;

struct console {
    struct vm *vm;
    struct serial uart;
    int in_fd;
    int out_fd;
    int escape_pending; /* saw Ctrl-A */
    int input_paused;   /* atomic: in_fd taken off the I/O thread, guest's queue full */
};

/* Register COM1 on the PIO bus and stdin on the I/O thread. */
int console_attach(struct console *con, struct vm *vm, int in_fd, int out_fd);

/* Restore the terminal if console_attach changed it. Idempotent. */
void console_restore_terminal(void);

#endif
