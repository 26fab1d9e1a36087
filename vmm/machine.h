/*
 * Building and running a whole machine from a vm_config: the one place that
 * lists the devices and the order in which everything is set up.
 */
#ifndef GMVM_MACHINE_H
#define GMVM_MACHINE_H

#include "vmm/config.h"

/*
 * Create, boot and run the VM described by @cfg; returns the process exit
 * status (vmm/exit_codes.h). Every failure has printed one line by then.
 */
int machine_run(const struct vm_config *cfg);

#endif
