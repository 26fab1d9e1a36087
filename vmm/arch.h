/*
 * The architecture interface. Generic code calls only these; each arch folder
 * (vmm/arch/x86_64, later arm64) implements them. No #ifdef in callers.
 */
#ifndef GMVM_ARCH_H
#define GMVM_ARCH_H

#include <stdint.h>

struct vm;
struct vcpu;

/* VM-wide setup before vCPUs exist (TSS, and for Linux guests the irqchip). */
int arch_vm_init(struct vm *vm);

/*
 * Per-vCPU setup after vm->boot is filled: CPUID, MSRs, registers for the
 * boot protocol (vCPU 0) or the wait-for-SIPI state (others).
 */
int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu);

/* Describe the vCPU's key registers in @buf (for the one line that reports
 * a fatal exit). Leaves @buf empty if they cannot be read. */
void arch_vcpu_describe(struct vcpu *vcpu, char *buf, unsigned long len);

/* The base of the MMIO window for virtio device @index (0-based). */
uint64_t arch_mmio_dev_base(unsigned index);
/* The interrupt line (GSI) for virtio device @index. */
unsigned arch_mmio_dev_gsi(unsigned index);

#endif
