// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_conformance: does this host's KVM offer mmap-able guest_memfd with the
 * uapi and semantics of mainline Linux 6.18 on a default (type 0) VM?
 *
 * gmvm keeps all guest RAM in a guest_memfd created with
 * GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED and maps it into its
 * own address space.  This test checks every property gmvm relies on, on the
 * running kernel, with nothing but the uapi:
 *
 *   - KVM_CAP_GUEST_MEMFD, KVM_CAP_USER_MEMORY2, KVM_CAP_GUEST_MEMFD_FLAGS;
 *   - KVM_CREATE_GUEST_MEMFD accepts exactly the flags the FLAGS cap reports;
 *   - size rules, fstat, fallocate / PUNCH_HOLE, read()/write() refused;
 *   - mmap rules (ENODEV without MMAP, MAP_PRIVATE refused), a data round
 *     trip through the MAP_SHARED mapping, a punched page reads back zero,
 *     SIGBUS past EOF and without INIT_SHARED;
 *   - a REGION2 + KVM_MEM_GUEST_MEMFD slot whose userspace_addr is the
 *     mapping: a real-mode guest reads what the host wrote and writes a value
 *     the host then sees through the mapping; dirty logging is refused there.
 *
 * Output: one "PASS name" or "FAIL name: why" line per check, then
 * "N passed, N failed".  Exit 0 only if nothing failed; exit 77 (the ctest /
 * automake skip code) if /dev/kvm or KVM_CAP_GUEST_MEMFD is missing.
 *
 * Built against Debian 12's linux-libc-dev (6.1) uapi headers, which predate
 * guest_memfd: the definitions below fill in only what is missing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SKIP_EXIT 77

/* The guest_memfd uapi that Debian 12's 6.1 headers lack: gmvm's one compat
 * header, so the test and the VMM cannot disagree on a value. */
#include "vmm/kvm_compat.h"

#define GMEM_FLAGS_BOTH (GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

/* ---- reporting ---- */
static int n_pass, n_fail;

static void pass(const char *name)
{
    printf("PASS %s\n", name);
    n_pass++;
}

static void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    n_fail++;
}

static void __attribute__((format(printf, 1, 2))) skip_exit(const char *fmt, ...)
{
    va_list ap;

    printf("SKIP: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(SKIP_EXIT);
}

/* ---- helpers ---- */
static long page_size;
static int kvm_fd = -1, vm_fd = -1;

/* Returns the fd, or -errno. */
static int __gmem_create(uint64_t size, uint64_t flags)
{
    struct kvm_create_guest_memfd args = {.size = size, .flags = flags};
    int fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &args);

    return fd < 0 ? -errno : fd;
}

/*
 * A host access that may raise SIGBUS.  The handler jumps back here so one
 * process can probe several faults; a SIGBUS that arrives outside a probe
 * is re-raised with the default action (a real bug, not a check).
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
    if (!bus_armed) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    siglongjmp(bus_jmp, 1);
}

/* Touch *p for reading; returns 1 if it raised SIGBUS, 0 if not. */
static int read_raises_sigbus(volatile uint8_t *p)
{
    if (sigsetjmp(bus_jmp, 1)) {
        bus_armed = 0;
        return 1;
    }
    bus_armed = 1;
    (void)*p;
    bus_armed = 0;
    return 0;
}

/* ---- checks: capabilities and creation ---- */
static uint64_t check_caps(void)
{
    int sys_flags = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
    int vm_flags = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
    int mem2 = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2);

    if (mem2 > 0)
        pass("cap_user_memory2");
    else
        fail("cap_user_memory2", "KVM_CAP_USER_MEMORY2 (231) = %d", mem2);

    if (vm_flags < 0)
        vm_flags = 0;
    if ((vm_flags & GMEM_FLAGS_BOTH) == GMEM_FLAGS_BOTH)
        pass("cap_guest_memfd_flags_mmap_init_shared");
    else
        fail("cap_guest_memfd_flags_mmap_init_shared",
             "KVM_CAP_GUEST_MEMFD_FLAGS (244) on a default VM = %#x, want "
             "MMAP|INIT_SHARED (0x3)",
             vm_flags);

    if (sys_flags == vm_flags)
        pass("cap_guest_memfd_flags_system_matches_vm");
    else
        fail("cap_guest_memfd_flags_system_matches_vm",
             "/dev/kvm reports %#x, the VM reports %#x", sys_flags, vm_flags);
    return (uint64_t)(unsigned int)vm_flags;
}

