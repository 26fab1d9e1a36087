/*
 * A small ACPI Machine Language (AML) byte-code writer: enough to build a
 * DSDT of named objects, devices, packages and resource templates
 * (ACPI 6.5, chapter 20 "AML Specification", chapter 6.4 "Resource Data
 * Types").
 *
 * It writes into a caller-owned fixed buffer. Errors are sticky: once the
 * buffer is full or a name is invalid every later call is a no-op, and
 * aml_finish() reports it, so callers check once at the end.
 *
 * Scopes, devices, packages and buffers are opened by their function and
 * closed by aml_close(); the PkgLength (and a buffer's size) are inserted
 * at close time, when the body length is known.
 *
 *   aml_scope(&a, "\\_SB_");
 *     aml_device(&a, "COM1");
 *       aml_name(&a, "_HID"); aml_integer(&a, aml_eisaid("PNP0501"));
 *     aml_close(&a);
 *   aml_close(&a);
 *   len = aml_finish(&a);
 */
#ifndef GMVM_BOOT_AML_H
#define GMVM_BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int error; /* 0, -ENOSPC (buffer full) or -EINVAL (bad name, nesting) */
    unsigned depth;
    struct {
        size_t start; /* where the PkgLength goes */
        bool is_buffer;
    } open[AML_MAX_DEPTH];
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Raw bytes, for table headers and anything this writer has no helper for. */
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * A NameString: optional root prefix '\', then 1..255 segments of up to 4
 * characters [A-Z0-9_] (not starting with a digit) separated by '.'; short
 * segments are padded with '_'. "\\_SB_.COM1", "_HID", "\\".
 */
void aml_namestring(struct aml *a, const char *path);

/* Data objects: the shortest integer encoding; a NUL-terminated string. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);

/* The 32-bit compressed EISA ID of "PNP0501"-style strings, for _HID/_CID. */
uint32_t aml_eisaid(const char *id);

/* Name(path, <next data object>): the caller writes the value right after. */
void aml_name(struct aml *a, const char *path);

/* Open a Scope, Device, Package (of @nelems elements) or Buffer. */
void aml_scope(struct aml *a, const char *path);
void aml_device(struct aml *a, const char *path);
void aml_package(struct aml *a, uint8_t nelems);
void aml_buffer(struct aml *a);
void aml_close(struct aml *a);

/* Resource descriptors, written inside an aml_buffer() used as a template. */
void aml_res_io(struct aml *a, uint16_t port, uint8_t len); /* Decode16, fixed */
void aml_res_irq(struct aml *a, uint8_t isa_irq);           /* IRQNoFlags */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable);

#define AML_IRQ_CONSUMER   0x01
#define AML_IRQ_EDGE       0x02
#define AML_IRQ_ACTIVE_LOW 0x04
#define AML_IRQ_SHARED     0x08
/* Extended Interrupt descriptor for one GSI; @flags from AML_IRQ_*. */
void aml_res_ext_irq(struct aml *a, uint32_t gsi, uint8_t flags);
/* End tag (checksum 0 = "not computed", which the spec allows). */
void aml_res_end(struct aml *a);

/* Bytes written, or the sticky error; -EINVAL if something is still open. */
int aml_finish(struct aml *a);

#endif
