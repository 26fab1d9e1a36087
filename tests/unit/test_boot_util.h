/*
 * Helpers shared by the boot/ACPI unit tests: a fake guest memory, a temp
 * directory, and builders for minimal bzImage / ELF32 / ELF64 files that
 * exercise the loaders without any real kernel. Header-only (static
 * functions) because each test file is its own executable.
 */
#ifndef GMVM_TEST_BOOT_UTIL_H
#define GMVM_TEST_BOOT_UTIL_H

#include "boot/boot_params.h"
#include "boot/loader.h"
#include "vmm/arch/x86_64/layout.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TB_MIB (1024ULL * 1024)

struct tb_vm {
    struct guest_mem gm;
    uint8_t *ram;
    uint64_t size;
    char err[512];
};

static inline void tb_vm_init(struct tb_vm *vm, uint64_t size)
{
    vm->ram = calloc(1, size);
    ck_assert_ptr_nonnull(vm->ram);
    vm->size = size;
    vm->err[0] = '\0';
    gm_init_fake(&vm->gm, vm->ram, 0, size);
}

static inline void tb_vm_free(struct tb_vm *vm)
{
    free(vm->ram);
    vm->ram = NULL;
}

/* A per-process temp directory, removed (best effort) at exit. */
static char tb_dir[64];
static pid_t tb_dir_pid; /* Check forks each test: one directory per process */

static inline void tb_cleanup(void)
{
    char cmd[128];

    if (tb_dir[0] && tb_dir_pid == getpid()) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tb_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tb_dir);
    }
}

