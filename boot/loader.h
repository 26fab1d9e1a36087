/*
 * Kernel loading for x86_64 guests: the one entry point that the machine
 * setup calls after guest RAM exists and before vCPUs are created.
 *
 * boot_load() reads the kernel file, detects its format and loads it:
 *   - a Linux bzImage, booted through the 64-bit boot protocol
 *     (boot_params "zero page", BOOT_MODE_LONG64);
 *   - an ELF64 x86-64 vmlinux, through its Xen PVH entry note when it has one
 *     (hvm_start_info, BOOT_MODE_PROT32) or else its plain 64-bit entry;
 *   - an ELF32 i386 executable: a bare "tiny guest" program, no Linux, no
 *     ACPI, entered in 32-bit protected mode with a stack.
 * For Linux guests it also writes the command line, places the initrd, and
 * builds the ACPI tables (boot/acpi.h) describing vCPUs and devices.
 *
 * Everything it writes goes through guest_mem.h, at the addresses of
 * vmm/arch/x86_64/layout.h. The page tables and GDT are not written here:
 * arch setup builds them from the returned boot_info.
 */
#ifndef GMVM_BOOT_LOADER_H
#define GMVM_BOOT_LOADER_H

#include "vmm/boot_info.h"
#include "vmm/guest_mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most vCPUs the ACPI tables can describe (xAPIC IDs 0..254). */
#define BOOT_MAX_VCPUS 254
/* Most virtio-mmio devices the DSDT and command line describe. */
#define BOOT_MAX_MMIO_DEVS 32
/* Longest Linux command line gmvm passes, without the NUL. A bzImage's own
 * cmdline_size may lower it; x86 Linux keeps COMMAND_LINE_SIZE = 2048. */
#define BOOT_LINUX_CMDLINE_MAX 2047

/* A virtio-mmio device window and the GSI its interrupt is wired to. */
struct boot_mmio_dev {
    uint64_t base;
    uint64_t size;
    unsigned gsi;
};

struct boot_config {
    const char *kernel_path;               /* required */
    const char *initrd_path;               /* NULL: no initrd */
    const char *cmdline;                   /* NULL = "" */
    unsigned nr_vcpus;                     /* 1..BOOT_MAX_VCPUS; 0 counts as 1 */
    const struct boot_mmio_dev *mmio_devs; /* nr_mmio_devs entries */
    unsigned nr_mmio_devs;                 /* 0..BOOT_MAX_MMIO_DEVS */
    bool pvpanic;                          /* describe the pvpanic port in ACPI */
};

/*
 * Load the kernel named by @cfg into @gm and fill @bi (mode, entry, arg,
 * stack, linux_guest; the other fields are zeroed). @gm must cover at least
 * [0, 1 MiB) plus room for the kernel.
 *
 * For Linux guests the command line becomes cfg->cmdline followed by one
 * " virtio_mmio.device=<size>K@0x<base>:<gsi>" per mmio device.
 *
 * Returns 0, or a negative errno with one line in @err (never longer than
 * @errlen, always NUL-terminated when errlen > 0) naming the bad input and
 * what is accepted:
 *   -ENOENT/-EACCES/-EISDIR...  a file could not be opened or read
 *   -ENOEXEC   not a bzImage, ELF64 x86-64 or ELF32 i386 file, or corrupt
 *   -ENOSPC    kernel, initrd or tables do not fit in guest RAM
 *   -E2BIG     command line too long
 *   -EINVAL    bad configuration (vCPU count, device list, ...)
 */
int boot_load(struct guest_mem *gm, const struct boot_config *cfg, struct boot_info *bi,
              char *err, size_t errlen);

#endif
