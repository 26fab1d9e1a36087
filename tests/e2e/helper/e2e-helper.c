/*
 * e2e-helper: the small tool the nested harness runs inside the emulated KVM
 * host (L1), where only busybox is available.
 *
 *   e2e-helper caps
 *       Reports KVM's API version and the guest_memfd capabilities, then
 *       creates a VM, a guest_memfd with MMAP|INIT_SHARED, maps it, writes and
 *       reads it back, and puts it in a KVM_SET_USER_MEMORY_REGION2 memslot.
 *       Prints "E2E-RESULT <check> PASS|FAIL <detail>" lines and the
 *       /proc/self/maps line of the mapping. Exit 0 when all passed.
 *
 *   e2e-helper timeline MARKER CMD [ARG...]
 *       Runs CMD with its stdout through a pipe, copies that output to our
 *       stdout, and notes the CLOCK_MONOTONIC time at which MARKER first
 *       appears. When it does, samples /proc/<CMD pid>/smaps: the RSS of the
 *       guest_memfd mappings and of everything else. At the end prints
 *       "E2E-TIME ..." and "E2E-INFO ..." lines (to stderr) and exits with
 *       CMD's status (128+signal when killed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Debian 12's uapi headers (6.1) lack these; values from Linux uapi. */
#define E2E_CAP_USER_MEMORY2      231
#define E2E_CAP_MEMORY_ATTRIBUTES 233
#define E2E_CAP_GUEST_MEMFD       234
#define E2E_CAP_VM_TYPES          235
#define E2E_CAP_GUEST_MEMFD_FLAGS 244
#define E2E_GMEM_FLAG_MMAP        (1ULL << 0)
#define E2E_GMEM_FLAG_INIT_SHARED (1ULL << 1)
#define E2E_MEM_GUEST_MEMFD       (1UL << 2)

struct e2e_create_guest_memfd {
    uint64_t size;
    uint64_t flags;
    uint64_t reserved[6];
};

struct e2e_memory_region2 {
    uint32_t slot;
    uint32_t flags;
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t guest_memfd_offset;
    uint32_t guest_memfd;
    uint32_t pad1;
    uint64_t pad2[14];
};

#define E2E_CREATE_GUEST_MEMFD      _IOWR(KVMIO, 0xd4, struct e2e_create_guest_memfd)
#define E2E_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct e2e_memory_region2)

static int failures;

static void result(const char *check, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result(const char *check, int ok, const char *fmt, ...)
{
    va_list ap;

    printf("E2E-RESULT %s %s ", check, ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (!ok)
        failures++;
}

/* Print the /proc/self/maps lines that cover addr. */
static void print_maps_for(const void *addr)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)addr >= lo &&
            (uintptr_t)addr < hi) {
            line[strcspn(line, "\n")] = '\0';
            printf("E2E-INFO gmem-maps %s\n", line);
        }
    }
    fclose(f);
}

