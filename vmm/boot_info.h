/*
 * What a kernel loader tells the vCPU setup: the entry mode, entry point and
 * the register values that the boot protocol defines.
 */
#ifndef GMVM_BOOT_INFO_H
#define GMVM_BOOT_INFO_H

#include <stdint.h>

enum boot_mode {
    BOOT_MODE_NONE = 0,
    /* 32-bit protected mode, flat segments, paging off (PVH entry state):
     * EIP = entry, EBX = start_info/first argument. */
    BOOT_MODE_PROT32,
    /* 64-bit long mode, identity-mapped page tables, flat segments (the
     * Linux 64-bit boot protocol): RIP = entry, RSI = boot_params. */
    BOOT_MODE_LONG64,
};

struct boot_info {
    enum boot_mode mode;
    uint64_t entry;
    uint64_t arg;    /* EBX (PROT32) or RSI (LONG64) */
    uint64_t stack;  /* initial ESP/RSP, 0 = leave 0 */
    int linux_guest; /* nonzero: Linux machine (irqchip, ACPI, MP) */
};

#endif
