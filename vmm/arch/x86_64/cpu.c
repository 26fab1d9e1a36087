/*
 * x86 boot register state: the flat GDT, identity page tables, and the
 * registers each boot protocol defines at kernel entry.
 *
 * PROT32 (PVH and bare ELF32 programs): CR0.PE=1, paging off, flat 4 GiB
 * code/data segments, EIP = entry, EBX = start_info.
 * LONG64 (Linux 64-bit boot protocol): CR0.PG|PE, CR4.PAE, EFER.LME|LMA,
 * identity map of the first 4 GiB, RIP = entry, RSI = boot_params.
 */
#include "vmm/arch/x86_64/cpu.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE   (1ULL << 0)
#define CR0_ET   (1ULL << 4)
#define CR0_PG   (1ULL << 31)
#define CR4_PAE  (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

/* GDT entries: null, null, code32/64 at 0x10, data at 0x18, TSS at 0x20. */
enum { GDT_NULL, GDT_UNUSED, GDT_CODE, GDT_DATA, GDT_TSS, GDT_ENTRIES };

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ff) << 40) |
           ((uint64_t)(limit & 0x000f0000u) << 32) |
           ((uint64_t)(base & 0x00ffffffu) << 16) | (uint64_t)(limit & 0x0000ffffu);
}

/* The kvm_segment matching a GDT entry, as the CPU would cache it. */
static struct kvm_segment gdt_to_segment(uint64_t entry, unsigned index)
{
    struct kvm_segment s = {
        .base = ((entry >> 16) & 0xffffff) | (((entry >> 56) & 0xff) << 24),
        .limit = (uint32_t)((entry & 0xffff) | (((entry >> 48) & 0xf) << 16)),
        .selector = (uint16_t)(index * 8),
        .type = (entry >> 40) & 0xf,
        .present = (entry >> 47) & 1,
        .dpl = (entry >> 45) & 3,
        .db = (entry >> 54) & 1,
        .s = (entry >> 44) & 1,
        .l = (entry >> 53) & 1,
        .g = (entry >> 55) & 1,
        .avl = (entry >> 52) & 1,
    };
    if (s.g)
        s.limit = (s.limit << 12) | 0xfff;
    return s;
}

int x86_setup_gdt(const struct guest_mem *gm, bool long_mode, struct kvm_sregs *sregs)
{
    uint64_t gdt[GDT_ENTRIES] = {
        [GDT_CODE] = gdt_entry(long_mode ? 0xa09b : 0xc09b, 0, 0xfffff),
        [GDT_DATA] = gdt_entry(0xc093, 0, 0xfffff),
        [GDT_TSS] = gdt_entry(0x008b, 0, 0x67),
    };
    struct kvm_segment code = gdt_to_segment(gdt[GDT_CODE], GDT_CODE);
    struct kvm_segment data = gdt_to_segment(gdt[GDT_DATA], GDT_DATA);
    struct kvm_segment tss = gdt_to_segment(gdt[GDT_TSS], GDT_TSS);

    if (gm_write(gm, X86_GDT_ADDR, gdt, sizeof(gdt)) < 0)
        return -EFAULT;
    sregs->gdt.base = X86_GDT_ADDR;
    sregs->gdt.limit = sizeof(gdt) - 1;
    sregs->idt.base = 0;
    sregs->idt.limit = 0;
    sregs->cs = code;
    sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
    sregs->tr = tss;
    return 0;
}

int x86_setup_page_tables(const struct guest_mem *gm)
{
    uint64_t pml4[512] = {0}, pdpt[512] = {0}, pd[512];

    /* Identity-map 4 GiB with 2 MiB pages: what the 64-bit boot protocol
     * promises for the kernel, boot_params, cmdline and initrd. */
    pml4[0] = X86_PDPT_ADDR | PTE_P | PTE_RW;
    for (unsigned i = 0; i < 4; i++) {
        pdpt[i] = (X86_PD_ADDR + i * 0x1000) | PTE_P | PTE_RW;
        for (unsigned j = 0; j < 512; j++)
            pd[j] = (((uint64_t)i << 30) + ((uint64_t)j << 21)) | PTE_P | PTE_RW | PTE_PS;
        if (gm_write(gm, X86_PD_ADDR + i * 0x1000, pd, sizeof(pd)) < 0)
            return -EFAULT;
    }
    if (gm_write(gm, X86_PML4_ADDR, pml4, sizeof(pml4)) < 0 ||
        gm_write(gm, X86_PDPT_ADDR, pdpt, sizeof(pdpt)) < 0)
        return -EFAULT;
    return 0;
}

int x86_setup_boot_regs(int vcpu_fd, const struct guest_mem *gm,
                        const struct boot_info *bi)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs = {.rflags = 0x2};
    bool long_mode = bi->mode == BOOT_MODE_LONG64;
    int ret;

    if (bi->mode != BOOT_MODE_PROT32 && bi->mode != BOOT_MODE_LONG64)
        return -EINVAL;
    if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    ret = x86_setup_gdt(gm, long_mode, &sregs);
    if (ret < 0)
        return ret;
    sregs.cr0 = CR0_PE | CR0_ET;
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (long_mode) {
        ret = x86_setup_page_tables(gm);
        if (ret < 0)
            return ret;
        sregs.cr3 = X86_PML4_ADDR;
        sregs.cr4 |= CR4_PAE;
        sregs.cr0 |= CR0_PG;
        sregs.efer |= EFER_LME | EFER_LMA;
        regs.rsi = bi->arg;
    } else {
        regs.rbx = bi->arg;
    }
    regs.rip = bi->entry;
    regs.rsp = bi->stack;
    regs.rbp = bi->stack;
    if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;
    if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    return 0;
}

int x86_setup_fpu(int vcpu_fd)
{
    /* Reset values: x87 control word 0x37f, MXCSR 0x1f80 (all masked). */
    struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

    return ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

void x86_describe_regs(int vcpu_fd, char *buf, unsigned long len)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    buf[0] = '\0';
    if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
        ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        return;
    snprintf(buf, len,
             "rip=0x%llx rsp=0x%llx cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
             (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
             (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
             (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
}
