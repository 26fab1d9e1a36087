/*
 * Binary layouts the loaders hand to a guest kernel: Linux's boot_params
 * ("zero page") with its setup header and e820 table, and the Xen PVH
 * hvm_start_info. Offsets follow the Linux x86 boot protocol
 * (Documentation/arch/x86/boot.rst, zero-page.rst) and Xen's
 * public/arch-x86/hvm/start_info.h; each is checked by a static assert.
 */
#ifndef GMVM_BOOT_PARAMS_H
#define GMVM_BOOT_PARAMS_H

#include "vmm/guest_mem.h"

#include <stddef.h>
#include <stdint.h>

#define E820_RAM         1
#define E820_RESERVED    2
#define E820_MAX_ENTRIES 128 /* slots in boot_params.e820_table */

struct boot_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

/* The real-mode setup header, found at 0x1f1 in a bzImage and in boot_params. */
struct setup_header {
    uint8_t setup_sects;
    uint16_t root_flags;
    uint32_t syssize;
    uint16_t ram_size;
    uint16_t vid_mode;
    uint16_t root_dev;
    uint16_t boot_flag;
    uint16_t jump;
    uint32_t header;
    uint16_t version;
    uint32_t realmode_swtch;
    uint16_t start_sys_seg;
    uint16_t kernel_version;
    uint8_t type_of_loader;
    uint8_t loadflags;
    uint16_t setup_move_size;
    uint32_t code32_start;
    uint32_t ramdisk_image;
    uint32_t ramdisk_size;
    uint32_t bootsect_kludge;
    uint16_t heap_end_ptr;
    uint8_t ext_loader_ver;
    uint8_t ext_loader_type;
    uint32_t cmd_line_ptr;
    uint32_t initrd_addr_max;
    uint32_t kernel_alignment;
    uint8_t relocatable_kernel;
    uint8_t min_alignment;
    uint16_t xloadflags;
    uint32_t cmdline_size;
    uint32_t hardware_subarch;
    uint64_t hardware_subarch_data;
    uint32_t payload_offset;
    uint32_t payload_length;
    uint64_t setup_data;
    uint64_t pref_address;
    uint32_t init_size;
    uint32_t handover_offset;
    uint32_t kernel_info_offset;
} __attribute__((packed));

#define SETUP_HDR_OFFSET       0x1f1
#define SETUP_HDR_MAGIC        0x53726448 /* "HdrS" */
#define SETUP_BOOT_FLAG        0xaa55
#define SETUP_LOADED_HIGH      0x01   /* loadflags: protected-mode code at 1 MiB+ */
#define SETUP_XLF_KERNEL_64    0x0001 /* xloadflags: 64-bit entry at +0x200 */
#define SETUP_LOADER_UNDEFINED 0xff
#define SETUP_VID_MODE_NORMAL  0xffff

/* Only the fields gmvm sets are named; the rest stays zero. */
struct boot_params {
    uint8_t _pad0[0x70];
    uint64_t acpi_rsdp_addr; /* 0x070, protocol 2.14 */
    uint8_t _pad1[0xc0 - 0x78];
    uint32_t ext_ramdisk_image; /* 0x0c0: bits 32..63 */
    uint32_t ext_ramdisk_size;
    uint32_t ext_cmd_line_ptr;
    uint8_t _pad2[0x1e8 - 0xcc];
    uint8_t e820_entries;         /* 0x1e8 */
    uint8_t _pad3[0x1f1 - 0x1e9]; /* includes the sentinel at 0x1ef: must be 0 */
    struct setup_header hdr;      /* 0x1f1 */
    uint8_t _pad4[0x2d0 - 0x1f1 - sizeof(struct setup_header)];
    struct boot_e820_entry e820_table[E820_MAX_ENTRIES]; /* 0x2d0 */
    uint8_t _pad5[0x1000 - 0xcd0];
} __attribute__((packed));

_Static_assert(offsetof(struct setup_header, header) == 0x202 - 0x1f1, "HdrS");
_Static_assert(offsetof(struct setup_header, cmd_line_ptr) == 0x228 - 0x1f1, "cmdline");
_Static_assert(offsetof(struct setup_header, xloadflags) == 0x236 - 0x1f1, "xlf");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - 0x1f1, "pref");
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup_header size");
_Static_assert(offsetof(struct boot_params, hdr) == 0x1f1, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct boot_params) == 4096, "boot_params size");

/* Xen PVH boot ABI: what EBX points to at the PHYS32_ENTRY. */
#define HVM_START_MAGIC          0x336ec578
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct hvm_start_info {
    uint32_t magic;
    uint32_t version; /* 1: memmap fields present */
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* E820_* values */
    uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap");

/*
 * Build the e820 map of @gm into @tab (at most @max entries), sorted by
 * address: each RAM region as E820_RAM except [X86_EBDA_START, 1 MiB),
 * which is E820_RESERVED (EBDA, VGA hole, ACPI tables, BIOS area).
 * Returns the entry count, or -ENOSPC if @max is too small.
 */
int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, unsigned max);

#endif
