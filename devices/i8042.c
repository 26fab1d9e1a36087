/*
 * The part of the i8042 keyboard controller a VM needs: the command that
 * pulses the CPU reset line (Linux "reboot=k", and a fallback of the others).
 * There is no keyboard: the status port reports an empty output buffer.
 */
#include "devices/platform.h"
#include "vmm/bus.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
#define I8042_CMD_RESET 0xfe

static void i8042_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct vm *vm = opaque;

    if (offset == I8042_CMD_PORT - I8042_DATA_PORT && data[0] == I8042_CMD_RESET) {
        log_info("guest requested a reset through the i8042; ending the VM");
        vm_request_stop(vm, GMVM_EXIT_OK);
    }
}

/* Status and data both read 0: nothing to read, ready for input. */
static const struct bus_ops i8042_ops = {.read = bus_read_zeros, .write = i8042_write};

int i8042_attach(struct vm *vm)
{
    /* 0x60..0x64 as one range; 0x61 (PC speaker/NMI status) reads 0 too. */
    return bus_register(&vm->pio, I8042_DATA_PORT, I8042_CMD_PORT - I8042_DATA_PORT + 1,
                        &i8042_ops, vm, "i8042");
}
