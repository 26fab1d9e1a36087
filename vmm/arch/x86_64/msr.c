/*
 * Boot-time MSRs and the local APIC's LINT pins.
 */
#include "vmm/arch/x86_64/cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define MSR_IA32_TSC          0x10
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102

#define MISC_ENABLE_FAST_STRING 1ULL
/* MTRRs enabled, default type write-back: all RAM cacheable. */
#define MTRR_DEF_TYPE_E_WB ((1ULL << 11) | 6ULL)

static const struct kvm_msr_entry boot_msrs[] = {
    {.index = MSR_IA32_SYSENTER_CS},
    {.index = MSR_IA32_SYSENTER_ESP},
    {.index = MSR_IA32_SYSENTER_EIP},
    {.index = MSR_STAR},
    {.index = MSR_CSTAR},
    {.index = MSR_KERNEL_GS_BASE},
    {.index = MSR_SYSCALL_MASK},
    {.index = MSR_LSTAR},
    {.index = MSR_IA32_TSC},
    {.index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING},
    {.index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_TYPE_E_WB},
};

#define NR_BOOT_MSRS (sizeof(boot_msrs) / sizeof(boot_msrs[0]))

int x86_setup_msrs(int vcpu_fd)
{
    struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + sizeof(boot_msrs));
    int ret;

    if (!msrs)
        return -ENOMEM;
    msrs->nmsrs = NR_BOOT_MSRS;
    memcpy(msrs->entries, boot_msrs, sizeof(boot_msrs));
    ret = ioctl(vcpu_fd, KVM_SET_MSRS, msrs);
    free(msrs);
    /* KVM_SET_MSRS returns how many it set; fewer means one was refused. */
    if (ret < 0)
        return -errno;
    return (unsigned)ret == NR_BOOT_MSRS ? 0 : -EINVAL;
}

#define APIC_LVT_LINT0   0x350
#define APIC_LVT_LINT1   0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static void lapic_set_delivery_mode(struct kvm_lapic_state *lapic, unsigned reg,
                                    unsigned mode)
{
    uint32_t v;

    memcpy(&v, &lapic->regs[reg], sizeof(v));
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&lapic->regs[reg], &v, sizeof(v));
}

int x86_setup_lapic(int vcpu_fd)
{
    struct kvm_lapic_state lapic;

    if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
        return -errno;
    lapic_set_delivery_mode(&lapic, APIC_LVT_LINT0, APIC_MODE_EXTINT);
    lapic_set_delivery_mode(&lapic, APIC_LVT_LINT1, APIC_MODE_NMI);
    return ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0 ? -errno : 0;
}
