/*
 * The 16550A model: what Linux's 8250 probe and console driver rely on.
 */
#include "devices/serial.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <string.h>

struct sink {
    char out[64];
    size_t len;
    int level;
    int irq_changes;
};

static void sink_out(void *opaque, uint8_t byte)
{
    struct sink *s = opaque;

    if (s->len < sizeof(s->out) - 1)
        s->out[s->len++] = (char)byte;
}

static void sink_irq(void *opaque, int level)
{
    struct sink *s = opaque;

    s->level = level;
    s->irq_changes++;
}

enum { THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

START_TEST(test_reset_state)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    ck_assert_uint_eq(serial_read(&u, LSR), 0x60); /* THRE | TEMT, no data */
    ck_assert_uint_eq(serial_read(&u, IIR), 0x01); /* no interrupt */
    ck_assert_uint_eq(serial_read(&u, IER), 0);
    ck_assert_int_eq(k.irq_changes, 0);
}
END_TEST

START_TEST(test_transmit)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    serial_write(&u, THR, 'o');
    serial_write(&u, THR, 'k');
    ck_assert_str_eq(k.out, "ok");
    ck_assert(serial_read(&u, LSR) & 0x20);
}
END_TEST

START_TEST(test_probe_registers)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    /* Scratch register holds a value. */
    serial_write(&u, SCR, 0xa5);
    ck_assert_uint_eq(serial_read(&u, SCR), 0xa5);
    /* IER keeps its low four bits only. */
    serial_write(&u, IER, 0xff);
    ck_assert_uint_eq(serial_read(&u, IER), 0x0f);
    serial_write(&u, IER, 0);
    /* Divisor latch is separate from THR/IER. */
    serial_write(&u, LCR, 0x80);
    serial_write(&u, THR, 0x01);
    serial_write(&u, IER, 0x00);
    ck_assert_uint_eq(serial_read(&u, THR), 0x01);
    serial_write(&u, LCR, 0x03);
    ck_assert_uint_eq(k.len, 0); /* writing DLL sent nothing */
    /* FIFO enable shows in IIR's top bits: a 16550A. */
    serial_write(&u, FCR, 0x07);
    ck_assert_uint_eq(serial_read(&u, IIR) & 0xc0, 0xc0);
}
END_TEST

START_TEST(test_loopback)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    /* The 8250 probe: MCR = LOOP|OUT2|RTS must read back CTS|DCD in MSR. */
    serial_write(&u, MCR, 0x1a);
    ck_assert_uint_eq(serial_read(&u, MSR) & 0xf0, 0x90);
    serial_write(&u, MCR, 0x1f);
    ck_assert_uint_eq(serial_read(&u, MSR) & 0xf0, 0xf0);
    /* Loopback sends TX to RX, not to the output. */
    serial_write(&u, THR, 'z');
    ck_assert_uint_eq(k.len, 0);
    ck_assert(serial_read(&u, LSR) & 0x01);
    ck_assert_uint_eq(serial_read(&u, THR), 'z');
    serial_write(&u, MCR, 0x0b);
    ck_assert_uint_eq(serial_read(&u, MSR) & 0xf0, 0xb0);
}
END_TEST

START_TEST(test_receive_interrupt)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    ck_assert_uint_eq(serial_push_input(&u, (const uint8_t *)"hi", 2), 2);
    ck_assert_int_eq(k.level, 0); /* not enabled yet */
    serial_write(&u, IER, 0x01);
    ck_assert_int_eq(k.level, 1);
    ck_assert_uint_eq(serial_read(&u, IIR) & 0x0f, 0x04);
    ck_assert_uint_eq(serial_read(&u, THR), 'h');
    ck_assert_int_eq(k.level, 1);
    ck_assert_uint_eq(serial_read(&u, THR), 'i');
    ck_assert_int_eq(k.level, 0);
    ck_assert_uint_eq(serial_read(&u, LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_thre_interrupt)
{
    struct serial u;
    struct sink k = {0};

    serial_init(&u, sink_out, sink_irq, &k);
    /* Enabling THRI with an empty THR raises it at once... */
    serial_write(&u, IER, 0x02);
    ck_assert_int_eq(k.level, 1);
    /* ...and reading IIR (which reports it) acknowledges it. */
    ck_assert_uint_eq(serial_read(&u, IIR) & 0x0f, 0x02);
    ck_assert_int_eq(k.level, 0);
    ck_assert_uint_eq(serial_read(&u, IIR) & 0x0f, 0x01);
    /* Each transmitted byte raises it again. */
    serial_write(&u, THR, 'x');
    ck_assert_int_eq(k.level, 1);
}
END_TEST

START_TEST(test_rx_buffer_bounded)
{
    struct serial u;
    struct sink k = {0};
    static uint8_t big[SERIAL_RX_BUF + 100];

    serial_init(&u, sink_out, sink_irq, &k);
    memset(big, 'a', sizeof(big));
    ck_assert_uint_eq(serial_push_input(&u, big, sizeof(big)), SERIAL_RX_BUF);
    ck_assert_uint_eq(serial_input_room(&u), 0);
    serial_read(&u, THR);
    ck_assert_uint_eq(serial_input_room(&u), 1);
    /* FCR "clear RX FIFO" empties it. */
    serial_write(&u, FCR, 0x03);
    ck_assert_uint_eq(serial_input_room(&u), SERIAL_RX_BUF);
}
END_TEST

static void count_room(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_room_callback_after_full)
{
    struct serial u;
    static uint8_t big[SERIAL_RX_BUF];
    int calls = 0;

    serial_init(&u, NULL, NULL, &calls);
    u.room = count_room;
    memset(big, 'b', sizeof(big));
    serial_push_input(&u, big, 10);
    serial_read(&u, THR);
    ck_assert_int_eq(calls, 0); /* never full: nobody is waiting */
    serial_push_input(&u, big, sizeof(big));
    ck_assert_uint_eq(serial_input_room(&u), 0);
    serial_read(&u, THR);
    ck_assert_int_eq(calls, 1); /* full -> room: the input side resumes */
    serial_read(&u, THR);
    ck_assert_int_eq(calls, 1); /* once per transition */
    serial_push_input(&u, big, 2);
    ck_assert_uint_eq(serial_input_room(&u), 0);
    serial_write(&u, FCR, 0x03); /* clearing a full FIFO also makes room */
    ck_assert_int_eq(calls, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serial");
    TCase *tc = tcase_create("16550a");

    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_transmit);
    tcase_add_test(tc, test_probe_registers);
    tcase_add_test(tc, test_loopback);
    tcase_add_test(tc, test_receive_interrupt);
    tcase_add_test(tc, test_thre_interrupt);
    tcase_add_test(tc, test_rx_buffer_bounded);
    tcase_add_test(tc, test_room_callback_after_full);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
