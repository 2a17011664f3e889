/* interrupt: Ctrl-C and SIGTERM.  The handler only sets a flag; sleeps,
 * transfers, the lock wait and the runner's commits look at it and stop
 * early, so an interrupted run ends through its normal error paths. */
#ifndef HS_INTERRUPT_H
#define HS_INTERRUPT_H

#include <signal.h>

/* Set by the SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t hs_interrupted;

/* Installs the SIGINT/SIGTERM handler and ignores SIGPIPE (a closed socket
 * is an error to report, not a reason to die). */
void interrupt_install_handlers(void);

#endif
