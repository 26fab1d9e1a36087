/*
 * ELF loader for two kinds of image, told apart by class and machine:
 *   - ELF64 x86-64: an uncompressed Linux vmlinux. With a Xen PVH note
 *     (XEN_ELFNOTE_PHYS32_ENTRY) it boots through PVH (32-bit entry,
 *     EBX = hvm_start_info); without one through its ELF entry in long mode
 *     with a boot_params carrying a minimal setup header.
 *   - ELF32 i386: a bare "tiny guest" program, entered in 32-bit protected
 *     mode at e_entry with ESP = X86_BARE_STACK_TOP; no Linux structures.
 * Segments are loaded at p_paddr (vmlinux's p_vaddr is its virtual address)
 * and must lie in low RAM at or above 1 MiB, clear of gmvm's boot structures.
 * The file is untrusted input: every offset and size is overflow-checked.
 */
#include "boot/boot_priv.h"
#include "vmm/arch/x86_64/layout.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* The fields gmvm uses, widened from either class. */
struct elf_info {
    bool is64;
    uint64_t entry, phoff;
    uint32_t phnum;
};

struct elf_seg {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static int parse_ehdr(struct boot_ctx *ctx, struct elf_info *ei)
{
    const char *path = ctx->cfg->kernel_path;
    const uint8_t *id = ctx->image;
    uint16_t machine, type, phentsize;
    uint64_t ph_bytes;

    if (ctx->image_size < EI_NIDENT ||
        (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32))
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': class %u; accepted: ELF64 (x86-64 vmlinux) or ELF32 "
                        "(i386 program)",
                        path, ctx->image_size < EI_NIDENT ? 0 : id[EI_CLASS]);
    ei->is64 = id[EI_CLASS] == ELFCLASS64;
    if (id[EI_DATA] != ELFDATA2LSB || id[EI_VERSION] != EV_CURRENT)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': not a little-endian version-1 ELF (x86 images are)",
                        path);
    if (ei->is64) {
        Elf64_Ehdr eh;

        if (ctx->image_size < sizeof(eh))
            return boot_err(ctx, -ENOEXEC, "ELF '%s' is truncated inside its header",
                            path);
        memcpy(&eh, ctx->image, sizeof(eh));
        machine = eh.e_machine, type = eh.e_type, phentsize = eh.e_phentsize;
        ei->entry = eh.e_entry, ei->phoff = eh.e_phoff, ei->phnum = eh.e_phnum;
    } else {
        Elf32_Ehdr eh;

        if (ctx->image_size < sizeof(eh))
            return boot_err(ctx, -ENOEXEC, "ELF '%s' is truncated inside its header",
                            path);
        memcpy(&eh, ctx->image, sizeof(eh));
        machine = eh.e_machine, type = eh.e_type, phentsize = eh.e_phentsize;
        ei->entry = eh.e_entry, ei->phoff = eh.e_phoff, ei->phnum = eh.e_phnum;
    }
    if (ei->is64 ? machine != EM_X86_64 : machine != EM_386)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': machine %u in an ELF%d file; accepted: x86-64 (%d) in "
                        "ELF64, i386 (%d) in ELF32",
                        path, machine, ei->is64 ? 64 : 32, EM_X86_64, EM_386);
    if (type != ET_EXEC)
        return boot_err(
            ctx, -ENOEXEC, "ELF '%s': type %u (%s); only executables (ET_EXEC) boot",
            path, type, type == ET_DYN ? "a shared object or PIE" : "not executable");
    if (phentsize != (ei->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
        ei->phnum == 0)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': %u program headers of %u bytes; expected at least one "
                        "of %zu",
                        path, ei->phnum, phentsize,
                        ei->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr));
    ph_bytes = (uint64_t)ei->phnum * phentsize;
    if (ei->phoff > ctx->image_size || ph_bytes > ctx->image_size - ei->phoff)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': program headers at 0x%" PRIx64
                        " run past the end of the "
                        "file (%" PRIu64 " bytes): truncated or corrupt",
                        path, ei->phoff, ctx->image_size);
    return 0;
}

