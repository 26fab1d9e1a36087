/*
 * The virtio-mmio devices of a machine: planned (window + GSI per device)
 * before the kernel is loaded, so the ACPI tables can list them, attached
 * after the irqchip exists, and flushed/detached at teardown.
 */
#ifndef GMVM_MACHINE_DEVICES_H
#define GMVM_MACHINE_DEVICES_H

#include "boot/loader.h"
#include "vmm/config.h"

#include <stddef.h>

struct vm;
struct virtio_dev;
struct virtio_mmio;
struct virtio_blk_spec;

/* Max virtio devices: GSIs 5..23 of the IOAPIC. */
#define MACHINE_MAX_VIRTIO 19

enum machine_dev_kind { MACHINE_DEV_BLK, MACHINE_DEV_RNG };

struct machine_devices {
    unsigned nr_windows;
    struct boot_mmio_dev windows[MACHINE_MAX_VIRTIO];
    enum machine_dev_kind kinds[MACHINE_MAX_VIRTIO];
    const struct virtio_blk_spec *disks[MACHINE_MAX_VIRTIO]; /* blk only, else NULL */
    struct virtio_mmio *attached[MACHINE_MAX_VIRTIO];
};

/* Assign windows and GSIs in command-line order: disks, then rng. */
int machine_devices_plan(struct machine_devices *devs, const struct vm_config *cfg,
                         char *err, size_t errlen);

/* Create each planned device and attach it to @vm. */
int machine_devices_attach(struct machine_devices *devs, struct vm *vm, char *err,
                           size_t errlen);

/*
 * Flush every device's backing store and detach it. Returns 0, or a
 * negative errno if some flush failed (data may be lost: the caller says so
 * in the exit status). Safe on a zeroed struct.
 */
int machine_devices_shutdown(struct machine_devices *devs);

#endif
