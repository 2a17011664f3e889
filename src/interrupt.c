#include "interrupt.h"

#include <string.h>

volatile sig_atomic_t hs_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    hs_interrupted = 1;
}

void interrupt_install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
