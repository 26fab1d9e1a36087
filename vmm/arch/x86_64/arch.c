/*
 * The x86_64 implementation of vmm/arch.h.
 */
#include "vmm/arch.h"
#include "vmm/arch/x86_64/cpu.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

int arch_vm_init(struct vm *vm)
{
    uint64_t identity = X86_IDENTITY_MAP_ADDR;
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

    /* Intel VMX needs these two pages for real-mode emulation; harmless on
     * AMD. They sit in the MMIO hole, outside RAM. */
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)X86_TSS_ADDR) < 0)
        return -errno;
    if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
        return -errno;
    if (!vm->boot.linux_guest)
        return 0; /* bare programs: HLT exits to us, no interrupts */
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return -errno;
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        return -errno;
    vm->has_irqchip = true;
    return 0;
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu)
{
    int ret = x86_setup_cpuid(vm->kvm_fd, vcpu->fd, vcpu->id, vm->nr_vcpus_planned);

    if (ret < 0)
        return ret;
    ret = x86_setup_msrs(vcpu->fd);
    if (ret < 0)
        return ret;
    ret = x86_setup_fpu(vcpu->fd);
    if (ret < 0)
        return ret;
    if (vm->has_irqchip) {
        ret = x86_setup_lapic(vcpu->fd);
        if (ret < 0)
            return ret;
    }
    /* Application processors wait for INIT/SIPI from the boot CPU, the
     * state KVM gives them when there is an in-kernel LAPIC. */
    if (vcpu->id == 0)
        ret = x86_setup_boot_regs(vcpu->fd, &vm->gm, &vm->boot);
    return ret;
}

void arch_vcpu_describe(struct vcpu *vcpu, char *buf, unsigned long len)
{
    x86_describe_regs(vcpu->fd, buf, len);
}

uint64_t arch_mmio_dev_base(unsigned index)
{
    return X86_MMIO_DEV_BASE + (uint64_t)index * X86_MMIO_DEV_SIZE;
}

unsigned arch_mmio_dev_gsi(unsigned index)
{
    return X86_FIRST_DEVICE_GSI + index;
}
