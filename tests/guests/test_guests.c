/*
 * Tiny-guest integration tests, in process: each test builds a VM with
 * gmvm's own code (guest_memfd RAM, loader, vCPU loop), runs one of the
 * tests/guests ELF programs on /dev/kvm and asserts the exact outcome.
 *
 * The host side reaches guest RAM through a second, independent mmap of the
 * guest_memfd file descriptor: what the guest reads and writes must be the
 * bytes in that fd, not merely in some pointer gmvm holds.
 *
 * Usage: test_guests DIR_WITH_ELFS. Exits 77 (skip) without /dev/kvm.
 */
#include "boot/loader.h"
#include "tests/guests/guest_abi.h"
#include "vmm/arch.h"
#include "vmm/console.h"
#include "vmm/exit_codes.h"
#include "vmm/vm.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_RAM (16u << 20)

static const char *elf_dir;

struct guest_run {
    struct vm vm;
    struct console con;
    int out_pipe[2];
    uint8_t *fd_map; /* independent MAP_SHARED mapping of the guest_memfd */
    uint32_t ucall_value;
    int ucall_count;
};

static void ucall_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct guest_run *run = opaque;

    ck_assert_uint_eq(len, 4);
    memcpy(&run->ucall_value, data, 4);
    run->ucall_count++;
}

static const struct bus_ops ucall_ops = {.write = ucall_write};