static inline const char *tb_path(const char *name)
{
    static char path[8][256];
    static unsigned next;
    char *p = path[next++ % 8];

    if (tb_dir_pid != getpid()) {
        snprintf(tb_dir, sizeof(tb_dir), "/tmp/gmvm-boot-test-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tb_dir));
        tb_dir_pid = getpid();
        atexit(tb_cleanup);
    }
    snprintf(p, 256, "%s/%s", tb_dir, name);
    return p;
}

static inline const char *tb_write_file(const char *name, const void *data, size_t len)
{
    const char *path = tb_path(name);
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* ---- bzImage ---------------------------------------------------------- */

#define TB_BZ_SETUP_SECTS 4
#define TB_BZ_SETUP_SIZE  ((TB_BZ_SETUP_SECTS + 1) * 512)

struct tb_bzimage {
    uint8_t *data;
    size_t len;
    struct setup_header *hdr; /* inside data, for tweaks */
};

/* A bzImage with a @kernel_len-byte protected-mode part filled with 0xk. */
static inline void tb_bzimage(struct tb_bzimage *bz, size_t kernel_len)
{
    struct setup_header *h;

    bz->len = TB_BZ_SETUP_SIZE + kernel_len;
    bz->data = calloc(1, bz->len);
    ck_assert_ptr_nonnull(bz->data);
    for (size_t i = 0; i < kernel_len; i++)
        bz->data[TB_BZ_SETUP_SIZE + i] = (uint8_t)(i * 7 + 1);
    /* jump at 0x200: EB <to the end of the 2.15 header> */
    bz->data[0x200] = 0xeb;
    bz->data[0x201] = 0x26c - 0x202;
    h = (struct setup_header *)(bz->data + SETUP_HDR_OFFSET);
    h->setup_sects = TB_BZ_SETUP_SECTS;
    h->syssize = (uint32_t)((kernel_len + 15) / 16);
    h->boot_flag = SETUP_BOOT_FLAG;
    h->header = SETUP_HDR_MAGIC;
    h->version = 0x020f;
    h->loadflags = SETUP_LOADED_HIGH;
    h->initrd_addr_max = 0x7fffffff;
    h->kernel_alignment = 0x200000;
    h->relocatable_kernel = 1;
    h->xloadflags = SETUP_XLF_KERNEL_64;
    h->cmdline_size = 2047;
    h->pref_address = 0x1000000;
    h->init_size = (uint32_t)(kernel_len * 4);
    bz->hdr = h;
}

/* ---- ELF -------------------------------------------------------------- */

struct tb_seg {
    uint32_t type;
    uint64_t paddr, filesz, memsz;
    const void *data; /* filesz bytes, NULL = pattern */
};

/*
 * An ELF file: class 32 or 64, @machine, entry, segments; their contents are
 * laid out after the program headers. Returns malloc'd bytes in *len.
 */
static inline uint8_t *tb_elf(int cls, uint16_t machine, uint64_t entry,
                              const struct tb_seg *segs, unsigned nsegs, size_t *len)
{
    size_t ehsz = cls == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phsz = cls == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t off = ehsz + nsegs * phsz, total = off;
    uint8_t *f;

    for (unsigned i = 0; i < nsegs; i++)
        total += segs[i].filesz;
    f = calloc(1, total);
    ck_assert_ptr_nonnull(f);
    memcpy(f, ELFMAG, SELFMAG);
    f[EI_CLASS] = cls == 64 ? ELFCLASS64 : ELFCLASS32;
    f[EI_DATA] = ELFDATA2LSB;
    f[EI_VERSION] = EV_CURRENT;
    if (cls == 64) {
        Elf64_Ehdr *eh = (Elf64_Ehdr *)f;

        eh->e_type = ET_EXEC, eh->e_machine = machine, eh->e_version = EV_CURRENT;
        eh->e_entry = entry, eh->e_phoff = ehsz, eh->e_ehsize = (uint16_t)ehsz;
        eh->e_phentsize = (uint16_t)phsz, eh->e_phnum = (uint16_t)nsegs;
    } else {
        Elf32_Ehdr *eh = (Elf32_Ehdr *)f;

        eh->e_type = ET_EXEC, eh->e_machine = machine, eh->e_version = EV_CURRENT;
        eh->e_entry = (uint32_t)entry, eh->e_phoff = (uint32_t)ehsz;
        eh->e_ehsize = (uint16_t)ehsz;
        eh->e_phentsize = (uint16_t)phsz, eh->e_phnum = (uint16_t)nsegs;
    }
    for (unsigned i = 0; i < nsegs; i++) {
        const struct tb_seg *s = &segs[i];
        uint8_t *dst = f + off;

        if (cls == 64) {
            Elf64_Phdr *ph = (Elf64_Phdr *)(f + ehsz + i * phsz);

            *ph = (Elf64_Phdr){.p_type = s->type,
                               .p_offset = off,
                               .p_vaddr = s->paddr,
                               .p_paddr = s->paddr,
                               .p_filesz = s->filesz,
                               .p_memsz = s->memsz,
                               .p_align = 0x1000};
        } else {
            Elf32_Phdr *ph = (Elf32_Phdr *)(f + ehsz + i * phsz);

            *ph = (Elf32_Phdr){.p_type = s->type,
                               .p_offset = (uint32_t)off,
                               .p_vaddr = (uint32_t)s->paddr,
                               .p_paddr = (uint32_t)s->paddr,
                               .p_filesz = (uint32_t)s->filesz,
                               .p_memsz = (uint32_t)s->memsz,
                               .p_align = 0x1000};
        }
        for (uint64_t j = 0; j < s->filesz; j++)
            dst[j] = s->data ? ((const uint8_t *)s->data)[j] : (uint8_t)(j * 3 + 5);
        off += s->filesz;
    }
    *len = total;
    return f;
}

/* A Xen PHYS32_ENTRY note with an 8-byte value, as Linux emits it. */
struct tb_pvh_note {
    uint32_t namesz, descsz, type;
    char name[4];
    uint64_t entry;
};

static inline struct tb_pvh_note tb_pvh_note(uint64_t entry)
{
    struct tb_pvh_note n = {4, 8, XEN_ELFNOTE_PHYS32_ENTRY, "Xen", entry};

    return n;
}

/* Run @s: the project's shared Check main. */
#define tb_run check_run_suite

#endif