static void get_seg(const struct boot_ctx *ctx, const struct elf_info *ei, unsigned i,
                    struct elf_seg *s)
{
    if (ei->is64) {
        Elf64_Phdr ph;

        memcpy(&ph, ctx->image + ei->phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        *s =
            (struct elf_seg){ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
    } else {
        Elf32_Phdr ph;

        memcpy(&ph, ctx->image + ei->phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        *s =
            (struct elf_seg){ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
    }
}

/* A segment's bytes must be in the file and its memory in low RAM >= 1 MiB. */
static int check_seg(struct boot_ctx *ctx, unsigned i, const struct elf_seg *s)
{
    const char *path = ctx->cfg->kernel_path;
    uint64_t low_end = boot_low_ram_end(ctx->gm);
    uint64_t end;

    if (s->offset > ctx->image_size || s->filesz > ctx->image_size - s->offset)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': segment %u's %" PRIu64
                        " bytes at file offset 0x%" PRIx64
                        " run past the end of the file (%" PRIu64 " bytes): truncated",
                        path, i, s->filesz, s->offset, ctx->image_size);
    if (s->filesz > s->memsz)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': segment %u has filesz 0x%" PRIx64
                        " > memsz 0x%" PRIx64,
                        path, i, s->filesz, s->memsz);
    if (__builtin_add_overflow(s->paddr, s->memsz, &end))
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': segment %u at 0x%" PRIx64 " + 0x%" PRIx64
                        " overflows the address space",
                        path, i, s->paddr, s->memsz);
    if (s->paddr < X86_HIMEM_START || end > low_end ||
        !gm_range_ok(ctx->gm, s->paddr, s->memsz))
        return boot_err(ctx, -ENOSPC,
                        "ELF '%s': segment %u at [0x%" PRIx64 ", 0x%" PRIx64
                        ") is outside guest RAM usable for images, [0x%llx, 0x%" PRIx64
                        ")",
                        path, i, s->paddr, end, X86_HIMEM_START, low_end);
    return 0;
}

static int load_segments(struct boot_ctx *ctx, const struct elf_info *ei)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    struct elf_seg s;
    int ret;

    for (unsigned i = 0; i < ei->phnum; i++) {
        get_seg(ctx, ei, i, &s);
        if (s.type != PT_LOAD || s.memsz == 0)
            continue;
        ret = check_seg(ctx, i, &s);
        if (ret < 0)
            return ret;
        /* check_seg proved both ranges are inside RAM: these cannot fail. */
        gm_write(ctx->gm, s.paddr, ctx->image + s.offset, s.filesz);
        memset(gm_ptr(ctx->gm, s.paddr + s.filesz, s.memsz - s.filesz), 0,
               s.memsz - s.filesz);
        lo = s.paddr < lo ? s.paddr : lo;
        hi = s.paddr + s.memsz > hi ? s.paddr + s.memsz : hi;
    }
    if (hi == 0)
        return boot_err(ctx, -ENOEXEC, "ELF '%s' has no loadable (PT_LOAD) segment",
                        ctx->cfg->kernel_path);
    ctx->kernel_end = hi;
    if (ei->entry < lo || ei->entry >= hi)
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': entry point 0x%" PRIx64 " is outside its loaded image "
                        "[0x%" PRIx64 ", 0x%" PRIx64 ")",
                        ctx->cfg->kernel_path, ei->entry, lo, hi);
    return 0;
}

/*
 * Look through the PT_NOTE segments for Xen's PHYS32_ENTRY note (name
 * "Xen", a 32- or 64-bit value). Returns 1 and sets *entry if found, 0 if
 * not, or a negative errno for a malformed note segment.
 */
