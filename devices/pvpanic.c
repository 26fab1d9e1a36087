/*
 * pvpanic: the guest kernel writes PANICKED to this port from its panic
 * notifier, so a guest panic ends gmvm with GMVM_EXIT_GUEST_PANIC instead of
 * looking like a normal reboot. Reading the port returns the events we
 * support (the guest driver checks it).
 */
#include "devices/platform.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/bus.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define PVPANIC_PANICKED     (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

static void pvpanic_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    data[0] = PVPANIC_PANICKED;
    for (uint32_t i = 1; i < len; i++)
        data[i] = 0;
}

static void pvpanic_write(void *opaque, uint64_t offset, const uint8_t *data,
                          uint32_t len)
{
    struct vm *vm = opaque;

    if (data[0] & PVPANIC_PANICKED) {
        log_err("guest kernel panicked (pvpanic)");
        vm_request_stop(vm, GMVM_EXIT_GUEST_PANIC);
    }
}

static const struct bus_ops pvpanic_ops = {.read = pvpanic_read, .write = pvpanic_write};

int pvpanic_attach(struct vm *vm)
{
    return bus_register(&vm->pio, X86_PVPANIC_PORT, 1, &pvpanic_ops, vm, "pvpanic");
}
