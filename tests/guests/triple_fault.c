/* Loads an empty IDT and raises #UD: no handler, no double-fault handler,
 * so the CPU shuts down (triple fault). gmvm must report it as such. */
#include "tests/guests/guest.h"

GUEST_ENTRY
{
    static const struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } empty_idt = {0, 0};

    serial_puts("about to triple-fault\n");
    __asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
    for (;;)
        ;
}
