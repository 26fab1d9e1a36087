/*
 * CPUID: start from what KVM supports and fill in what only the VMM knows:
 * per-vCPU APIC IDs, the topology, and the hypervisor bit.
 */
#include "vmm/arch/x86_64/cpu.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <stdbool.h>
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

static struct kvm_cpuid2 *cpuid_query_supported(int kvm_fd)
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
 * XSAVE: gmvm offers at most x87, SSE and AVX state, in the standard
 * (non-compacted) format, and rewrites leaf 0xD to say exactly that.
 *
 * Why: KVM passes the host's leaf 0xD component table through, and computes
 * CPUID.(0xD,0).EBX at run time from the host's table for the XCR0 the guest
 * set. On hosts whose table is inconsistent (QEMU TCG's emulated SVM, as in
 * the nested test harness: the AVX component is reported with size 0) a
 * stock 7.x guest finds "XSAVE consistency problem" and oopses in
 * fpu__init_system_xstate. The legacy area (512 bytes), the XSAVE header
 * (64) and AVX's upper halves (256 bytes at 576) are architectural, so when
 * the host's AVX entry matches them AVX is offered, otherwise it is hidden
 * (with the features that need it) and the guest runs with x87/SSE state.
 * AVX-512, AMX and PKRU state are never offered, so their features are
 * hidden too: a guest must not see a feature whose state it cannot save.
 *
 * On a host that is itself QEMU TCG (brand string "QEMU TCG CPU", the nested
 * test harness) XSAVE is hidden altogether, as the guest's "noxsave" would:
 * TCG's emulated SVM does not intercept the nested guest's XSETBV, so the
 * host KVM never learns the guest's XCR0 and its CPUID.(0xD,0).EBX stays at
 * 576 after the guest enabled AVX (measured: "XSAVE consistency problem:
 * size 832 != kernel_size 576", then an oops, with a consistent table).
 */
#define XFEATURE_MASK_FP_SSE 0x3u
#define XFEATURE_MASK_YMM    (1u << 2)
#define XSAVE_AVX_OFFSET     576u
#define XSAVE_AVX_SIZE       256u

#define CPUID1_ECX_FMA  (1u << 12)
#define CPUID1_ECX_AVX  (1u << 28)
#define CPUID1_ECX_F16C (1u << 29)
/* Leaf 7.0: AVX2 and every AVX-512 bit in EBX; AVX-512/VAES/PKU in ECX;
 * AVX-512 and AMX in EDX. Leaf 7.1 EAX: AVX-VNNI, AVX512-BF16. */
#define CPUID7_EBX_AVX2       (1u << 5)
#define CPUID7_EBX_AVX512     0xdc230000u
#define CPUID7_ECX_PKU_OSPKE  0x00000018u
#define CPUID7_ECX_AVX512     0x00005e42u
#define CPUID7_EDX_AVX512_AMX 0x0380010cu
#define CPUID7_1_EAX_AVX      0x00000030u

#define CPUID1_ECX_XSAVE   (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)

struct xsave_plan {
    bool xsave;    /* XSAVE offered at all */
    uint32_t xcr0; /* state components offered */
};

/* True when gmvm itself runs on QEMU's TCG emulator (see above). */
static bool host_is_qemu_tcg(void)
{
    uint32_t brand[12];

    if (__get_cpuid_max(0x80000000, NULL) < 0x80000004)
        return false;
    for (unsigned i = 0; i < 3; i++)
        __cpuid(0x80000002 + i, brand[i * 4], brand[i * 4 + 1], brand[i * 4 + 2],
                brand[i * 4 + 3]);
    return memcmp(brand, "QEMU TCG CPU", 12) == 0;
}

static struct xsave_plan cpuid_plan_xsave(const struct kvm_cpuid2 *cpuid)
{
    uint32_t host_xcr0 = 0;
    bool avx = false, avx_entry_ok = false;

    for (unsigned i = 0; i < cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

        if (e->function == 1)
            avx = e->ecx & CPUID1_ECX_AVX;
        if (e->function == 0xd && e->index == 0)
            host_xcr0 = e->eax;
        if (e->function == 0xd && e->index == 2)
            avx_entry_ok = e->eax == XSAVE_AVX_SIZE && e->ebx == XSAVE_AVX_OFFSET;
    }
    if (host_is_qemu_tcg())
        return (struct xsave_plan){.xsave = false, .xcr0 = 0};
    if (avx && avx_entry_ok)
        return (struct xsave_plan){.xsave = true,
                                   .xcr0 = host_xcr0 &
                                           (XFEATURE_MASK_FP_SSE | XFEATURE_MASK_YMM)};
    return (struct xsave_plan){.xsave = true, .xcr0 = host_xcr0 & XFEATURE_MASK_FP_SSE};
}

static void cpuid_apply_xsave(struct kvm_cpuid_entry2 *e, struct xsave_plan plan)
{
    bool ymm = plan.xcr0 & XFEATURE_MASK_YMM;

    if (e->function == 1 && !ymm)
        e->ecx &= ~(CPUID1_ECX_AVX | CPUID1_ECX_FMA | CPUID1_ECX_F16C);
    if (e->function == 1 && !plan.xsave)
        e->ecx &= ~(CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE);
    if (e->function == 7 && e->index == 0) {
        e->ebx &= ~(CPUID7_EBX_AVX512 | (ymm ? 0 : CPUID7_EBX_AVX2));
        e->ecx &= ~(CPUID7_ECX_AVX512 | CPUID7_ECX_PKU_OSPKE);
        e->edx &= ~CPUID7_EDX_AVX512_AMX;
    }
    if (e->function == 7 && e->index == 1 && !ymm)
        e->eax &= ~CPUID7_1_EAX_AVX;
    if (e->function != 0xd)
        return;
    if (!plan.xsave) {
        e->eax = e->ebx = e->ecx = e->edx = 0;
        return;
    }
    switch (e->index) {
    case 0:
        e->eax = plan.xcr0;
        e->edx = 0;
        /* ECX: size for all offered states; EBX: for those enabled in XCR0
         * (KVM recomputes EBX when the guest writes XCR0). */
        e->ecx = ymm ? XSAVE_AVX_OFFSET + XSAVE_AVX_SIZE : XSAVE_AVX_OFFSET;
        e->ebx = e->ecx;
        break;
    case 1:
        /* XSAVEOPT only: no compacted format, no supervisor states. */
        e->eax &= 0x1;
        e->ebx = e->ecx = e->edx = 0;
        break;
    case 2:
        e->eax = ymm ? XSAVE_AVX_SIZE : 0;
        e->ebx = ymm ? XSAVE_AVX_OFFSET : 0;
        e->ecx = e->edx = 0;
        break;
    default:
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    }
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

/*
 * The VM-wide CPUID: what KVM supports, with the XSAVE plan applied. Its
 * inputs (KVM_GET_SUPPORTED_CPUID, ~0.5 ms here, and the host CPU) cannot
 * change while the process lives, so it is built once; each vCPU gets a copy
 * with its own topology filled in (vCPUs are created from one thread).
 */
static struct kvm_cpuid2 *vm_cpuid;

static struct kvm_cpuid2 *cpuid_for_vcpu(int kvm_fd)
{
    size_t size =
        sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *cpuid;

    if (!vm_cpuid) {
        struct xsave_plan xsave;

        vm_cpuid = cpuid_query_supported(kvm_fd);
        if (!vm_cpuid)
            return NULL;
        xsave = cpuid_plan_xsave(vm_cpuid);
        for (unsigned i = 0; i < vm_cpuid->nent; i++)
            cpuid_apply_xsave(&vm_cpuid->entries[i], xsave);
    }
    cpuid = malloc(size);
    if (!cpuid)
        return NULL;
    memcpy(cpuid, vm_cpuid, size);
    return cpuid;
}

int x86_setup_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr_vcpus)
{
    struct kvm_cpuid2 *cpuid = cpuid_for_vcpu(kvm_fd);
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
