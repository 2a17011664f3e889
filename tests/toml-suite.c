/* toml-suite: runs a toml-test style decoder against the toml-test corpus.
 *
 *   toml-suite DECODER DIR
 *
 * DIR/files-toml-1.0.0 lists the cases.  Each valid/...toml is fed to DECODER
 * on stdin and its JSON output compared with the .json next to it; each
 * invalid/...toml must make DECODER exit non-zero.  Output is TAP. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000
#define MAX_OUTPUT (64 << 20)

struct result {
    int status;    /* exit status, or -1 if killed/timed out */
    char *out;     /* stdout, NUL-terminated */
    size_t len;
    bool timed_out;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void child(const char *decoder, int in_fd, int out_fd)
{
    int null_fd = open("/dev/null", O_WRONLY);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || (null_fd >= 0 && dup2(null_fd, 2) < 0))
        _exit(127);
    execl(decoder, decoder, (char *)NULL);
    _exit(127);
}

/* Reads the child's stdout until EOF or the deadline.  Returns 0 on EOF. */
static int collect(int fd, struct result *r, long deadline)
{
    size_t cap = 0;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        if (r->len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(r->out, cap);
            if (!p)
                return -1;
            r->out = p;
        }
        ssize_t n = read(fd, r->out + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 0 : -1;
        r->len += (size_t)n;
        if (r->len > MAX_OUTPUT)
            return -1;
    }
}

/* Runs decoder with the file at path on stdin. */
static int run_decoder(const char *decoder, const char *path, struct result *r)
{
    memset(r, 0, sizeof(*r));
    r->status = -1;
    int in_fd = open(path, O_RDONLY);
    if (in_fd < 0)
        return -1;
    int pfd[2];
    if (pipe(pfd) < 0) {
        close(in_fd);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in_fd);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        child(decoder, in_fd, pfd[1]);
    }
    close(in_fd);
    close(pfd[1]);
    if (collect(pfd[0], r, now_ms() + TIMEOUT_MS) < 0) {
        r->timed_out = true;
        kill(pid, SIGKILL);
    }
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!r->timed_out && WIFEXITED(st))
        r->status = WEXITSTATUS(st);
    if (!r->out)
        r->out = calloc(1, 1);
    else
        r->out[r->len] = '\0';
    return r->out ? 0 : -1;
}

/* ---- comparison ---------------------------------------------------------- */

static bool is_tagged(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 2 && json_is_string(json_object_get(v, "type")) &&
           json_is_string(json_object_get(v, "value"));
}

/* Normalises separators and case, and drops trailing zeros of fractional
 * seconds (".600" is the same instant as ".6"). */
static void norm_datetime(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        char c = *r == 't' || *r == ' ' ? 'T' : *r == 'z' ? 'Z' : *r;
        *w++ = c;
        if (c != '.')
            continue;
        char *end = r + 1;
        while (*end >= '0' && *end <= '9')
            end++;
        char *last = end;
        while (last > r + 1 && last[-1] == '0')
            last--;
        if (last == r + 1)
            w--; /* all zeros: drop the '.' too */
        memmove(w, r + 1, (size_t)(last - r - 1));
        w += last - r - 1;
        r = end - 1;
    }
    *w = '\0';
}

static bool same_scalar(const char *type, const char *want, const char *got)
{
    if (strcmp(type, "integer") == 0)
        return strtoll(want, NULL, 10) == strtoll(got, NULL, 10);
    if (strcmp(type, "float") == 0) {
        double a = strtod(want, NULL), b = strtod(got, NULL);
        return (isnan(a) && isnan(b)) || a == b;
    }
    if (strncmp(type, "date", 4) == 0 || strcmp(type, "time-local") == 0) {
        char *a = strdup(want), *b = strdup(got);
        bool same = a && b;
        if (same) {
            norm_datetime(a);
            norm_datetime(b);
            same = strcmp(a, b) == 0;
        }
        free(a);
        free(b);
        return same;
    }
    return strcmp(want, got) == 0;
}

/* jansson cannot hold NUL in object keys, so before parsing, the escape
 * \u0000 becomes the noncharacter \uFDD0 on both sides of a comparison. */
static void mask_nul_escapes(char *s, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            in_string = !in_string;
        } else if (in_string && s[i] == '\\') {
            if (i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0)
                memcpy(s + i + 1, "uFDD0", 5);
            i++; /* skip the escaped character */
        }
    }
}

static json_t *load_json(char *text, size_t len, json_error_t *jerr)
{
    mask_nul_escapes(text, len);
    return json_loadb(text, len, JSON_DECODE_ANY, jerr);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(data, cap);
            if (!p)
                break;
            data = p;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    bool bad = ferror(f) || !data;
    fclose(f);
    if (bad) {
        free(data);
        return NULL;
    }
    return data;
}

