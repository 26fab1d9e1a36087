#!/usr/bin/env python3
"""Write the seed corpus for the virtio fuzzers (formats: see fuzz_*.c).

Usage: gen-seeds.py OUTDIR   (creates OUTDIR/virtq and OUTDIR/blk)
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


def main():
    out = sys.argv[1]
    for name, gen in (("virtq", virtq_seeds), ("blk", blk_seeds)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for seed, blob in gen():
            with open(os.path.join(out, name, seed), "wb") as f:
                f.write(blob)


if __name__ == "__main__":
    main()
