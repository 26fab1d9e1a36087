#!/usr/bin/env python3
"""Write the seed corpus for the virtio fuzzers (formats: see fuzz_*.c).

Usage: gen-seeds.py OUTDIR   (creates OUTDIR/virtq, OUTDIR/blk and OUTDIR/boot)
"""
import os
import struct
import sys

RAM = 0x10000
NEXT, WRITE, INDIRECT = 1, 2, 4


def desc(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def ram_image(descs, heads, extra=()):
    """Descriptor table at 0, avail ring at 0x1000, blobs at given offsets."""
    mem = bytearray(0x1000 + 6 + 2 * 16)
    for i, d in enumerate(descs):
        mem[16 * i:16 * i + 16] = d
    struct.pack_into("<HH", mem, 0x1000, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", mem, 0x1004 + 2 * i, h)
    for off, blob in extra:
        if len(mem) < off + len(blob):
            mem.extend(bytes(off + len(blob) - len(mem)))
        mem[off:off + len(blob)] = blob
    return bytes(mem)


def virtq_seeds():
    hdr = struct.pack("<BHIII", 3, 16, 0, 0x1000, 0x2000)
    yield "chain", hdr + ram_image(
        [desc(RAM + 0x4000, 16, NEXT, 1), desc(RAM + 0x5000, 512, WRITE, 0)], [0])
    ind = desc(RAM + 0x4000, 16, NEXT, 1) + desc(RAM + 0x5000, 512, WRITE, 0)
    yield "indirect", hdr + ram_image(
        [desc(RAM + 0x3000, 32, INDIRECT, 0)], [0], [(0x3000, ind)])
    yield "two", hdr + ram_image(
        [desc(RAM + 0x4000, 8, 0, 0), desc(RAM + 0x4100, 8, WRITE, 0)], [0, 1])
    yield "loop", hdr + ram_image([desc(RAM + 0x4000, 8, NEXT, 0)], [0])


def blk_request(flags, rtype, sector, data_len, dev_writes, payload=b""):
    head = struct.pack("<BB", flags, 0)
    reqhdr = struct.pack("<IIQ", rtype, 0, sector)
    descs = [desc(RAM + 0x4000, 16, NEXT, 1 if data_len else 2)]
    if data_len:
        descs.append(desc(RAM + 0x5000, data_len, NEXT | (WRITE if dev_writes else 0), 2))
    else:
        descs.append(desc(0, 0, 0, 0))
    descs.append(desc(RAM + 0x4100, 1, WRITE, 0))
    return head + ram_image(descs, [0], [(0x4000, reqhdr), (0x5000, payload)])


def blk_seeds():
    yield "read", blk_request(2, 0, 1, 1024, True)
    yield "write", blk_request(2, 1, 4, 512, False, b"\x5a" * 512)
    yield "flush", blk_request(0, 4, 0, 0, False)
    yield "getid", blk_request(0, 8, 0, 20, True)
    seg = struct.pack("<QII", 8, 8, 0)
    yield "discard", blk_request(8, 11, 0, 16, False, seg)
    yield "wzeroes", blk_request(8, 13, 0, 16, False, struct.pack("<QII", 16, 8, 1))
    yield "ro_write", blk_request(1, 1, 0, 512, False, b"\x01" * 512)
    ops = struct.pack("<BB", 6, 2) + struct.pack("<BI", 0x70 // 4, 0) + \
        struct.pack("<BI", 0x64 // 4, 3)
    yield "regs", ops + blk_request(6, 0, 0, 512, True)[2:]


def elf32_exec(code=b"\xf4" * 16, paddr=0x100000):
    """An i386 ET_EXEC with one PT_LOAD: a bare tiny-guest program."""
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9),
                       2, 3, 1, paddr, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 84, paddr, paddr, len(code), len(code), 5, 4)
    return ehdr + phdr + code


def elf64_vmlinux(pvh=True, paddr=0x1000000):
    """An x86-64 ET_EXEC with a PT_LOAD and, optionally, the Xen PVH note."""
    code = b"\xf4" * 64
    note = struct.pack("<III4sQ", 4, 8, 18, b"Xen\0", paddr + 16)
    nph = 2 if pvh else 1
    off = 64 + 56 * nph
    ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + bytes(9),
                       2, 62, 1, paddr, 64, 0, 0, 64, 56, nph, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, off, paddr, paddr, len(code), len(code), 16)
    phdrs = load
    if pvh:
        phdrs += struct.pack("<IIQQQQQQ", 4, 4, off + len(code), 0, 0, len(note),
                             len(note), 4)
    return ehdr + phdrs + code + note


def bzimage(payload=b"\xf4" * 4096):
    """A minimal 64-bit-capable bzImage: one setup sector plus the kernel."""
    setup = bytearray(2 * 512)
    setup[0x1f1] = 1                                   # setup_sects
    struct.pack_into("<I", setup, 0x1f4, len(payload) // 16)  # syssize
    struct.pack_into("<H", setup, 0x1fe, 0xaa55)       # boot_flag
    setup[0x200:0x202] = b"\xeb\x66"                # jmp: header ends at 0x268
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020f)       # protocol 2.15
    setup[0x211] = 1                                   # LOADED_HIGH
    struct.pack_into("<I", setup, 0x230, 0x200000)     # kernel_alignment
    setup[0x234] = 1                                   # relocatable
    struct.pack_into("<H", setup, 0x236, 1)            # XLF_KERNEL_64
    struct.pack_into("<I", setup, 0x238, 2047)         # cmdline_size
    struct.pack_into("<I", setup, 0x22c, 0x7fffffff)   # initrd_addr_max
    struct.pack_into("<Q", setup, 0x258, 0x1000000)    # pref_address
    struct.pack_into("<I", setup, 0x260, 0x400000)     # init_size
    return bytes(setup) + payload


def boot_seeds():
    yield "elf32", elf32_exec()
    yield "elf64_pvh", elf64_vmlinux(True)
    yield "elf64_plain", elf64_vmlinux(False)
    yield "bzimage", bzimage()


def main():
    out = sys.argv[1]
    for name, gen in (("virtq", virtq_seeds), ("blk", blk_seeds), ("boot", boot_seeds)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for seed, blob in gen():
            with open(os.path.join(out, name, seed), "wb") as f:
                f.write(blob)


if __name__ == "__main__":
    main()
