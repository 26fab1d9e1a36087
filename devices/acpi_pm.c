/*
 * Hardware-reduced ACPI power management: the FADT's sleep control, sleep
 * status and reset registers, at the ports layout.h fixes. Writing SLP_EN
 * with the S5 sleep type powers the VM off; the reset value reboots it. gmvm
 * ends the VM with status 0 either way: a reboot is the caller's to redo.
 */
#include "devices/platform.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/bus.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define SLP_EN     (1u << 5)
#define SLP_TYP(v) (((v) >> 2) & 0x7)

static void acpi_pm_write(void *opaque, uint64_t offset, const uint8_t *data,
                          uint32_t len)
{
    struct vm *vm = opaque;
    uint64_t port = X86_ACPI_SLEEP_CTL_PORT + offset;

    if (port == X86_ACPI_SLEEP_CTL_PORT && (data[0] & SLP_EN) &&
        SLP_TYP(data[0]) == X86_ACPI_S5_SLP_TYP) {
        log_info("guest powered off (ACPI S5)");
        vm_request_stop(vm, GMVM_EXIT_OK);
    } else if (port == X86_ACPI_RESET_PORT && data[0] == X86_ACPI_RESET_VALUE) {
        log_info("guest requested a reboot (ACPI reset register); ending the VM");
        vm_request_stop(vm, GMVM_EXIT_OK);
    }
}

static const struct bus_ops acpi_pm_ops = {.read = bus_read_zeros,
                                           .write = acpi_pm_write};

int acpi_pm_attach(struct vm *vm)
{
    return bus_register(&vm->pio, X86_ACPI_SLEEP_CTL_PORT,
                        X86_ACPI_RESET_PORT - X86_ACPI_SLEEP_CTL_PORT + 1, &acpi_pm_ops,
                        vm, "acpi-pm");
}