static void check_flag_acceptance(uint64_t supported)
{
    uint64_t sub;
    int bit, fd, bad = 0;

    /* Every combination of the reported flags is accepted ... */
    sub = 0;
    do {
        fd = __gmem_create(page_size, sub);
        if (fd < 0) {
            fail("create_accepts_reported_flags", "flags %#llx: %s",
                 (unsigned long long)sub, strerror(-fd));
            bad = 1;
        } else {
            close(fd);
        }
        sub = (sub - supported) & supported; /* next subset */
    } while (sub);
    if (!bad)
        pass("create_accepts_reported_flags");

    /* ... and every other bit, alone or added to a valid set, is EINVAL. */
    bad = 0;
    for (bit = 0; bit < 64; bit++) {
        uint64_t f = 1ULL << bit;

        if (supported & f)
            continue;
        fd = __gmem_create(page_size, f | supported);
        if (fd != -EINVAL) {
            fail("create_rejects_unknown_flags", "flags %#llx gave %s, want EINVAL",
                 (unsigned long long)(f | supported),
                 fd >= 0 ? "success" : strerror(-fd));
            bad = 1;
            if (fd >= 0)
                close(fd);
        }
    }
    if (!bad)
        pass("create_rejects_unknown_flags");
}

static void check_sizes(void)
{
    int fd;

    fd = __gmem_create(0, GMEM_FLAGS_BOTH);
    if (fd == -EINVAL)
        pass("create_rejects_size_0");
    else
        fail("create_rejects_size_0", "got %s", fd >= 0 ? "success" : strerror(-fd));
    if (fd >= 0)
        close(fd);

    fd = __gmem_create(page_size + 1, GMEM_FLAGS_BOTH);
    if (fd == -EINVAL)
        pass("create_rejects_unaligned_size");
    else
        fail("create_rejects_unaligned_size", "got %s",
             fd >= 0 ? "success" : strerror(-fd));
    if (fd >= 0)
        close(fd);
}

/* ---- checks on the file itself ---- */
static void check_file_ops(int fd, size_t size)
{
    struct stat st;
    char buf[16] = {0};
    ssize_t n;

    if (fstat(fd, &st) == 0 && (size_t)st.st_size == size)
        pass("fstat_size");
    else
        fail("fstat_size", "st_size %lld, want %zu (%s)", (long long)st.st_size, size,
             strerror(errno));

    errno = 0;
    n = read(fd, buf, sizeof(buf));
    if (n < 0)
        pass("read_refused");
    else
        fail("read_refused", "read() returned %zd", n);

    errno = 0;
    n = write(fd, buf, sizeof(buf));
    if (n < 0)
        pass("write_refused");
    else
        fail("write_refused", "write() returned %zd", n);

    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size) == 0)
        pass("fallocate_keep_size");
    else
        fail("fallocate_keep_size", "%s", strerror(errno));

    if (fallocate(fd, 0, 0, size) < 0 && errno == EOPNOTSUPP)
        pass("fallocate_without_keep_size_refused");
    else
        fail("fallocate_without_keep_size_refused", "want EOPNOTSUPP, got %s",
             strerror(errno));

    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size + page_size) < 0 && errno == EINVAL)
        pass("fallocate_past_eof_refused");
    else
        fail("fallocate_past_eof_refused", "want EINVAL, got %s", strerror(errno));

    if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, page_size / 2) < 0 &&
        errno == EINVAL)
        pass("punch_hole_unaligned_refused");
    else
        fail("punch_hole_unaligned_refused", "want EINVAL, got %s", strerror(errno));

    if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, page_size) == 0)
        pass("punch_hole");
    else
        fail("punch_hole", "%s", strerror(errno));

    if (fstat(fd, &st) == 0 && (size_t)st.st_size == size)
        pass("fstat_size_after_fallocate");
    else
        fail("fstat_size_after_fallocate", "st_size %lld, want %zu",
             (long long)st.st_size, size);
}

