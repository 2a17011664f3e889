/* fake-provider --print-config URL [--enable P,...|all] [--set P.KEY=VALUE]...
 *
 * Prints the client config sections of every fake provider pointed at the
 * fake server on URL, so that the test library, make demo and make bench
 * write the same config from one source (each provider's client_config).
 * --enable turns providers on (the others get enabled = false); --set adds
 * KEY = VALUE (a TOML value, as written) to P's section. */
#include "fake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A loopback port free right now, below the ephemeral range (where the
 * clients' own connections could take it), for an OAuth callback listener. */
static int free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int tries = 0; tries < 1000; tries++) {
        int port = 20000 + (int)(rand_r(&seed) % 12000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    return 0;
}

static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    if (list && !strcmp(list, "all"))
        return true;
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ", ");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len;
    }
    return false;
}

/* The template with @URL@ and @PORT@ filled in. */
static void print_template(const char *t, const char *url)
{
    while (*t) {
        if (!strncmp(t, "@URL@", 5)) {
            fputs(url, stdout);
            t += 5;
        } else if (!strncmp(t, "@PORT@", 6)) {
            printf("%d", free_port());
            t += 6;
        } else {
            putchar(*t++);
        }
    }
}

int fake_print_config(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: fake-provider --print-config URL [--enable P,...|all] "
                        "[--set P.KEY=VALUE]...\n");
        return 2;
    }
    const char *url = argv[0], *enable = NULL;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--enable"))
            enable = argv[i + 1];
    for (const struct fake_provider *const *f = fake_providers(); *f; f++) {
        if (!(*f)->client_config)
            continue;
        printf("[%s]\nenabled = %s\n", (*f)->name, listed(enable, (*f)->name) ? "true" : "false");
        print_template((*f)->client_config, url);
        size_t n = strlen((*f)->name);
        for (int i = 1; i + 1 < argc; i += 2)
            if (!strcmp(argv[i], "--set") && !strncmp(argv[i + 1], (*f)->name, n) &&
                argv[i + 1][n] == '.') {
                const char *kv = argv[i + 1] + n + 1, *eq = strchr(kv, '=');
                if (eq)
                    printf("%.*s = %s\n", (int)(eq - kv), kv, eq + 1);
            }
        putchar('\n');
    }
    return 0;
}
