/* Prints one line on COM1, then halts (no irqchip: gmvm ends with status 10). */
#include "tests/guests/guest.h"

GUEST_ENTRY
{
    serial_puts("hello from a guest_memfd guest\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}