static int find_pvh_entry(struct boot_ctx *ctx, const struct elf_info *ei,
                          uint64_t *entry)
{
    struct elf_seg s;

    for (unsigned i = 0; i < ei->phnum; i++) {
        uint64_t off, end;

        get_seg(ctx, ei, i, &s);
        if (s.type != PT_NOTE)
            continue;
        if (s.offset > ctx->image_size || s.filesz > ctx->image_size - s.offset)
            return boot_err(ctx, -ENOEXEC,
                            "ELF '%s': note segment %u runs past the file end",
                            ctx->cfg->kernel_path, i);
        for (off = s.offset, end = s.offset + s.filesz; end - off >= 12;) {
            uint32_t nh[3]; /* namesz, descsz, type */
            uint64_t name, desc, next;

            memcpy(nh, ctx->image + off, sizeof(nh));
            name = off + 12;
            desc = name + (((uint64_t)nh[0] + 3) & ~3ULL);
            next = desc + (((uint64_t)nh[1] + 3) & ~3ULL);
            if (next > end)
                break; /* a torn last note: ignore, like the kernel's tools do */
            if (nh[2] == XEN_ELFNOTE_PHYS32_ENTRY && nh[0] == 4 &&
                !memcmp(ctx->image + name, "Xen", 4) && (nh[1] == 4 || nh[1] == 8)) {
                uint64_t v = 0;

                memcpy(&v, ctx->image + desc, nh[1]);
                *entry = v;
                return 1;
            }
            off = next;
        }
    }
    return 0;
}

/* vmlinux without PVH: boot_params with the minimal header the kernel reads. */
static int boot_plain64(struct boot_ctx *ctx, const struct elf_info *ei)
{
    struct boot_params bp;
    int ret;

    memset(&bp, 0, sizeof(bp));
    bp.hdr.boot_flag = SETUP_BOOT_FLAG;
    bp.hdr.header = SETUP_HDR_MAGIC;
    bp.hdr.version = 0x020f;
    bp.hdr.loadflags = SETUP_LOADED_HIGH;
    bp.hdr.vid_mode = SETUP_VID_MODE_NORMAL;
    bp.hdr.kernel_alignment = 0x200000;
    bp.hdr.cmdline_size = BOOT_LINUX_CMDLINE_MAX + 1;
    bp.hdr.initrd_addr_max = (uint32_t)(boot_low_ram_end(ctx->gm) - 1);
    ret = boot_params_fill(ctx, &bp);
    if (ret < 0)
        return ret;
    ctx->bi->mode = BOOT_MODE_LONG64;
    ctx->bi->entry = ei->entry;
    ctx->bi->stack = X86_BARE_STACK_TOP;
    return 0;
}

int elf_load(struct boot_ctx *ctx)
{
    struct elf_info ei;
    uint64_t pvh_entry = 0;
    int ret;

    ret = parse_ehdr(ctx, &ei);
    if (ret < 0)
        return ret;
    ret = load_segments(ctx, &ei);
    if (ret < 0)
        return ret;

    if (!ei.is64) {
        ctx->bi->mode = BOOT_MODE_PROT32;
        ctx->bi->entry = ei.entry;
        ctx->bi->stack = X86_BARE_STACK_TOP;
        ctx->bi->linux_guest = 0;
        return 0;
    }

    ret = find_pvh_entry(ctx, &ei, &pvh_entry);
    if (ret < 0)
        return ret;
    if (ret == 1 && (pvh_entry < X86_HIMEM_START || pvh_entry >= ctx->kernel_end))
        return boot_err(ctx, -ENOEXEC,
                        "ELF '%s': PVH entry 0x%" PRIx64 " is outside its loaded image",
                        ctx->cfg->kernel_path, pvh_entry);

    ret = boot_linux_setup(ctx, BOOT_LINUX_CMDLINE_MAX, boot_low_ram_end(ctx->gm) - 1);
    if (ret < 0)
        return ret;
    if (!pvh_entry)
        return boot_plain64(ctx, &ei);

    ret = pvh_write_start_info(ctx);
    if (ret < 0)
        return ret;
    ctx->bi->mode = BOOT_MODE_PROT32;
    ctx->bi->entry = pvh_entry;
    ctx->bi->stack = X86_BARE_STACK_TOP;
    return 0;
}
