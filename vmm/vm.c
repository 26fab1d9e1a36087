/*
 * VM lifecycle: capability checks, creation, memory, vCPUs, run and stop.
 */
#include "vmm/vm.h"
#include "vmm/arch.h"
#include "vmm/exit_codes.h"
#include "vmm/kvm_compat.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* One capability gmvm cannot run without, and where a host gets it. */
struct required_cap {
    int cap;
    const char *name;
    const char *provided_by;
};

static const struct required_cap guest_memfd_caps[] = {
    {KVM_CAP_USER_MEMORY2, "KVM_CAP_USER_MEMORY2",
     "Linux 6.8+ (or kernel-patches/linux-6.12)"},
    {KVM_CAP_GUEST_MEMFD, "KVM_CAP_GUEST_MEMFD (guest_memfd on a default VM)",
     "Linux 6.18+ (or kernel-patches/linux-6.12)"},
    {KVM_CAP_GUEST_MEMFD_FLAGS, "KVM_CAP_GUEST_MEMFD_FLAGS",
     "Linux 6.18+ (or kernel-patches/linux-6.12)"},
};

static int vm_check_caps(int kvm_fd, enum gm_backend backend)
{
    const uint64_t need = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
    int flags;

    if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
        log_err("host KVM lacks KVM_CAP_IRQCHIP (in-kernel interrupt controller)");
        return -ENOTSUP;
    }
    if (backend != GM_BACKEND_GUEST_MEMFD)
        return 0;
    for (size_t i = 0; i < sizeof(guest_memfd_caps) / sizeof(guest_memfd_caps[0]); i++) {
        const struct required_cap *c = &guest_memfd_caps[i];

        if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0) {
            log_err("host KVM lacks %s, needed for guest RAM in guest_memfd; "
                    "it is provided by %s; --memory-backend anon runs without it",
                    c->name, c->provided_by);
            return -ENOTSUP;
        }
    }
    flags = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
    if (((uint64_t)flags & need) != need) {
        log_err("host KVM_CAP_GUEST_MEMFD_FLAGS is 0x%x: it lacks GUEST_MEMFD_FLAG_MMAP "
                "and/or INIT_SHARED (0x3 needed), provided by Linux 6.18+ "
                "(or kernel-patches/linux-6.12)",
                flags);
        return -ENOTSUP;
    }
    return 0;
}

int vm_open(struct vm *vm, enum gm_backend backend)
{
    int ret;

    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->vm_fd = -1;
    vm->gm.fd = -1;
    vm->el.epfd = vm->el.stop_fd = -1;
    pthread_mutex_init(&vm->stop_lock, NULL);
    pthread_cond_init(&vm->stop_cond, NULL);
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");

    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        ret = -errno;
        log_err("cannot open /dev/kvm: %s (is KVM enabled and are you in the kvm group?)",
                strerror(errno));
        return ret;
    }
    if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        log_err("/dev/kvm reports an unknown API version (need %d)", KVM_API_VERSION);
        return -ENOTSUP;
    }
    ret = vm_check_caps(vm->kvm_fd, backend);
    if (ret < 0)
        return ret;
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size <= 0) {
        log_err("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
        return -EIO;
    }
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        ret = -errno;
        log_err("KVM_CREATE_VM failed: %s", strerror(errno));
        return ret;
    }
    ret = el_init(&vm->el);
    if (ret < 0)
        log_err("cannot create the I/O event loop: %s", strerror(-ret));
    return ret;
}

int vm_setup_memory(struct vm *vm, uint64_t size, enum gm_backend backend)
{
    int ret = gm_create(&vm->gm, vm->vm_fd, size, backend);

    if (ret < 0)
        log_err("cannot create %llu MiB of guest RAM (%s backend): %s",
                (unsigned long long)(size >> 20), gm_backend_name(backend),
                strerror(-ret));
    return ret;
}

int vm_create_vcpus(struct vm *vm, unsigned n)
{
    int ret;

    if (n == 0 || n > VM_MAX_VCPUS)
        return -EINVAL;
    vm->nr_vcpus_planned = n;
    ret = vcpu_init_signals();
    if (ret < 0)
        return ret;
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *vcpu = vcpu_create(vm, i);

        if (!vcpu) {
            ret = -errno;
            log_err("cannot create vcpu %u: %s", i, strerror(errno));
            return ret;
        }
        vm->vcpus[vm->nr_vcpus++] = vcpu;
        ret = arch_vcpu_init(vm, vcpu);
        if (ret < 0) {
            log_err("cannot initialise vcpu %u: %s", i, strerror(-ret));
            return ret;
        }
    }
    return 0;
}

int vm_run(struct vm *vm)
{
    sigset_t stop, old;
    int ret;

    /* Workers start with the stop signals blocked: SIGINT/SIGTERM/SIGHUP go
     * to this thread, which stays free to take them while it waits below.
     * (Faults like SIGSEGV stay unblocked so their handlers still run.) */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    ret = el_start(&vm->el);
    if (ret < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        log_err("cannot start the I/O thread: %s", strerror(-ret));
        return GMVM_EXIT_SETUP_FAILED;
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        ret = vcpu_start(vm->vcpus[i]);
        if (ret < 0) {
            log_err("cannot start vcpu %u: %s", i, strerror(-ret));
            vm_request_stop(vm, GMVM_EXIT_SETUP_FAILED);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&vm->stop_lock);
    while (!vm->stopping)
        pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
    ret = vm->exit_status;
    pthread_mutex_unlock(&vm->stop_lock);

    /* Join vCPUs first: once they are gone no MMIO handler runs, so the
     * I/O thread and devices can be stopped without racing them. */
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        if (vm->vcpus[i]->started) {
            pthread_join(vm->vcpus[i]->thread, NULL);
            vm->vcpus[i]->started = false;
        }
    }
    el_stop(&vm->el);
    return ret;
}

void vm_request_stop(struct vm *vm, int status)
{
    pthread_mutex_lock(&vm->stop_lock);
    if (!vm->stopping) {
        __atomic_store_n(&vm->stopping, true, __ATOMIC_RELEASE);
        vm->exit_status = status;
        for (unsigned i = 0; i < vm->nr_vcpus; i++)
            vcpu_kick(vm->vcpus[i]);
        pthread_cond_broadcast(&vm->stop_cond);
    }
    pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_is_stopping(struct vm *vm)
{
    return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}

int vm_irq_line(struct vm *vm, unsigned gsi, int level)
{
    struct kvm_irq_level irq = {.irq = gsi, .level = level};

    if (!vm->has_irqchip)
        return 0;
    return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

void vm_close(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_destroy(vm->vcpus[i]);
    vm->nr_vcpus = 0;
    if (vm->el.epfd >= 0)
        el_stop(&vm->el);
    gm_destroy(&vm->gm);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->vm_fd = vm->kvm_fd = -1;
}
