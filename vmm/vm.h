/*
 * The virtual machine: KVM handles, guest memory, buses, vCPUs and the I/O
 * thread, plus the one-shot "stop" that every exit path goes through.
 *
 * Call order: vm_open() (capability checks, KVM_CREATE_VM), vm_setup_memory(),
 * machine/device setup (bus_register, el_add), boot loading, vm_create_vcpus(),
 * vm_run() (blocks until something calls vm_request_stop), vm_close().
 */
#ifndef GMVM_VM_H
#define GMVM_VM_H

#include "vmm/bus.h"
#include "vmm/event_loop.h"
#include "vmm/guest_mem.h"
#include "vmm/boot_info.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VM_MAX_VCPUS 32

struct vcpu;

struct vm {
    int kvm_fd;
    int vm_fd;
    int vcpu_mmap_size;
    bool has_irqchip; /* in-kernel LAPIC/IOAPIC/PIC + PIT (Linux machines) */

    struct guest_mem gm;
    struct bus pio;
    struct bus mmio;
    struct event_loop el;
    struct boot_info boot; /* filled by the loader, read by arch_vcpu_init */

    unsigned nr_vcpus;         /* created so far */
    unsigned nr_vcpus_planned; /* the --vcpus count, for CPUID topology */
    struct vcpu *vcpus[VM_MAX_VCPUS];

    /* Stop state: the first vm_request_stop() wins and sets exit_status. */
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
    int exit_status;
};

/*
 * Open /dev/kvm, check the API version and (for @backend guest_memfd) the
 * guest_memfd capabilities, and create the VM. On a missing capability it
 * prints one line naming it and returns -ENOTSUP.
 */
int vm_open(struct vm *vm, enum gm_backend backend);

/* Create @size bytes of guest RAM (see guest_mem.h). */
int vm_setup_memory(struct vm *vm, uint64_t size, enum gm_backend backend);

/* Create @n vCPUs and initialise their registers from vm->boot. */
int vm_create_vcpus(struct vm *vm, unsigned n);

/* Start the I/O thread and all vCPUs; return the exit status when stopped. */
int vm_run(struct vm *vm);

/*
 * End the VM with process exit status @status (vmm/exit_codes.h). Safe from
 * any thread and from several at once: the first call wins. Kicks every
 * vCPU out of KVM_RUN.
 */
void vm_request_stop(struct vm *vm, int status);

/* True once a stop was requested. */
bool vm_is_stopping(struct vm *vm);

/* Drive an ISA/GSI interrupt line (KVM_IRQ_LINE). No-op without irqchip. */
int vm_irq_line(struct vm *vm, unsigned gsi, int level);

/* Tear everything down. Safe after a partial vm_open/setup. */
void vm_close(struct vm *vm);

#endif
