/*
 * AML byte-code writer. See aml.h for the contract. Opcode values are from
 * the ACPI 6.5 specification, section 20.3 (AML grammar definition).
 */
#include "boot/aml.h"

#include <errno.h>
#include <string.h>

#define AML_ZERO_OP           0x00
#define AML_ONE_OP            0x01
#define AML_NAME_OP           0x08
#define AML_BYTE_PREFIX       0x0a
#define AML_WORD_PREFIX       0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_STRING_PREFIX     0x0d
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP          0x10
#define AML_BUFFER_OP         0x11
#define AML_PACKAGE_OP        0x12
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX     0x5b
#define AML_DEVICE_OP         0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR         '\\'

#define PKGLEN_MAX 0x0fffffffu /* 28 bits */

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->cap = cap;
}

static void fail(struct aml *a, int err)
{
    if (!a->error)
        a->error = err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (a->error)
        return;
    if (n > a->cap - a->len) {
        fail(a, -ENOSPC);
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static bool name_char_ok(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
    const char *p = path;
    unsigned nsegs = 1;
    char seg[4];

    if (*p == AML_ROOT_CHAR) {
        aml_byte(a, AML_ROOT_CHAR);
        p++;
    }
    if (!*p) {
        aml_byte(a, 0x00); /* NullName */
        return;
    }
    for (const char *q = p; *q; q++)
        nsegs += *q == '.';
    if (nsegs > 255) {
        fail(a, -EINVAL);
        return;
    }
    if (nsegs == 2) {
        aml_byte(a, AML_DUAL_NAME_PREFIX);
    } else if (nsegs > 2) {
        aml_byte(a, AML_MULTI_NAME_PREFIX);
        aml_byte(a, (uint8_t)nsegs);
    }
    while (nsegs--) {
        unsigned n = 0;

        memset(seg, '_', sizeof(seg));
        for (; *p && *p != '.'; p++, n++) {
            if (n >= 4 || !name_char_ok(*p, n == 0)) {
                fail(a, -EINVAL);
                return;
            }
            seg[n] = *p;
        }
        if (n == 0) {
            fail(a, -EINVAL);
            return;
        }
        aml_bytes(a, seg, sizeof(seg));
        if (*p == '.')
            p++;
    }
}

/* Encode @v into @out; returns the byte count (1..9). */
static size_t encode_integer(uint64_t v, uint8_t *out)
{
    size_t n;

    if (v == 0 || v == 1) {
        out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
        return 1;
    }
    if (v <= 0xff)
        out[0] = AML_BYTE_PREFIX, n = 1;
    else if (v <= 0xffff)
        out[0] = AML_WORD_PREFIX, n = 2;
    else if (v <= 0xffffffff)
        out[0] = AML_DWORD_PREFIX, n = 4;
    else
        out[0] = AML_QWORD_PREFIX, n = 8;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(v >> (8 * i));
    return n + 1;
}

void aml_integer(struct aml *a, uint64_t v)
{
    uint8_t enc[9];

    aml_bytes(a, enc, encode_integer(v, enc));
}

void aml_string(struct aml *a, const char *s)
{
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

/*
 * "PNP0501": three letters of 5 bits each ('A' = 1) then four hex digits,
 * stored big-endian in the four bytes of a little-endian DWord.
 */
uint32_t aml_eisaid(const char *id)
{
    uint32_t v = 0;

    if (strlen(id) != 7)
        return 0;
    v |= (uint32_t)((id[0] - '@') & 0x1f) << 26;
    v |= (uint32_t)((id[1] - '@') & 0x1f) << 21;
    v |= (uint32_t)((id[2] - '@') & 0x1f) << 16;
    for (int i = 3; i < 7; i++) {
        char c = id[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                                          : (unsigned)((c | 0x20) - 'a' + 10);

        v |= (d & 0xf) << (4 * (6 - i));
    }
    return __builtin_bswap32(v);
}

void aml_name(struct aml *a, const char *path)
{
    aml_byte(a, AML_NAME_OP);
    aml_namestring(a, path);
}

static void open_pkg(struct aml *a, bool is_buffer)
{
    if (a->depth >= AML_MAX_DEPTH) {
        fail(a, -EINVAL);
        return;
    }
    a->open[a->depth].start = a->len;
    a->open[a->depth].is_buffer = is_buffer;
    a->depth++;
}

void aml_scope(struct aml *a, const char *path)
{
    aml_byte(a, AML_SCOPE_OP);
    open_pkg(a, false);
    aml_namestring(a, path);
}

void aml_device(struct aml *a, const char *path)
{
    aml_byte(a, AML_EXT_OP_PREFIX);
    aml_byte(a, AML_DEVICE_OP);
    open_pkg(a, false);
    aml_namestring(a, path);
}

void aml_package(struct aml *a, uint8_t nelems)
{
    aml_byte(a, AML_PACKAGE_OP);
    open_pkg(a, false);
    aml_byte(a, nelems);
}

void aml_buffer(struct aml *a)
{
    aml_byte(a, AML_BUFFER_OP);
    open_pkg(a, true);
}

/* Insert @n bytes at @at, shifting the tail. */
static void insert(struct aml *a, size_t at, const uint8_t *p, size_t n)
{
    if (a->error)
        return;
    if (n > a->cap - a->len) {
        fail(a, -ENOSPC);
        return;
    }
    memmove(a->buf + at + n, a->buf + at, a->len - at);
    memcpy(a->buf + at, p, n);
    a->len += n;
}

void aml_close(struct aml *a)
{
    uint8_t enc[9];
    size_t start, body, n, total;

    if (a->error)
        return;
    if (a->depth == 0) {
        fail(a, -EINVAL);
        return;
    }
    a->depth--;
    start = a->open[a->depth].start;
    if (a->open[a->depth].is_buffer) /* BufferSize precedes the bytes */
        insert(a, start, enc, encode_integer(a->len - start, enc));
    body = a->len - start;
    /* PkgLength counts its own 1..4 bytes; see ACPI 6.5 section 20.2.4. */
    for (n = 1; n <= 4; n++) {
        total = body + n;
        if (total <= (n == 1 ? 0x3fu : (1u << (4 + 8 * (n - 1))) - 1))
            break;
    }
    if (n > 4 || total > PKGLEN_MAX) {
        fail(a, -ENOSPC);
        return;
    }
    if (n == 1) {
        enc[0] = (uint8_t)total;
    } else {
        enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
        for (size_t i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    insert(a, start, enc, n);
}

void aml_res_io(struct aml *a, uint16_t port, uint8_t len)
{
    /* Small item 0x08 (I/O port), length 7: decode16, min = max, align 1. */
    aml_byte(a, 0x47);
    aml_byte(a, 0x01);
    aml_le(a, port, 2);
    aml_le(a, port, 2);
    aml_byte(a, 0x01);
    aml_byte(a, len);
}

void aml_res_irq(struct aml *a, uint8_t isa_irq)
{
    /* Small item 0x04 (IRQ), length 2: a 16-bit mask, edge/high/exclusive. */
    aml_byte(a, 0x22);
    aml_le(a, 1u << (isa_irq & 0xf), 2);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable)
{
    /* Large item 0x06 (32-bit fixed memory range), length 9. */
    aml_byte(a, 0x86);
    aml_le(a, 9, 2);
    aml_byte(a, writable ? 0x01 : 0x00);
    aml_le(a, base, 4);
    aml_le(a, len, 4);
}

void aml_res_ext_irq(struct aml *a, uint32_t gsi, uint8_t flags)
{
    /* Large item 0x09 (extended interrupt), one interrupt: length 6. */
    aml_byte(a, 0x89);
    aml_le(a, 6, 2);
    aml_byte(a, flags);
    aml_byte(a, 1);
    aml_le(a, gsi, 4);
}

void aml_res_end(struct aml *a)
{
    aml_byte(a, 0x79);
    aml_byte(a, 0x00);
}

int aml_finish(struct aml *a)
{
    if (!a->error && a->depth)
        a->error = -EINVAL;
    return a->error ? a->error : (int)a->len;
}
