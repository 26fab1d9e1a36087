/*
 * Machine assembly. The order matters and is all here:
 *   1. vm_open: capability checks, KVM_CREATE_VM
 *   2. guest RAM (guest_memfd by default)
 *   3. plan the virtio-mmio windows (the ACPI tables must list them)
 *   4. load the kernel, initrd, cmdline, ACPI (boot_load)
 *   5. arch VM setup: irqchip + PIT for Linux guests (before vCPUs/irqfds)
 *   6. attach devices from the table below
 *   7. create vCPUs (registers from the loader's boot_info), run
 *   8. teardown: devices flush, optional RAM dump, close
 */
#include "vmm/machine.h"
#include "boot/loader.h"
#include "devices/platform.h"
#include "vmm/arch.h"
#include "vmm/console.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"
#include "vmm/machine_devices.h"
#include "vmm/mem_stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <unistd.h>

#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1 pci=off"

/*
 * SIGINT/SIGTERM/SIGHUP: a handler that only records the signal and writes
 * an eventfd, which the I/O thread turns into vm_request_stop(). The worker
 * threads block these signals (vm_run creates them with those blocked),
 * so the main thread, waiting in vm_run, is the one that takes them.
 *
 * Why not a signalfd with the signals blocked everywhere: under load a
 * SIGTERM sent to a running VM was sometimes never reported by the
 * signalfd (seen in guests_cli: no "received signal", empty ShdPnd, gmvm
 * waiting forever), and a signal the parent left at SIG_IGN (bash does so
 * for SIGINT of background jobs) is discarded; a real handler gets both.
 */
static int stop_signal_fd = -1;
static volatile sig_atomic_t stop_signal;

static void machine_on_signal(int sig)
{
    uint64_t one = 1;
    int saved = errno;

    stop_signal = sig;
    if (write(stop_signal_fd, &one, sizeof(one)) < 0) {
        /* eventfd full (never in practice): the first write woke the loop */
    }
    errno = saved;
}

/* I/O thread: a stop signal arrived. */
static void machine_signal(void *opaque, int fd, uint32_t events)
{
    struct vm *vm = opaque;
    uint64_t count;

    if (read(fd, &count, sizeof(count)) != sizeof(count))
        return;
    log_err("received signal %d, stopping the VM", (int)stop_signal);
    vm_request_stop(vm, GMVM_EXIT_SIGNAL + (int)stop_signal);
}

static int machine_watch_signals(struct vm *vm, int *efd)
{
    static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa = {.sa_handler = machine_on_signal, .sa_flags = SA_RESTART};

    *efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (*efd < 0)
        return -errno;
    stop_signal_fd = *efd;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        if (sigaction(stop_signals[i], &sa, NULL) < 0)
            return -errno;
    return el_add(&vm->el, *efd, EPOLLIN, machine_signal, vm);
}

/* --dump-mem: all RAM regions, in guest-physical order, read through the
 * same mapping the devices use. */
static int machine_dump_memory(const struct vm *vm, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0) {
        log_err("--dump-mem %s: %s", path, strerror(errno));
        return -errno;
    }
    for (unsigned i = 0; i < vm->gm.nr_regions; i++) {
        const struct gm_region *r = &vm->gm.regions[i];
        const uint8_t *p = gm_ptr(&vm->gm, r->gpa, r->size);

        for (uint64_t done = 0; p && done < r->size;) {
            ssize_t n = write(fd, p + done, r->size - done);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                log_err("--dump-mem %s: %s", path,
                        n < 0 ? strerror(errno) : "short write");
                close(fd);
                return -EIO;
            }
            done += (uint64_t)n;
        }
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        log_err("--dump-mem %s: %s", path, strerror(errno));
        return -EIO;
    }
    return 0;
}

/* --verbose: the numbers the startup benchmark reads (tests/bench). */
static void machine_report_stats(const struct vm *vm, const struct vm_config *cfg)
{
    struct mem_stats ms;

    if (vm->nr_vcpus && vm->vcpus[0]->first_run_ns && cfg->start_ns)
        log_info("stats: start to first KVM_RUN %.3f ms",
                 (double)(vm->vcpus[0]->first_run_ns - cfg->start_ns) / 1e6);
    if (mem_stats_read(vm->gm.base, &ms) == 0)
        log_info(
            "stats: RSS %llu KiB = guest RAM touched %llu KiB + gmvm itself %llu KiB "
            "(guest RAM size %llu KiB)",
            (unsigned long long)ms.rss_kib, (unsigned long long)ms.guest_rss_kib,
            (unsigned long long)(ms.rss_kib - ms.guest_rss_kib),
            (unsigned long long)(vm->gm.total >> 10));
}

