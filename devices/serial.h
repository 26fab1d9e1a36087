/*
 * A 16550A UART register model (COM1 at 0x3f8, IRQ 4 on x86).
 *
 * Output bytes go to an output callback; input bytes are queued with
 * serial_push_input() from the I/O thread. The interrupt line is driven
 * through an irq callback with a level (1 = asserted), called only when the
 * level changes. Register accesses and input come from different threads;
 * the model takes its own lock.
 */
#ifndef GMVM_SERIAL_H
#define GMVM_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_NR_REGS 8
#define SERIAL_RX_BUF  4096

typedef void (*serial_out_fn)(void *opaque, uint8_t byte);
typedef void (*serial_irq_fn)(void *opaque, int level);
/* The input queue had no room and now has some (called with the lock held). */
typedef void (*serial_room_fn)(void *opaque);

struct serial {
    pthread_mutex_t lock;
    uint8_t ier, iir_fifo, lcr, mcr, lsr, msr, scr, dll, dlm;
    int thre_pending; /* THR-empty interrupt waiting to be seen in IIR */
    int irq_level;
    uint8_t rx[SERIAL_RX_BUF];
    size_t rx_head, rx_count;

    serial_out_fn out;
    serial_irq_fn irq;
    serial_room_fn room; /* optional; set after serial_init */
    void *opaque;
};

/* Reset state: no interrupts, 8N1, transmitter empty. */
void serial_init(struct serial *s, serial_out_fn out, serial_irq_fn irq, void *opaque);

/* Register access at @offset 0..7 (one byte; wider accesses use byte 0). */
uint8_t serial_read(struct serial *s, unsigned offset);
void serial_write(struct serial *s, unsigned offset, uint8_t value);

/* Queue up to @len input bytes; returns how many fitted. */
size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t len);

/* Free space in the input queue (the I/O thread reads no more than this). */
size_t serial_input_room(struct serial *s);

#endif