/* Compares expected and actual; on mismatch writes where into why. */
static bool same_json(const json_t *want, const json_t *got, char *why, size_t whylen)
{
    if (is_tagged(want)) {
        if (!is_tagged(got)) {
            snprintf(why, whylen, "expected a tagged value");
            return false;
        }
        const char *wt = json_string_value(json_object_get(want, "type"));
        const char *gt = json_string_value(json_object_get(got, "type"));
        const char *wv = json_string_value(json_object_get(want, "value"));
        const char *gv = json_string_value(json_object_get(got, "value"));
        if (strcmp(wt, gt) != 0) {
            snprintf(why, whylen, "type %s, expected %s", gt, wt);
            return false;
        }
        if (!same_scalar(wt, wv, gv)) {
            snprintf(why, whylen, "%s value '%s', expected '%s'", wt, gv, wv);
            return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(want)) {
            snprintf(why, whylen, "array of %zu items expected", json_array_size(want));
            return false;
        }
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!same_json(json_array_get(want, i), json_array_get(got, i), why, whylen))
                return false;
        return true;
    }
    if (json_is_object(want)) {
        if (!json_is_object(got) || json_object_size(got) != json_object_size(want)) {
            snprintf(why, whylen, "table of %zu keys expected", json_object_size(want));
            return false;
        }
        const char *key;
        json_t *wv;
        json_object_foreach((json_t *)want, key, wv) {
            json_t *gv = json_object_get(got, key);
            if (!gv) {
                snprintf(why, whylen, "missing key '%s'", key);
                return false;
            }
            if (!same_json(wv, gv, why, whylen))
                return false;
        }
        return true;
    }
    snprintf(why, whylen, "unexpected JSON in expected output");
    return false;
}

/* ---- cases --------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool run_valid(const char *decoder, const char *dir, const char *name, char *why, size_t whylen)
{
    char path[4096], jpath[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(jpath, sizeof(jpath), "%.*s.json", (int)(strlen(path) - 5), path);
    json_error_t jerr;
    size_t jlen;
    char *jtext = read_file(jpath, &jlen);
    if (!jtext) {
        snprintf(why, whylen, "cannot read the .json");
        return false;
    }
    json_t *want = load_json(jtext, jlen, &jerr);
    free(jtext);
    if (!want) {
        snprintf(why, whylen, "cannot load the .json: %.200s", jerr.text);
        return false;
    }
    struct result r;
    bool ok = false;
    if (run_decoder(decoder, path, &r) < 0) {
        snprintf(why, whylen, "cannot run decoder");
    } else if (r.timed_out) {
        snprintf(why, whylen, "timed out");
    } else if (r.status != 0) {
        snprintf(why, whylen, "decoder exited with %d", r.status);
    } else {
        json_t *got = load_json(r.out, r.len, &jerr);
        if (!got)
            snprintf(why, whylen, "decoder output is not JSON: %s", jerr.text);
        else
            ok = same_json(want, got, why, whylen);
        json_decref(got);
    }
    free(r.out);
    json_decref(want);
    return ok;
}

static bool run_invalid(const char *decoder, const char *dir, const char *name, char *why, size_t whylen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct result r;
    bool ok = false;
    if (run_decoder(decoder, path, &r) < 0)
        snprintf(why, whylen, "cannot run decoder");
    else if (r.timed_out)
        snprintf(why, whylen, "timed out");
    else if (r.status == 0)
        snprintf(why, whylen, "invalid document accepted");
    else
        ok = true;
    free(r.out);
    return ok;
}

/* Reads the .toml entries of the case list.  Returns the count, or -1. */
static long load_cases(const char *dir, char ***cases)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/files-toml-1.0.0", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 0;
    ssize_t len;
    *cases = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!ends_with(line, ".toml"))
            continue;
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            char **p = realloc(*cases, alloc * sizeof(*p));
            if (!p)
                break;
            *cases = p;
        }
        (*cases)[n] = strdup(line);
        if ((*cases)[n])
            n++;
    }
    free(line);
    fclose(f);
    return (long)n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: toml-suite DECODER DIR\n");
        return 2;
    }
    char **cases;
    long n = load_cases(argv[2], &cases);
    if (n < 0) {
        fprintf(stderr, "toml-suite: cannot read %s/files-toml-1.0.0\n", argv[2]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    printf("1..%ld\n", n);
    int failed = 0;
    for (long i = 0; i < n; i++) {
        char why[512] = "";
        bool valid = strncmp(cases[i], "valid/", 6) == 0;
        bool ok = valid ? run_valid(argv[1], argv[2], cases[i], why, sizeof(why))
                        : run_invalid(argv[1], argv[2], cases[i], why, sizeof(why));
        if (ok)
            printf("ok %ld - %s\n", i + 1, cases[i]);
        else
            printf("not ok %ld - %s (%s)\n", i + 1, cases[i], why);
        fflush(stdout);
        failed += !ok;
        free(cases[i]);
    }
    free(cases);
    return failed ? 1 : 0;
}
