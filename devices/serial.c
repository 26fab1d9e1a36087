/*
 * 16550A UART model. Enough of it for Linux's 8250 driver to probe it as a
 * 16550A (scratch, IER and loopback tests, FIFO bits in IIR) and for polled
 * or interrupt-driven console I/O.
 */
#include "devices/serial.h"

#include <string.h>

/* Register offsets (DLAB=0 unless noted). */
enum {
    UART_RBR_THR = 0,
    UART_IER = 1,
    UART_IIR_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7
};

#define IER_RDI          0x01 /* received data available */
#define IER_THRI         0x02 /* transmitter holding register empty */
#define IIR_NO_INT       0x01
#define IIR_THRI         0x02
#define IIR_RDI          0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_FIFO_ENABLE  0x01
#define FCR_CLEAR_RX     0x02
#define LCR_DLAB         0x80
#define MCR_DTR          0x01
#define MCR_RTS          0x02
#define MCR_OUT1         0x04
#define MCR_OUT2         0x08
#define MCR_LOOP         0x10
#define LSR_DR           0x01
#define LSR_THRE         0x20
#define LSR_TEMT         0x40
#define MSR_CTS          0x10
#define MSR_DSR          0x20
#define MSR_RI           0x40
#define MSR_DCD          0x80

void serial_init(struct serial *s, serial_out_fn out, serial_irq_fn irq, void *opaque)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->mcr = MCR_OUT2;
    s->out = out;
    s->irq = irq;
    s->opaque = opaque;
}

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t serial_iir(const struct serial *s)
{
    if ((s->ier & IER_RDI) && s->rx_count)
        return IIR_RDI;
    if ((s->ier & IER_THRI) && s->thre_pending)
        return IIR_THRI;
    return IIR_NO_INT;
}

/* Recompute the interrupt line; call with the lock held. */
static void serial_update_irq(struct serial *s)
{
    int level = serial_iir(s) != IIR_NO_INT;

    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq)
            s->irq(s->opaque, level);
    }
}

static size_t rx_push_locked(struct serial *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;

    while (n < len && s->rx_count < SERIAL_RX_BUF) {
        s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_BUF] = buf[n++];
        s->rx_count++;
    }
    return n;
}

/* Tell the input side that a full queue has room again. */
static void rx_room_locked(struct serial *s, size_t count_before)
{
    if (count_before == SERIAL_RX_BUF && s->rx_count < SERIAL_RX_BUF && s->room)
        s->room(s->opaque);
}

static uint8_t rx_pop_locked(struct serial *s)
{
    uint8_t byte;

    if (!s->rx_count)
        return 0;
    byte = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUF;
    s->rx_count--;
    rx_room_locked(s, s->rx_count + 1);
    return byte;
}

static void serial_transmit(struct serial *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP)
        rx_push_locked(s, &byte, 1); /* loopback: TX wired to RX */
    else if (s->out)
        s->out(s->opaque, byte);
    /* Transmission is instantaneous: THR is empty again at once. */
    s->thre_pending = 1;
}

/* MSR in loopback mode mirrors the MCR outputs (the 8250 probe checks this). */
static uint8_t serial_msr(const struct serial *s)
{
    uint8_t msr = 0;

    if (!(s->mcr & MCR_LOOP))
        return s->msr;
    if (s->mcr & MCR_RTS)
        msr |= MSR_CTS;
    if (s->mcr & MCR_DTR)
        msr |= MSR_DSR;
    if (s->mcr & MCR_OUT1)
        msr |= MSR_RI;
    if (s->mcr & MCR_OUT2)
        msr |= MSR_DCD;
    return msr;
}

uint8_t serial_read(struct serial *s, unsigned offset)
{
    uint8_t v = 0;

    pthread_mutex_lock(&s->lock);
    switch (offset) {
    case UART_RBR_THR:
        v = (s->lcr & LCR_DLAB) ? s->dll : rx_pop_locked(s);
        break;
    case UART_IER:
        v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
        break;
    case UART_IIR_FCR:
        v = serial_iir(s) | s->iir_fifo;
        /* Reading IIR acknowledges a THR-empty interrupt. */
        if ((v & 0x0f) == IIR_THRI)
            s->thre_pending = 0;
        break;
    case UART_LCR:
        v = s->lcr;
        break;
    case UART_MCR:
        v = s->mcr;
        break;
    case UART_LSR:
        v = s->lsr | (s->rx_count ? LSR_DR : 0);
        break;
    case UART_MSR:
        v = serial_msr(s);
        break;
    case UART_SCR:
        v = s->scr;
        break;
    default:
        break;
    }
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return v;
}

void serial_write(struct serial *s, unsigned offset, uint8_t value)
{
    pthread_mutex_lock(&s->lock);
    switch (offset) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB)
            s->dll = value;
        else
            serial_transmit(s, value);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = value;
        } else {
            /* Enabling THRI with THR already empty raises it at once. */
            if (!(s->ier & IER_THRI) && (value & IER_THRI))
                s->thre_pending = 1;
            s->ier = value & 0x0f;
        }
        break;
    case UART_IIR_FCR:
        s->iir_fifo = (value & FCR_FIFO_ENABLE) ? IIR_FIFO_ENABLED : 0;
        if (value & FCR_CLEAR_RX) {
            size_t before = s->rx_count;

            s->rx_count = 0;
            rx_room_locked(s, before);
        }
        break;
    case UART_LCR:
        s->lcr = value;
        break;
    case UART_MCR:
        s->mcr = value & 0x1f;
        break;
    case UART_SCR:
        s->scr = value;
        break;
    default: /* LSR and MSR are read-only */
        break;
    }
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t len)
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    n = rx_push_locked(s, buf, len);
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t serial_input_room(struct serial *s)
{
    size_t room;

    pthread_mutex_lock(&s->lock);
    room = SERIAL_RX_BUF - s->rx_count;
    pthread_mutex_unlock(&s->lock);
    return room;
}