/* ---- mmap checks ---- */
static void check_mmap_rules(void)
{
    void *p;
    int fd;

    fd = __gmem_create(page_size, 0);
    if (fd < 0) {
        fail("mmap_without_mmap_flag_enodev", "create(flags 0): %s", strerror(-fd));
    } else {
        p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED && errno == ENODEV)
            pass("mmap_without_mmap_flag_enodev");
        else
            fail("mmap_without_mmap_flag_enodev", "want ENODEV, got %s",
                 p == MAP_FAILED ? strerror(errno) : "a mapping");
        if (p != MAP_FAILED)
            munmap(p, page_size);
        close(fd);
    }

    fd = __gmem_create(page_size, GMEM_FLAGS_BOTH);
    if (fd < 0) {
        fail("mmap_private_refused", "create: %s", strerror(-fd));
        return;
    }
    p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        pass("mmap_private_refused");
    else
        fail("mmap_private_refused", "MAP_PRIVATE mapping succeeded");
    if (p != MAP_FAILED)
        munmap(p, page_size);
    close(fd);

    /*
     * MMAP without INIT_SHARED: memory starts private, so the host may map
     * the file but must not fault anything in.  Only checkable if the kernel
     * lets us create such a gmem at all.
     */
    fd = __gmem_create(page_size, GUEST_MEMFD_FLAG_MMAP);
    if (fd < 0) {
        printf("NOTE sigbus_without_init_shared not run: flags=MMAP alone refused (%s)\n",
               strerror(-fd));
        return;
    }
    p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("sigbus_without_init_shared", "mmap: %s", strerror(errno));
    else if (read_raises_sigbus(p))
        pass("sigbus_without_init_shared");
    else
        fail("sigbus_without_init_shared", "host read of a private page did not fault");
    if (p != MAP_FAILED)
        munmap(p, page_size);
    close(fd);
}

/* Round trip, punch hole and past-EOF checks on one MMAP|INIT_SHARED gmem. */
static void check_mapping_data(int fd, uint8_t *map, size_t size)
{
    volatile uint8_t *beyond;
    size_t i, bad = 0;
    uint8_t *p2;

    for (i = 0; i < size; i++)
        map[i] = (uint8_t)(i * 7 + 3);
    /* A second, independent mapping of the same file sees the same bytes. */
    p2 = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p2 == MAP_FAILED) {
        fail("mapping_round_trip", "second mmap: %s", strerror(errno));
    } else {
        for (i = 0; i < size; i++)
            bad += p2[i] != (uint8_t)(i * 7 + 3);
        if (bad)
            fail("mapping_round_trip", "%zu bytes differ in a second mapping", bad);
        else
            pass("mapping_round_trip");
        munmap(p2, size);
    }

    /* Punch the second page: it reads back as zeroes, neighbours intact. */
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, page_size, page_size)) {
        fail("punched_page_reads_zero", "punch: %s", strerror(errno));
    } else {
        for (bad = 0, i = page_size; i < 2 * (size_t)page_size; i++)
            bad += map[i] != 0;
        if (bad)
            fail("punched_page_reads_zero", "%zu non-zero bytes", bad);
        else if (map[0] != 3 || map[2 * page_size] != (uint8_t)(2 * page_size * 7 + 3))
            fail("punched_page_reads_zero", "neighbouring pages changed");
        else
            pass("punched_page_reads_zero");
    }

    /* Map one page more than the file holds; touching it is SIGBUS. */
    p2 = mmap(NULL, size + page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p2 == MAP_FAILED) {
        fail("sigbus_past_eof", "mmap: %s", strerror(errno));
        return;
    }
    beyond = p2 + size;
    if (read_raises_sigbus(beyond))
        pass("sigbus_past_eof");
    else
        fail("sigbus_past_eof", "read past EOF did not fault");
    munmap(p2, size + page_size);
}

/* ---- a guest running from the gmem slot ---- */
#define GUEST_GPA  0x0
#define GUEST_CODE 0x1000
#define GUEST_IN   0x2000 /* host writes here, guest reads */
#define GUEST_OUT  0x2004 /* guest writes ~IN here */
#define GUEST_PORT 0x10
#define HOST_VALUE 0x5eedf00dU

static const uint8_t guest_code[] = {
    0x66, 0xa1,       0x00, 0x20, /* mov eax, [0x2000] */
    0x66, 0xf7,       0xd0,       /* not eax */
    0x66, 0xa3,       0x04, 0x20, /* mov [0x2004], eax */
    0xe6, GUEST_PORT,             /* out GUEST_PORT, al */
    0xf4,                         /* hlt */
};

