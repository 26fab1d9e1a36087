/*
 * gmvm process exit statuses. Every way a VM can end maps to exactly one of
 * these, so scripts and tests can tell outcomes apart without parsing text.
 */
#ifndef GMVM_EXIT_CODES_H
#define GMVM_EXIT_CODES_H

enum gmvm_exit {
    GMVM_EXIT_OK = 0,              /* guest powered off or asked for a reboot */
    GMVM_EXIT_USAGE = 1,           /* bad flag, config or input file */
    GMVM_EXIT_NO_CAPABILITY = 2,   /* host KVM lacks a required capability */
    GMVM_EXIT_SETUP_FAILED = 3,    /* a host resource could not be set up */
    GMVM_EXIT_GUEST_HLT = 10,      /* vCPU halted with no in-kernel irqchip */
    GMVM_EXIT_GUEST_SHUTDOWN = 11, /* triple fault */
    GMVM_EXIT_INTERNAL_ERROR = 12, /* KVM_EXIT_INTERNAL_ERROR */
    GMVM_EXIT_FAIL_ENTRY = 13,     /* KVM_EXIT_FAIL_ENTRY */
    GMVM_EXIT_GUEST_PANIC = 14,    /* guest kernel reported a panic (pvpanic) */
    GMVM_EXIT_GUEST_FAULT = 15,    /* guest did something gmvm cannot emulate */
    GMVM_EXIT_SIGNAL = 128,        /* + signal number: SIGINT/SIGTERM stop */
};

#endif
