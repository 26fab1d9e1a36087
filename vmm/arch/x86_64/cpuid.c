/*
 * CPUID: start from what KVM supports and fill in what only the VMM knows:
 * per-vCPU APIC IDs, the topology, and the hypervisor bit.
 */
#include "vmm/arch/x86_64/cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256

#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_HTT        (1u << 28)

/* Number of bits needed to hold @n distinct IDs (0 for n <= 1). */
static unsigned id_bits(unsigned n)
{
    unsigned bits = 0;

    while ((1u << bits) < n)
        bits++;
    return bits;
}

static struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
    struct kvm_cpuid2 *cpuid;

    cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
    if (!cpuid)
        return NULL;
    cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
        int saved = errno;
        free(cpuid);
        errno = saved;
        return NULL;
    }
    return cpuid;
}

/*
 * One package, one core per vCPU, no SMT: the simplest topology that gives
 * every vCPU a distinct APIC ID equal to its index (the MADT says the same).
 */
static void cpuid_fill_topology(struct kvm_cpuid_entry2 *e, unsigned id, unsigned nr)
{
    switch (e->function) {
    case 1:
        e->ebx = (e->ebx & 0x0000ffffu) | (id << 24) | ((nr & 0xff) << 16);
        e->ecx |= CPUID1_ECX_HYPERVISOR;
        if (nr > 1)
            e->edx |= CPUID1_EDX_HTT;
        break;
    case 0xb:
    case 0x1f:
        /* Level 0: SMT (1 thread/core); level 1: core (nr cores/package). */
        e->edx = id;
        if (e->index == 0) {
            e->eax = 0;
            e->ebx = 1;
            e->ecx = (1u << 8) | e->index;
        } else if (e->index == 1) {
            e->eax = id_bits(nr);
            e->ebx = nr;
            e->ecx = (2u << 8) | e->index;
        } else {
            e->eax = e->ebx = 0;
            e->ecx = e->index;
        }
        break;
    case 4:
        /* Intel deterministic cache leaf: cores per package - 1 in 31:26. */
        if (e->eax & 0x1f)
            e->eax = (e->eax & 0x03ffffffu) | ((nr - 1) << 26);
        break;
    case 0x80000008:
        /* AMD: NC = cores per package - 1, ApicIdCoreIdSize. */
        e->ecx = (e->ecx & ~0xf0ffu) | ((nr - 1) & 0xff) | (id_bits(nr) << 12);
        break;
    default:
        break;
    }
}

int x86_setup_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr_vcpus)
{
    struct kvm_cpuid2 *cpuid = cpuid_get_supported(kvm_fd);
    int ret = 0;

    if (!cpuid)
        return -errno;
    for (unsigned i = 0; i < cpuid->nent; i++)
        cpuid_fill_topology(&cpuid->entries[i], id, nr_vcpus);
    if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
        ret = -errno;
    free(cpuid);
    return ret;
}