static int set_region2(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
                       void *uaddr, int gmem_fd, uint64_t gmem_off)
{
    struct kvm_userspace_memory_region2 r = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)uaddr,
        .guest_memfd_offset = gmem_off,
        .guest_memfd = (uint32_t)gmem_fd,
    };

    return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &r) ? -errno : 0;
}

static void check_guest(int fd, uint8_t *map, size_t size)
{
    struct kvm_run *run;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    int vcpu, mmap_size, r;
    uint32_t in = HOST_VALUE, out;

    r = set_region2(1, KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_GUEST_MEMFD, 0x100000, size, map,
                    fd, 0);
    if (r == -EINVAL)
        pass("dirty_log_refused_on_gmem_slot");
    else
        fail("dirty_log_refused_on_gmem_slot", "want EINVAL, got %s",
             r ? strerror(-r) : "success");

    r = set_region2(0, KVM_MEM_GUEST_MEMFD, GUEST_GPA, size, map, fd, 0);
    if (r) {
        fail("region2_gmem_slot", "%s", strerror(-r));
        return;
    }
    pass("region2_gmem_slot");

    memset(map, 0, size);
    memcpy(map + GUEST_CODE, guest_code, sizeof(guest_code));
    memcpy(map + GUEST_IN, &in, sizeof(in));

    vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
    mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vcpu < 0 || mmap_size <= 0) {
        fail("guest_shares_memory", "vcpu: %s", strerror(errno));
        return;
    }
    run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
        fail("guest_shares_memory", "vcpu setup: %s", strerror(errno));
        close(vcpu);
        return;
    }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds.base = 0;
    sregs.ds.selector = 0;
    memset(&regs, 0, sizeof(regs));
    regs.rip = GUEST_CODE;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs)) {
        fail("guest_shares_memory", "set regs: %s", strerror(errno));
        goto out;
    }
    if (ioctl(vcpu, KVM_RUN, 0)) {
        fail("guest_shares_memory", "KVM_RUN: %s", strerror(errno));
        goto out;
    }
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != GUEST_PORT ||
        run->io.direction != KVM_EXIT_IO_OUT) {
        fail("guest_shares_memory", "exit reason %u (port %#x), want KVM_EXIT_IO to %#x",
             run->exit_reason, run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
             GUEST_PORT);
        goto out;
    }
    memcpy(&out, map + GUEST_OUT, sizeof(out));
    if (out != ~in)
        fail("guest_shares_memory", "host reads %#x at GPA %#x, want %#x", out, GUEST_OUT,
             ~in);
    else if (*((uint8_t *)run + run->io.data_offset) != (uint8_t)~in)
        fail("guest_shares_memory", "OUT carried %#x, want %#x",
             *((uint8_t *)run + run->io.data_offset), (uint8_t)~in);
    else
        pass("guest_shares_memory");
out:
    munmap(run, mmap_size);
    close(vcpu);
}

int main(void)
{
    const size_t size = 16 * 4096;
    struct sigaction sa;
    uint64_t supported;
    uint8_t *map;
    int r, fd;

    setvbuf(stdout, NULL, _IOLBF, 0);
    page_size = sysconf(_SC_PAGESIZE);

    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0)
        skip_exit("cannot open /dev/kvm: %s", strerror(errno));
    r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
    if (r <= 0)
        skip_exit("KVM_CAP_GUEST_MEMFD (234) not offered by this kernel (%d)", r);
    vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (vm_fd < 0) {
        fail("create_default_vm", "KVM_CREATE_VM(0): %s", strerror(errno));
        goto out;
    }
    if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) > 0)
        pass("cap_guest_memfd_on_default_vm");
    else
        fail("cap_guest_memfd_on_default_vm", "a type 0 VM does not offer guest_memfd");

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigbus;
    sigaction(SIGBUS, &sa, NULL);

    supported = check_caps();
    check_flag_acceptance(supported);
    check_sizes();
    check_mmap_rules();

    fd = __gmem_create(size, GMEM_FLAGS_BOTH);
    if (fd < 0) {
        fail("create_mmap_init_shared", "%s", strerror(-fd));
        goto out;
    }
    pass("create_mmap_init_shared");
    check_file_ops(fd, size);
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        fail("mmap_shared", "%s", strerror(errno));
        close(fd);
        goto out;
    }
    pass("mmap_shared");
    check_mapping_data(fd, map, size);
    check_guest(fd, map, size);
    munmap(map, size);
    close(fd);
out:
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
