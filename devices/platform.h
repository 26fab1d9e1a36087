/*
 * Small x86 platform devices that end or report on the VM:
 *   i8042   - the keyboard controller's CPU reset line (ports 0x60, 0x64)
 *   acpi_pm - hardware-reduced ACPI sleep control/status and reset registers
 *   pvpanic - the guest's panic notifier (port 0x505, ACPI "QEMU0001")
 * Each registers itself on the VM's PIO bus.
 */
#ifndef GMVM_PLATFORM_H
#define GMVM_PLATFORM_H

struct vm;

int i8042_attach(struct vm *vm);
int acpi_pm_attach(struct vm *vm);
int pvpanic_attach(struct vm *vm);

#endif
