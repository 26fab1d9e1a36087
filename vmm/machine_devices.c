/*
 * Virtio device planning and wiring. See machine_devices.h.
 */
#include "vmm/machine_devices.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/rng.h"
#include "vmm/arch.h"
#include "vmm/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void plan_one(struct machine_devices *devs, enum machine_dev_kind kind,
                     const struct virtio_blk_spec *disk)
{
    unsigned i = devs->nr_windows++;

    devs->windows[i] = (struct boot_mmio_dev){
        .base = arch_mmio_dev_base(i),
        .size = VIRTIO_MMIO_SIZE,
        .gsi = arch_mmio_dev_gsi(i),
    };
    devs->kinds[i] = kind;
    devs->disks[i] = disk;
}

int machine_devices_plan(struct machine_devices *devs, const struct vm_config *cfg,
                         char *err, size_t errlen)
{
    memset(devs, 0, sizeof(*devs));
    if (cfg->nr_disks + (cfg->rng ? 1 : 0) > MACHINE_MAX_VIRTIO) {
        snprintf(err, errlen, "too many virtio devices: at most %d", MACHINE_MAX_VIRTIO);
        return -EINVAL;
    }
    for (unsigned i = 0; i < cfg->nr_disks; i++)
        plan_one(devs, MACHINE_DEV_BLK, &cfg->disks[i]);
    if (cfg->rng)
        plan_one(devs, MACHINE_DEV_RNG, NULL);
    return 0;
}

static struct virtio_dev *create_one(enum machine_dev_kind kind,
                                     const struct virtio_blk_spec *disk, char *err,
                                     size_t errlen)
{
    struct virtio_dev *dev = NULL;
    int ret;

    switch (kind) {
    case MACHINE_DEV_BLK:
        ret = virtio_blk_create(disk, &dev, err, errlen);
        break;
    case MACHINE_DEV_RNG:
        ret = virtio_rng_create(&dev);
        if (ret < 0)
            snprintf(err, errlen, "--rng: cannot create the device: %s", strerror(-ret));
        break;
    default:
        ret = -EINVAL;
        snprintf(err, errlen, "unknown device kind %d", kind);
    }
    return ret < 0 ? NULL : dev;
}

int machine_devices_attach(struct machine_devices *devs, struct vm *vm, char *err,
                           size_t errlen)
{
    for (unsigned i = 0; i < devs->nr_windows; i++) {
        struct virtio_dev *dev = create_one(devs->kinds[i], devs->disks[i], err, errlen);
        int ret;

        if (!dev)
            return -EINVAL;
        ret = virtio_mmio_attach(vm, dev, devs->windows[i].base, devs->windows[i].gsi,
                                 &devs->attached[i]);
        if (ret < 0) {
            virtio_dev_destroy(dev);
            snprintf(err, errlen, "cannot attach virtio device %u: %s", i,
                     strerror(-ret));
            return ret;
        }
    }
    return 0;
}

int machine_devices_shutdown(struct machine_devices *devs)
{
    int ret = 0;

    for (unsigned i = 0; i < devs->nr_windows; i++) {
        /* Detaching flushes (fdatasync) and frees the device. */
        if (devs->attached[i] && virtio_mmio_detach(devs->attached[i]) < 0) {
            log_err(
                "virtio device %u: flush failed: data written by the guest may be lost",
                i);
            ret = -EIO;
        }
        devs->attached[i] = NULL;
    }
    return ret;
}
