/*
 * vCPU threads and the exit loop. Every exit reason that ends the VM maps to
 * one status in exit_codes.h and one clear message.
 */
#include "vmm/vcpu.h"
#include "vmm/arch.h"
#include "vmm/exit_codes.h"
#include "vmm/kvm_compat.h"
#include "vmm/log.h"
#include "vmm/mem_stats.h"
#include "vmm/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* A real-time signal used only to interrupt KVM_RUN. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

static void vcpu_kick_handler(int sig)
{
    (void)sig;
}

int vcpu_init_signals(void)
{
    struct sigaction sa = {.sa_handler = vcpu_kick_handler};

    sigemptyset(&sa.sa_mask);
    return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

struct vcpu *vcpu_create(struct vm *vm, unsigned id)
{
    struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

    if (!vcpu)
        return NULL;
    vcpu->vm = vm;
    vcpu->id = id;
    vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (vcpu->fd < 0)
        goto err;
    vcpu->run =
        mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
    if (vcpu->run == MAP_FAILED) {
        vcpu->run = NULL;
        goto err;
    }
    return vcpu;
err:;
    int saved = errno;
    if (vcpu->fd >= 0)
        close(vcpu->fd);
    free(vcpu);
    errno = saved;
    return NULL;
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;

    /* "rep ins/outs" arrive as count > 1 consecutive elements. */
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        if (run->io.direction == KVM_EXIT_IO_OUT)
            bus_write(&vcpu->vm->pio, run->io.port, data, run->io.size);
        else
            bus_read(&vcpu->vm->pio, run->io.port, data, run->io.size);
    }
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
    static struct log_ratelimit rl;
    struct kvm_run *run = vcpu->run;
    bool claimed;

    if (run->mmio.len > sizeof(run->mmio.data))
        return;
    if (run->mmio.is_write)
        claimed = bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
                            run->mmio.len);
    else
        claimed =
            bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
    if (!claimed)
        log_ratelimited(&rl, "vcpu %u: %s of %u bytes at unmapped guest address 0x%llx",
                        vcpu->id, run->mmio.is_write ? "write" : "read", run->mmio.len,
                        (unsigned long long)run->mmio.phys_addr);
}

static void vcpu_handle_system_event(struct vcpu *vcpu)
{
    switch (vcpu->run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        log_info("guest powered off");
        vm_request_stop(vcpu->vm, GMVM_EXIT_OK);
        break;
    case KVM_SYSTEM_EVENT_RESET:
        log_info("guest requested a reboot; ending the VM");
        vm_request_stop(vcpu->vm, GMVM_EXIT_OK);
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        log_err("guest reported a crash");
        vm_request_stop(vcpu->vm, GMVM_EXIT_GUEST_PANIC);
        break;
    default:
        log_err("vcpu %u: unknown system event %u", vcpu->id,
                vcpu->run->system_event.type);
        vm_request_stop(vcpu->vm, GMVM_EXIT_GUEST_FAULT);
    }
}

/* Handle one exit; returns false when the VM must stop. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    char regs[160];

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        vcpu_handle_io(vcpu);
        return true;
    case KVM_EXIT_MMIO:
        vcpu_handle_mmio(vcpu);
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_HLT:
        log_err("guest halted (vcpu %u executed HLT with no interrupt controller)",
                vcpu->id);
        vm_request_stop(vcpu->vm, GMVM_EXIT_GUEST_HLT);
        return false;
    case KVM_EXIT_SHUTDOWN:
        arch_vcpu_describe(vcpu, regs, sizeof(regs));
        log_err("guest triple-faulted (KVM_EXIT_SHUTDOWN on vcpu %u; %s)", vcpu->id,
                regs);
        vm_request_stop(vcpu->vm, GMVM_EXIT_GUEST_SHUTDOWN);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        arch_vcpu_describe(vcpu, regs, sizeof(regs));
        log_err("KVM internal error on vcpu %u (suberror %u; %s)", vcpu->id,
                run->internal.suberror, regs);
        vm_request_stop(vcpu->vm, GMVM_EXIT_INTERNAL_ERROR);
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        log_err("KVM could not enter vcpu %u (hardware reason 0x%llx)", vcpu->id,
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        vm_request_stop(vcpu->vm, GMVM_EXIT_FAIL_ENTRY);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        vcpu_handle_system_event(vcpu);
        return false;
    default:
        log_err("vcpu %u: unhandled KVM exit reason %u", vcpu->id, run->exit_reason);
        vm_request_stop(vcpu->vm, GMVM_EXIT_GUEST_FAULT);
        return false;
    }
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *vcpu = arg;
    sigset_t set;

    /* Only the kick signal reaches vCPU threads; SIGINT/SIGTERM go to the
     * I/O thread's signalfd (they are blocked process-wide by main). */
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    while (!vm_is_stopping(vcpu->vm)) {
        if (!vcpu->first_run_ns)
            vcpu->first_run_ns = mono_ns();
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                vcpu->run->immediate_exit = 0;
                continue;
            }
            log_err("vcpu %u: KVM_RUN failed: %s", vcpu->id, strerror(errno));
            vm_request_stop(vcpu->vm, GMVM_EXIT_INTERNAL_ERROR);
            break;
        }
        if (!vcpu_handle_exit(vcpu))
            break;
    }
    return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
    int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

    if (ret)
        return -ret;
    vcpu->started = true;
    return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
    /* immediate_exit covers the window before the thread enters KVM_RUN;
     * the signal covers a thread already inside it. */
    vcpu->run->immediate_exit = 1;
    if (vcpu->started)
        pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_destroy(struct vcpu *vcpu)
{
    if (!vcpu)
        return;
    if (vcpu->started)
        pthread_join(vcpu->thread, NULL);
    if (vcpu->run)
        munmap(vcpu->run, vcpu->vm->vcpu_mmap_size);
    if (vcpu->fd >= 0)
        close(vcpu->fd);
    free(vcpu);
}
