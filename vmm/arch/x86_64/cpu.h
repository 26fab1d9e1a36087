/*
 * x86 vCPU register setup for the boot protocols (see cpu.c).
 */
#ifndef GMVM_X86_CPU_H
#define GMVM_X86_CPU_H

#include "vmm/boot_info.h"
#include "vmm/guest_mem.h"

#include <linux/kvm.h>
#include <stdbool.h>

/* Write the boot GDT into guest memory and fill @sregs' segment state. */
int x86_setup_gdt(const struct guest_mem *gm, bool long_mode, struct kvm_sregs *sregs);

/* Write 4 GiB identity-map page tables at X86_PML4_ADDR. */
int x86_setup_page_tables(const struct guest_mem *gm);

/* Set regs/sregs of the boot vCPU for @bi's protocol. */
int x86_setup_boot_regs(int vcpu_fd, const struct guest_mem *gm,
                        const struct boot_info *bi);

/* x87/SSE reset state. */
int x86_setup_fpu(int vcpu_fd);

/* "rip=... rsp=... cr0=..." of a vCPU into @buf ("" if unreadable). */
void x86_describe_regs(int vcpu_fd, char *buf, unsigned long len);

/* CPUID for vCPU @id of @nr_vcpus, from KVM_GET_SUPPORTED_CPUID. */
int x86_setup_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned nr_vcpus);

/* The MSRs a Linux guest expects at boot. */
int x86_setup_msrs(int vcpu_fd);

/* LAPIC LINT0 = ExtINT, LINT1 = NMI (as firmware leaves them). */
int x86_setup_lapic(int vcpu_fd);

#endif
