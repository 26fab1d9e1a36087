/*
 * The tiny-guest runtime: port I/O, a polled COM1 writer and the ucall port
 * through which a guest reports a value to the test (as in KVM selftests).
 * Guests are freestanding 32-bit C, no libc.
 */
#ifndef GMVM_TEST_GUEST_H
#define GMVM_TEST_GUEST_H

#include <stdint.h>

#include "tests/guests/guest_abi.h"

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void serial_putc(char c)
{
    while (!(inb(0x3f8 + 5) & 0x20)) /* LSR.THRE */
        ;
    outb(0x3f8, (uint8_t)c);
}

static inline void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

/* Report @value to the host test, then stop with HLT. */
static inline __attribute__((noreturn)) void ucall_done(uint32_t value)
{
    outl(GUEST_UCALL_PORT, value);
    for (;;)
        __asm__ volatile("cli; hlt");
}

#define GUEST_ENTRY __attribute__((section(".text.start"), noreturn)) void _start(void)

#endif
