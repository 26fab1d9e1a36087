/*
 * libFuzzer harness for the kernel loaders (boot/): the input is the whole
 * "kernel file". It is put in a memfd and handed to boot_load() by its
 * /proc/self/fd path, exactly as --kernel would, over a 32 MiB fake guest
 * RAM with one virtio-mmio device and 2 vCPUs (so ACPI and the cmdline are
 * built for Linux images). bzImage, ELF64 (PVH and plain) and ELF32 paths
 * are all reachable; ASan catches any access outside the input or RAM.
 * Every accepted image must leave a sane boot_info behind.
 */
#include "boot/loader.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    static int fd = -1;
    static char path[64];
    static const struct boot_mmio_dev dev = {
        .base = 0xd0000000, .size = 0x1000, .gsi = 5};
    struct boot_config cfg = {
        .kernel_path = path,
        .cmdline = "console=ttyS0",
        .nr_vcpus = 2,
        .mmio_devs = &dev,
        .nr_mmio_devs = 1,
        .pvpanic = true,
    };
    struct guest_mem gm;
    struct boot_info bi;
    char err[256];

    if (!ram) {
        ram = malloc(RAM_SIZE);
        fd = memfd_create("fuzz-kernel", 0);
        assert(ram && fd >= 0);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    gm_init_fake(&gm, ram, 0, RAM_SIZE);
    if (boot_load(&gm, &cfg, &bi, err, sizeof(err)) == 0) {
        assert(bi.mode == BOOT_MODE_PROT32 || bi.mode == BOOT_MODE_LONG64);
        assert(bi.entry < RAM_SIZE);
    } else {
        /* A refusal is one line, and says why. */
        assert(err[0] != '\0' && !strchr(err, '\n'));
    }
    return 0;
}