static int cmd_caps(void)
{
    const size_t size = 2UL << 20;
    int kvm, vm, gmem, api, r;
    uint8_t *p;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    result("kvm-open", kvm >= 0, "/dev/kvm: %s", kvm >= 0 ? "ok" : strerror(errno));
    if (kvm < 0)
        return 1;
    api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    result("kvm-api", api == 12, "KVM_GET_API_VERSION=%d", api);

    static const struct {
        const char *name;
        int cap;
    } caps[] = {
        {"KVM_CAP_USER_MEMORY2", E2E_CAP_USER_MEMORY2},
        {"KVM_CAP_MEMORY_ATTRIBUTES", E2E_CAP_MEMORY_ATTRIBUTES},
        {"KVM_CAP_GUEST_MEMFD", E2E_CAP_GUEST_MEMFD},
        {"KVM_CAP_VM_TYPES", E2E_CAP_VM_TYPES},
        {"KVM_CAP_GUEST_MEMFD_FLAGS", E2E_CAP_GUEST_MEMFD_FLAGS},
        {"KVM_CAP_NR_VCPUS", KVM_CAP_NR_VCPUS},
        {"KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP},
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        printf("E2E-INFO kvm-cap %s(%d)=%d\n", caps[i].name, caps[i].cap,
               ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));

    r = ioctl(kvm, KVM_CHECK_EXTENSION, E2E_CAP_GUEST_MEMFD);
    result("cap-guest-memfd", r > 0, "KVM_CAP_GUEST_MEMFD=%d", r);
    r = ioctl(kvm, KVM_CHECK_EXTENSION, E2E_CAP_USER_MEMORY2);
    result("cap-user-memory2", r > 0, "KVM_CAP_USER_MEMORY2=%d", r);
    r = ioctl(kvm, KVM_CHECK_EXTENSION, E2E_CAP_GUEST_MEMFD_FLAGS);
    result("cap-guest-memfd-flags",
           r > 0 && (r & (E2E_GMEM_FLAG_MMAP | E2E_GMEM_FLAG_INIT_SHARED)) ==
                        (E2E_GMEM_FLAG_MMAP | E2E_GMEM_FLAG_INIT_SHARED),
           "KVM_CAP_GUEST_MEMFD_FLAGS=%d (need MMAP|INIT_SHARED=3)", r);

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    result("create-vm", vm >= 0, "KVM_CREATE_VM: %s", vm >= 0 ? "ok" : strerror(errno));
    if (vm < 0)
        return 1;

    struct e2e_create_guest_memfd cg = {
        .size = size, .flags = E2E_GMEM_FLAG_MMAP | E2E_GMEM_FLAG_INIT_SHARED};
    gmem = ioctl(vm, E2E_CREATE_GUEST_MEMFD, &cg);
    result("create-guest-memfd", gmem >= 0, "flags=3 size=2M: %s",
           gmem >= 0 ? "ok" : strerror(errno));
    if (gmem < 0)
        return 1;

    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, gmem, 0);
    result("mmap-guest-memfd", p != MAP_FAILED, "mmap: %s",
           p != MAP_FAILED ? "ok" : strerror(errno));
    if (p == MAP_FAILED)
        return 1;
    memset(p, 0xa5, size);
    result("rw-guest-memfd", p[0] == 0xa5 && p[size - 1] == 0xa5, "write/read back");
    print_maps_for(p);

    struct e2e_memory_region2 mr = {
        .slot = 0,
        .flags = E2E_MEM_GUEST_MEMFD,
        .guest_phys_addr = 0,
        .memory_size = size,
        .userspace_addr = (uintptr_t)p,
        .guest_memfd_offset = 0,
        .guest_memfd = (uint32_t)gmem,
    };
    r = ioctl(vm, E2E_SET_USER_MEMORY_REGION2, &mr);
    result("memslot-region2", r == 0, "KVM_SET_USER_MEMORY_REGION2+GUEST_MEMFD: %s",
           r == 0 ? "ok" : strerror(errno));
    return failures ? 1 : 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sum Rss of guest_memfd mappings and of all others in /proc/pid/smaps. */
static void sample_smaps(pid_t pid)
{
    char path[64], line[512];
    unsigned long gmem_kb = 0, other_kb = 0, gmem_size_kb = 0, kb;
    int in_gmem = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ')) {
            in_gmem = strstr(line, "kvm-gmem") || strstr(line, "guest_memfd");
            if (in_gmem) {
                gmem_size_kb += (hi - lo) / 1024;
                line[strcspn(line, "\n")] = '\0';
                fprintf(stderr, "E2E-INFO gmem-maps %s\n", line);
            }
        } else if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
            if (in_gmem)
                gmem_kb += kb;
            else
                other_kb += kb;
        }
    }
    fclose(f);
    fprintf(stderr, "E2E-INFO smaps gmem_mapped_kb=%lu gmem_rss_kb=%lu vmm_rss_kb=%lu\n",
            gmem_size_kb, gmem_kb, other_kb);
}

static int cmd_timeline(const char *marker, char **argv)
{
    int pfd[2], status;
    size_t mlen = strlen(marker), keep = 0;
    char buf[8192 + 256];
    uint64_t t0, t_marker = 0;
    pid_t pid;

    if (pipe(pfd) < 0) {
        perror("pipe");
        return 1;
    }
    t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "e2e-helper: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        ssize_t n = read(pfd[0], buf + keep, sizeof(buf) - keep - 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (write(1, buf + keep, (size_t)n) < 0) { /* keep draining the pipe */
        }
        keep += (size_t)n;
        buf[keep] = '\0';
        if (!t_marker && memmem(buf, keep, marker, mlen)) {
            t_marker = now_ns();
            sample_smaps(pid);
        }
        /* Keep only a tail long enough to catch a marker split by reads. */
        if (keep > mlen) {
            memmove(buf, buf + keep - mlen, mlen);
            keep = mlen;
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    uint64_t t_end = now_ns();

    if (t_marker)
        fprintf(stderr, "E2E-TIME start_to_marker_us=%llu\n",
                (unsigned long long)((t_marker - t0) / 1000));
    else
        fprintf(stderr, "E2E-TIME start_to_marker_us=none\n");
    fprintf(stderr, "E2E-TIME start_to_exit_us=%llu\n",
            (unsigned long long)((t_end - t0) / 1000));
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "caps"))
        return cmd_caps();
    if (argc >= 4 && !strcmp(argv[1], "timeline"))
        return cmd_timeline(argv[2], argv + 3);
    fprintf(stderr, "usage: e2e-helper caps | e2e-helper timeline MARKER CMD [ARG...]\n");
    return 1;
}
