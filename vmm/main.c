/*
 * gmvm: a minimal KVM microVM monitor whose guest RAM is one guest_memfd.
 * main() is the only place that exits.
 */
#include "vmm/config.h"
#include "vmm/exit_codes.h"
#include "vmm/machine.h"
#include "vmm/mem_stats.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    uint64_t start_ns = mono_ns();
    struct vm_config cfg;
    char err[512];

    switch (config_parse_args(argc, argv, &cfg, err, sizeof(err))) {
    case CONFIG_HELP:
    case CONFIG_VERSION:
        return GMVM_EXIT_OK;
    case CONFIG_ERROR:
        fprintf(stderr, "gmvm: %s\n", err);
        return GMVM_EXIT_USAGE;
    case CONFIG_RUN:
        break;
    }
    cfg.start_ns = start_ns;
    return machine_run(&cfg);
}
