/*
 * Command line parsing with getopt_long. Validation happens here so a bad
 * flag is reported before anything is created.
 */
#include "vmm/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int parse_size(const char *s, uint64_t *out)
{
    unsigned long long v = 0;
    unsigned shift = 0;
    const char *p = s;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (__builtin_mul_overflow(v, 10ULL, &v) ||
            __builtin_add_overflow(v, (unsigned long long)(*p - '0'), &v))
            return -ERANGE;
    }
    switch (*p) {
    case 'k':
    case 'K':
        shift = 10;
        p++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        p++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        p++;
        break;
    case 't':
    case 'T':
        shift = 40;
        p++;
        break;
    default:
        break;
    }
    if (shift && (!strcmp(p, "iB") || !strcmp(p, "B")))
        p += strlen(p);
    if (*p)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    unsigned long long v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return -ERANGE;
    }
    if (v < min)
        return -ERANGE;
    *out = (unsigned)v;
    return 0;
}

enum {
    OPT_KERNEL = 'k',
    OPT_INITRD = 'i',
    OPT_CMDLINE = 'c',
    OPT_MEMORY = 'm',
    OPT_VCPUS = 'n',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_VERBOSE = 'v',
    OPT_BACKEND = 256,
    OPT_DISK,
    OPT_RNG,
    OPT_DUMP_MEM,
};

static const struct option long_options[] = {
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"cmdline", required_argument, NULL, OPT_CMDLINE},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"memory-backend", required_argument, NULL, OPT_BACKEND},
    {"disk", required_argument, NULL, OPT_DISK},
    {"rng", no_argument, NULL, OPT_RNG},
    {"dump-mem", required_argument, NULL, OPT_DUMP_MEM},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void config_print_help(void)
{
    printf(
        "Usage: gmvm --kernel PATH [options]\n"
        "Boot a KVM microVM whose RAM is one mmap-able guest_memfd.\n"
        "\n"
        "  -k, --kernel PATH        kernel: bzImage, ELF vmlinux (PVH or 64-bit entry),\n"
        "                           or an ELF32 bare program (required)\n"
        "  -i, --initrd PATH        initial ramdisk for a Linux kernel\n"
        "  -c, --cmdline STR        kernel command line\n"
        "                           (default \"console=ttyS0 reboot=k panic=-1 "
        "pci=off\")\n"
        "  -m, --memory SIZE        guest RAM, e.g. 256M, 2G (4M..1T, 4K-aligned;\n"
        "                           default 256M)\n"
        "  -n, --vcpus N            number of vCPUs, 1..32 (default 1)\n"
        "      --memory-backend B   guest_memfd (default) or anon (plain anonymous\n"
        "                           memory with classic memslots, for comparisons and\n"
        "                           hosts without guest_memfd mmap)\n"
        "      --disk SPEC          virtio-blk disk PATH[,readonly][,id=NAME];\n"
        "                           repeatable, up to %d\n"
        "      --rng                virtio-rng device fed by getrandom()\n"
        "      --dump-mem PATH      when the VM ends, write all guest RAM (read through\n"
        "                           gmvm's guest_memfd mapping) to PATH\n"
        "  -v, --verbose            log VM events to stderr (twice: debug)\n"
        "  -h, --help               this text\n"
        "  -V, --version            print the version\n"
        "\n"
        "Exit status: 0 guest powered off or rebooted, 1 bad usage or input,\n"
        "2 host KVM lacks a capability, 3 host setup failed, 10 guest halted,\n"
        "11 triple fault, 12 KVM internal error, 13 VM entry failed,\n"
        "14 guest kernel panic, 15 unhandled guest exit, 128+N stopped by signal N.\n"
        "On a terminal, Ctrl-A x ends the VM.\n",
        CONFIG_MAX_DISKS);
}

static enum config_action fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CONFIG_ERROR;
}

static enum config_action check_file(const char *flag, const char *path, char *err,
                                     size_t errlen)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return fail(err, errlen, "%s %s: %s", flag, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, errlen, "%s %s: not a regular file", flag, path);
    return CONFIG_RUN;
}

enum config_action config_parse_args(int argc, char **argv, struct vm_config *cfg,
                                     char *err, size_t errlen)
{
    int opt, ret;

    memset(cfg, 0, sizeof(*cfg));
    cfg->memory = CONFIG_DEFAULT_MEMORY;
    cfg->vcpus = 1;
    cfg->backend = GM_BACKEND_GUEST_MEMFD;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":k:i:c:m:n:vhV", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_KERNEL:
            cfg->kernel = optarg;
            break;
        case OPT_INITRD:
            cfg->initrd = optarg;
            break;
        case OPT_CMDLINE:
            cfg->cmdline = optarg;
            break;
        case OPT_MEMORY:
            ret = parse_size(optarg, &cfg->memory);
            if (ret < 0 || cfg->memory < CONFIG_MIN_MEMORY ||
                cfg->memory > CONFIG_MAX_MEMORY || (cfg->memory & 0xfff))
                return fail(err, errlen,
                            "--memory '%s': expected a size from 4M to 1T in 4K units, "
                            "e.g. 256M or 2G",
                            optarg);
            break;
        case OPT_VCPUS:
            if (parse_uint(optarg, 1, CONFIG_MAX_VCPUS, &cfg->vcpus) < 0)
                return fail(err, errlen, "--vcpus '%s': expected a number from 1 to %d",
                            optarg, CONFIG_MAX_VCPUS);
            break;
        case OPT_BACKEND:
            if (!strcmp(optarg, "guest_memfd"))
                cfg->backend = GM_BACKEND_GUEST_MEMFD;
            else if (!strcmp(optarg, "anon"))
                cfg->backend = GM_BACKEND_ANON;
            else
                return fail(err, errlen,
                            "--memory-backend '%s': expected guest_memfd or anon",
                            optarg);
            break;
        case OPT_DISK:
            if (cfg->nr_disks == CONFIG_MAX_DISKS)
                return fail(err, errlen, "--disk: at most %d disks", CONFIG_MAX_DISKS);
            if (virtio_blk_parse_spec(optarg, &cfg->disks[cfg->nr_disks], err, errlen) <
                0)
                return CONFIG_ERROR;
            cfg->nr_disks++;
            break;
        case OPT_RNG:
            cfg->rng = true;
            break;
        case OPT_DUMP_MEM:
            cfg->dump_mem = optarg;
            break;
        case OPT_VERBOSE:
            cfg->verbosity++;
            break;
        case OPT_HELP:
            config_print_help();
            return CONFIG_HELP;
        case OPT_VERSION:
            printf("gmvm %s\n", GMVM_VERSION);
            return CONFIG_VERSION;
        case ':':
            return fail(err, errlen, "%s needs a value (see gmvm --help)",
                        argv[optind - 1]);
        default:
            return fail(err, errlen, "unknown option '%s' (see gmvm --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail(err, errlen, "unexpected argument '%s' (see gmvm --help)",
                    argv[optind]);
    if (!cfg->kernel)
        return fail(err, errlen, "--kernel PATH is required (see gmvm --help)");
    if (check_file("--kernel", cfg->kernel, err, errlen) == CONFIG_ERROR)
        return CONFIG_ERROR;
    if (cfg->initrd && check_file("--initrd", cfg->initrd, err, errlen) == CONFIG_ERROR)
        return CONFIG_ERROR;
    return CONFIG_RUN;
}