int machine_run(const struct vm_config *cfg)
{
    struct vm vm;
    struct console con;
    struct machine_devices devs;
    struct boot_config bc = {
        .kernel_path = cfg->kernel,
        .initrd_path = cfg->initrd,
        .cmdline = cfg->cmdline ? cfg->cmdline : DEFAULT_CMDLINE,
        .nr_vcpus = cfg->vcpus,
        .pvpanic = true,
    };
    char err[512];
    int status = GMVM_EXIT_SETUP_FAILED, efd = -1, ret;

    log_level = cfg->verbosity;
    memset(&devs, 0, sizeof(devs));
    ret = vm_open(&vm, cfg->backend);
    if (ret < 0) {
        status = ret == -ENOTSUP ? GMVM_EXIT_NO_CAPABILITY : GMVM_EXIT_SETUP_FAILED;
        goto out;
    }
    if (vm_setup_memory(&vm, cfg->memory, cfg->backend) < 0)
        goto out;
    log_info("guest RAM: %llu MiB in %s", (unsigned long long)(cfg->memory >> 20),
             gm_backend_name(cfg->backend));

    ret = machine_devices_plan(&devs, cfg, err, sizeof(err));
    if (ret < 0) {
        log_err("%s", err);
        status = GMVM_EXIT_USAGE;
        goto out;
    }
    bc.mmio_devs = devs.windows;
    bc.nr_mmio_devs = devs.nr_windows;
    ret = boot_load(&vm.gm, &bc, &vm.boot, err, sizeof(err));
    if (ret < 0) {
        log_err("%s", err);
        status = GMVM_EXIT_USAGE;
        goto out;
    }
    log_info("kernel %s: %s entry at 0x%llx", cfg->kernel,
             !vm.boot.linux_guest               ? "bare ELF32 program, 32-bit"
             : vm.boot.mode == BOOT_MODE_PROT32 ? "Linux PVH (32-bit)"
                                                : "Linux 64-bit boot protocol",
             (unsigned long long)vm.boot.entry);
    if (!vm.boot.linux_guest && cfg->vcpus > 1) {
        /* Without an interrupt controller there is no INIT/SIPI: extra
         * vCPUs would start at the reset vector, outside RAM. */
        log_err("--vcpus %u: a bare ELF32 program (%s) runs on 1 vCPU", cfg->vcpus,
                cfg->kernel);
        status = GMVM_EXIT_USAGE;
        goto out;
    }
    ret = arch_vm_init(&vm);
    if (ret < 0) {
        log_err("cannot set up the x86 machine (irqchip/PIT): %s", strerror(-ret));
        goto out;
    }

    /* The device table: start-up order is this order. */
    if (console_attach(&con, &vm, STDIN_FILENO, STDOUT_FILENO) < 0 ||
        (vm.boot.linux_guest &&
         (i8042_attach(&vm) < 0 || acpi_pm_attach(&vm) < 0 || pvpanic_attach(&vm) < 0))) {
        log_err("cannot register the platform devices");
        goto out;
    }
    ret = machine_devices_attach(&devs, &vm, err, sizeof(err));
    if (ret < 0) {
        log_err("%s", err);
        status = GMVM_EXIT_USAGE;
        goto out;
    }
    if (machine_watch_signals(&vm, &efd) < 0) {
        log_err("cannot watch SIGINT/SIGTERM: %s", strerror(errno));
        goto out;
    }
    if (vm_create_vcpus(&vm, cfg->vcpus) < 0)
        goto out;

    status = vm_run(&vm);
    machine_report_stats(&vm, cfg);
out:
    /* Flush disks before anything else: nothing the guest flushed is lost,
     * whichever way the VM ended. */
    if (machine_devices_shutdown(&devs) < 0 && status == GMVM_EXIT_OK)
        status = GMVM_EXIT_SETUP_FAILED;
    if (cfg->dump_mem && vm.gm.base && machine_dump_memory(&vm, cfg->dump_mem) < 0 &&
        status == GMVM_EXIT_OK)
        status = GMVM_EXIT_SETUP_FAILED;
    console_restore_terminal();
    vm_close(&vm);
    if (efd >= 0)
        close(efd);
    return status;
}