/* Create the VM and load tests/guests/@name; vCPUs not yet created. */
static void guest_prepare(struct guest_run *run, const char *name)
{
    char path[512], err[256];
    struct boot_config bc = {.kernel_path = path, .nr_vcpus = 1};

    memset(run, 0, sizeof(*run));
    snprintf(path, sizeof(path), "%s/%s", elf_dir, name);
    ck_assert_int_eq(vm_open(&run->vm, GM_BACKEND_GUEST_MEMFD), 0);
    ck_assert_int_eq(vm_setup_memory(&run->vm, GUEST_RAM, GM_BACKEND_GUEST_MEMFD), 0);
    ck_assert_int_ge(run->vm.gm.fd, 0);
    ck_assert_msg(boot_load(&run->vm.gm, &bc, &run->vm.boot, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_int_eq(run->vm.boot.linux_guest, 0);
    ck_assert_int_eq(arch_vm_init(&run->vm), 0);
    ck_assert_int_eq(pipe(run->out_pipe), 0);
    ck_assert_int_eq(console_attach(&run->con, &run->vm, -1, run->out_pipe[1]), 0);
    ck_assert_int_eq(
        bus_register(&run->vm.pio, GUEST_UCALL_PORT, 4, &ucall_ops, run, "ucall"), 0);
    run->fd_map =
        mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, run->vm.gm.fd, 0);
    ck_assert_ptr_ne(run->fd_map, MAP_FAILED);
}

static int guest_run(struct guest_run *run)
{
    ck_assert_int_eq(vm_create_vcpus(&run->vm, 1), 0);
    return vm_run(&run->vm);
}

/* Console output so far (the pipe's write end stays open until cleanup). */
static void guest_output(struct guest_run *run, char *buf, size_t len)
{
    ssize_t n;

    fcntl(run->out_pipe[0], F_SETFL, O_NONBLOCK);
    n = read(run->out_pipe[0], buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
}

static void guest_cleanup(struct guest_run *run)
{
    munmap(run->fd_map, GUEST_RAM);
    vm_close(&run->vm);
    close(run->out_pipe[0]);
    close(run->out_pipe[1]);
}

START_TEST(test_hello_prints_and_halts)
{
    struct guest_run run;
    char out[256];

    guest_prepare(&run, "hello.elf");
    ck_assert_int_eq(guest_run(&run), GMVM_EXIT_GUEST_HLT);
    guest_output(&run, out, sizeof(out));
    ck_assert_str_eq(out, "hello from a guest_memfd guest\n");
    guest_cleanup(&run);
}
END_TEST

START_TEST(test_guest_reads_host_buffer)
{
    struct guest_run run;
    uint8_t *in;

    guest_prepare(&run, "checksum.elf");
    /* Fill through the independent fd mapping, with data that differs per
     * run so a stale value cannot pass. */
    in = run.fd_map + GUEST_IN_BUF;
    srand((unsigned)getpid());
    for (uint32_t i = 0; i < GUEST_BUF_LEN; i++)
        in[i] = (uint8_t)rand();
    ck_assert_int_eq(guest_run(&run), GMVM_EXIT_GUEST_HLT);
    ck_assert_int_eq(run.ucall_count, 1);
    ck_assert_uint_eq(run.ucall_value, guest_fnv1a(in, GUEST_BUF_LEN));
    guest_cleanup(&run);
}
END_TEST

START_TEST(test_guest_writes_seen_by_host)
{
    struct guest_run run;
    const uint8_t *out;

    guest_prepare(&run, "writer.elf");
    out = run.fd_map + GUEST_OUT_BUF;
    for (uint32_t i = 0; i < GUEST_BUF_LEN; i++)
        ck_assert_uint_eq(out[i], 0); /* fresh guest_memfd reads zero */
    ck_assert_int_eq(guest_run(&run), GMVM_EXIT_GUEST_HLT);
    ck_assert_int_eq(run.ucall_count, 1);
    for (uint32_t i = 0; i < GUEST_BUF_LEN; i++)
        ck_assert_msg(out[i] == guest_pattern(i), "byte %u: 0x%02x != 0x%02x", i, out[i],
                      guest_pattern(i));
    /* The guest wrote nothing past its buffer... */
    ck_assert_uint_eq(out[GUEST_BUF_LEN], 0);
    ck_assert_uint_eq(out[-1], 0);
    /* ...and gmvm's own accessor sees the same bytes as the fd mapping. */
    ck_assert_int_eq(
        memcmp(gm_ptr(&run.vm.gm, GUEST_OUT_BUF, GUEST_BUF_LEN), out, GUEST_BUF_LEN), 0);
    ck_assert_uint_eq(run.ucall_value, guest_fnv1a(out, GUEST_BUF_LEN));
    guest_cleanup(&run);
}
END_TEST

START_TEST(test_triple_fault_reported)
{
    struct guest_run run;
    char out[256];

    guest_prepare(&run, "triple_fault.elf");
    ck_assert_int_eq(guest_run(&run), GMVM_EXIT_GUEST_SHUTDOWN);
    guest_output(&run, out, sizeof(out));
    ck_assert_str_eq(out, "about to triple-fault\n");
    guest_cleanup(&run);
}
END_TEST

START_TEST(test_guest_memfd_is_the_backing)
{
    struct guest_run run;
    char link[64], target[256];
    ssize_t n;

    guest_prepare(&run, "hello.elf");
    /* The fd KVM gave us is a guest_memfd: an anon inode named kvm-gmem. */
    snprintf(link, sizeof(link), "/proc/self/fd/%d", run.vm.gm.fd);
    n = readlink(link, target, sizeof(target) - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_msg(strstr(target, "kvm-gmem") != NULL, "guest RAM fd is %s", target);
    /* A byte written through gmvm's accessor is in the fd. */
    ck_assert_int_eq(gm_write(&run.vm.gm, 0x123456, "\xa5", 1), 0);
    ck_assert_uint_eq(run.fd_map[0x123456], 0xa5);
    guest_cleanup(&run);
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s = suite_create("guests");
    TCase *tc = tcase_create("tiny");
    int kvm;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR_WITH_GUEST_ELFS\n", argv[0]);
        return 2;
    }
    elf_dir = argv[1];
    kvm = open("/dev/kvm", O_RDWR);
    if (kvm < 0) {
        printf("SKIP: /dev/kvm is not available (%m); tiny-guest tests need KVM\n");
        return 77;
    }
    close(kvm);

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hello_prints_and_halts);
    tcase_add_test(tc, test_guest_reads_host_buffer);
    tcase_add_test(tc, test_guest_writes_seen_by_host);
    tcase_add_test(tc, test_triple_fault_reported);
    tcase_add_test(tc, test_guest_memfd_is_the_backing);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
