/*
 * The VM configuration and the command line that fills it.
 */
#ifndef GMVM_CONFIG_H
#define GMVM_CONFIG_H

#include "devices/virtio/blk.h"
#include "vmm/guest_mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_DISKS      8
#define CONFIG_MIN_MEMORY     (4ULL << 20)
#define CONFIG_MAX_MEMORY     (1ULL << 40)
#define CONFIG_DEFAULT_MEMORY (256ULL << 20)
#define CONFIG_MAX_VCPUS      32

struct vm_config {
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    uint64_t memory;
    unsigned vcpus;
    enum gm_backend backend;
    struct virtio_blk_spec disks[CONFIG_MAX_DISKS]; /* --disk, parsed and checked */
    unsigned nr_disks;
    bool rng;
    const char *dump_mem; /* write guest RAM here when the VM ends */
    int verbosity;
    uint64_t start_ns; /* CLOCK_MONOTONIC at main() entry, for --verbose stats */
};

/* What config_parse_args decided. */
enum config_action {
    CONFIG_RUN,     /* start a VM */
    CONFIG_HELP,    /* --help printed */
    CONFIG_VERSION, /* --version printed */
    CONFIG_ERROR,   /* @err holds one line */
};

/*
 * Parse "4096", "64K", "256M", "2G", "1T" (binary units, optional trailing
 * "iB"/"B") into bytes. Returns 0 or -EINVAL (syntax) / -ERANGE (overflow).
 */
int parse_size(const char *s, uint64_t *out);

/* Parse an unsigned decimal in [min, max]. Returns 0, -EINVAL or -ERANGE. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/*
 * Fill @cfg from argv. Help and version text go to stdout. On CONFIG_ERROR,
 * @err holds one line naming the flag and the accepted form.
 */
enum config_action config_parse_args(int argc, char **argv, struct vm_config *cfg,
                                     char *err, size_t errlen);

/* The --help text. */
void config_print_help(void);

#endif
