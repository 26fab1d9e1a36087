/*
 * vCPUs: one thread each, running KVM_RUN and handling register-level PIO
 * and MMIO exits synchronously through the VM's buses.
 */
#ifndef GMVM_VCPU_H
#define GMVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

struct vcpu {
    struct vm *vm;
    unsigned id;
    int fd;
    struct kvm_run *run; /* shared with KVM, vm->vcpu_mmap_size bytes */
    pthread_t thread;
    bool started;
    uint64_t first_run_ns; /* CLOCK_MONOTONIC at first KVM_RUN, for benchmarks */
};

/* KVM_CREATE_VCPU + map kvm_run. Returns a vcpu or NULL with errno set. */
struct vcpu *vcpu_create(struct vm *vm, unsigned id);

/* Start the vCPU thread (which runs until vm_request_stop). */
int vcpu_start(struct vcpu *vcpu);

/* Force the vCPU out of KVM_RUN; it will see vm_is_stopping(). */
void vcpu_kick(struct vcpu *vcpu);

/* Join the thread (if started), unmap and close. */
void vcpu_destroy(struct vcpu *vcpu);

/* Install the no-op kick signal handler; call once before any vcpu_start. */
int vcpu_init_signals(void);

#endif
