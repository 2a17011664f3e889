#include "log.h"

#include "buf.h"
#include "textsafe.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum log_level current_level = LOG_NORMAL;
static int tty_mode = -1; /* -1: ask isatty() */
/* The progress board: on a terminal, one line per key (a running
 * provider), redrawn in place below everything else printed. */
#define BOARD_MAX 16
struct board_row {
    char *key;
    char *text;
};
static struct board_row board[BOARD_MAX];
static int board_rows, board_drawn;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static char **secrets;
static size_t secret_count;

static const char REDACTED[] = "[REDACTED]";
static const char LOST[] = "(a message was lost: out of memory)";

/* Field names whose values are secrets wherever they appear: in query
 * strings, form bodies, JSON and headers. */
static const char *const secret_fields[] = {
    "access_token", "refresh_token", "client_secret", "password", "api_key", "api-key",
    "apikey", "code", "authorization", "id_token", NULL,
};

void log_init(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

bool log_is_tty(void)
{
    if (tty_mode < 0)
        tty_mode = isatty(STDOUT_FILENO) ? 1 : 0;
    return tty_mode == 1;
}

void log_set_tty(bool tty)
{
    tty_mode = tty ? 1 : 0;
}

void log_add_secret(const char *value)
{
    if (!value || strlen(value) < 4)
        return;
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < secret_count; i++) {
        if (strcmp(secrets[i], value) == 0) {
            pthread_mutex_unlock(&log_lock);
            return;
        }
    }
    char **grown = realloc(secrets, (secret_count + 1) * sizeof *secrets);
    char *copy = strdup(value);
    if (grown && copy) {
        secrets = grown;
        secrets[secret_count++] = copy;
    } else {
        if (grown)
            secrets = grown;
        free(copy);
    }
    pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < secret_count; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    secret_count = 0;
    pthread_mutex_unlock(&log_lock);
}

static bool is_value_end(char c)
{
    return c == '\0' || c == '&' || c == '"' || c == ',' || c == ' ' || c == '\n' || c == '\r' ||
           c == ';' || c == '}' || c == '\'';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* If a secret field name starts at s (as a whole word), returns its length. */
static size_t secret_field_at(const char *start, const char *s)
{
    if (s > start && is_name_char(s[-1]))
        return 0;
    for (const char *const *f = secret_fields; *f; f++) {
        size_t n = strlen(*f);
        if (strncasecmp(s, *f, n) == 0 && !is_name_char(s[n]))
            return n;
    }
    return 0;
}

/* After a field name: skips the separator (=, ":", ": ") and returns where the
 * value starts, or NULL when no value follows. */
static const char *value_start(const char *p)
{
    if (*p == '"')
        p++;
    while (*p == ' ')
        p++;
    if (*p != '=' && *p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    if (*p == '"')
        p++;
    /* "Authorization: Bearer xyz" / "Basic xyz": keep the scheme word. */
    if (strncasecmp(p, "Bearer ", 7) == 0)
        p += 7;
    else if (strncasecmp(p, "Basic ", 6) == 0)
        p += 6;
    return p;
}

static void mask_fields(struct buf *out, const char *s)
{
    const char *p = s;
    while (*p) {
        size_t n = secret_field_at(s, p);
        const char *v = n ? value_start(p + n) : NULL;
        if (v && !is_value_end(*v)) {
            buf_add(out, p, (size_t)(v - p));
            buf_adds(out, REDACTED);
            while (!is_value_end(*v))
                v++;
            p = v;
            continue;
        }
        buf_addc(out, *p++);
    }
}

static char *replace_secrets(const char *s)
{
    struct buf out = BUF_INIT;
    const char *p = s;
    while (*p) {
        size_t matched = 0;
        for (size_t i = 0; i < secret_count; i++) {
            size_t n = strlen(secrets[i]);
            if (n > matched && strncmp(p, secrets[i], n) == 0)
                matched = n;
        }
        if (matched) {
            buf_adds(&out, REDACTED);
            p += matched;
        } else {
            buf_addc(&out, *p++);
        }
    }
    return buf_detach(&out);
}

char *log_redact(const char *s)
{
    if (!s)
        return strdup("");
    pthread_mutex_lock(&log_lock);
    char *by_value = replace_secrets(s);
    pthread_mutex_unlock(&log_lock);
    if (!by_value)
        return NULL;
    struct buf out = BUF_INIT;
    mask_fields(&out, by_value);
    free(by_value);
    return buf_detach(&out);
}

/* What reaches the terminal: secrets redacted, then control characters
 * escaped (the message may quote a callback or a server). */
static char *printable(const char *s)
{
    char *redacted = log_redact(s);
    char *safe = redacted ? text_escaped(redacted) : NULL;
    free(redacted);
    return safe;
}

/* Moves up over the board's lines and clears them (log_lock held). */
static void board_erase_locked(void)
{
    if (board_drawn) {
        fprintf(stdout, "\033[%dA\r\033[J", board_drawn);
        board_drawn = 0;
    }
}

static void board_draw_locked(void)
{
    for (int i = 0; i < board_rows; i++)
        fprintf(stdout, "\r\033[K%s\n", board[i].text);
    board_drawn = board_rows;
    fflush(stdout);
}

/* Sets key's row to text (taken), adding the row if new (log_lock held). */
static void board_put_locked(const char *key, char *text)
{
    int i = 0;
    while (i < board_rows && strcmp(board[i].key, key))
        i++;
    if (i == board_rows) {
        char *k = strdup(key);
        if (i == BOARD_MAX || !k) {
            free(k);
            free(text);
            return;
        }
        board[board_rows++] = (struct board_row){k, NULL};
    }
    free(board[i].text);
    board[i].text = text;
}

void log_board_set(const char *key, const char *fmt, ...)
{
    if (current_level < LOG_NORMAL || !log_is_tty())
        return;
    struct buf line = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&line, fmt, ap);
    va_end(ap);
    char *safe = printable(line.data);
    buf_free(&line);
    if (!safe)
        return;
    pthread_mutex_lock(&log_lock);
    board_erase_locked();
    board_put_locked(key, safe);
    board_draw_locked();
    pthread_mutex_unlock(&log_lock);
}

void log_board_remove(const char *key)
{
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < board_rows; i++) {
        if (strcmp(board[i].key, key))
            continue;
        board_erase_locked();
        free(board[i].key);
        free(board[i].text);
        memmove(&board[i], &board[i + 1], (size_t)(board_rows - i - 1) * sizeof *board);
        board_rows--;
        board_draw_locked();
        break;
    }
    pthread_mutex_unlock(&log_lock);
}

static void emit(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
    struct buf line = BUF_INIT;
    buf_vaddf(&line, fmt, ap);
    char *safe = printable(line.data);
    buf_free(&line);
    pthread_mutex_lock(&log_lock);
    board_erase_locked();
    fprintf(f, "%s%s\n", prefix, safe ? safe : LOST);
    fflush(f);
    board_draw_locked();
    pthread_mutex_unlock(&log_lock);
    free(safe);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(stderr, "error: ", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(stderr, "warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    if (current_level < LOG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(stdout, "", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    if (current_level < LOG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(stderr, "debug: ", fmt, ap);
    va_end(ap);
}

void log_progress(const char *provider, const char *resource, const char *fmt, ...)
{
    if (current_level < LOG_NORMAL)
        return;
    struct buf line = BUF_INIT;
    if (resource)
        buf_addf(&line, "%s/%s: ", provider, resource);
    else
        buf_addf(&line, "%s: ", provider);
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&line, fmt, ap);
    va_end(ap);
    char *safe = printable(line.data);
    buf_free(&line);
    if (log_is_tty()) {
        if (safe) {
            pthread_mutex_lock(&log_lock);
            board_erase_locked();
            board_put_locked(provider, safe);
            board_draw_locked();
            pthread_mutex_unlock(&log_lock);
        }
        return;
    }
    pthread_mutex_lock(&log_lock);
    fprintf(stdout, "%s\n", safe ? safe : LOST);
    fflush(stdout);
    pthread_mutex_unlock(&log_lock);
    free(safe);
}

void log_progress_done(void)
{
    pthread_mutex_lock(&log_lock);
    board_erase_locked();
    for (int i = 0; i < board_rows; i++) {
        free(board[i].key);
        free(board[i].text);
    }
    board_rows = 0;
    pthread_mutex_unlock(&log_lock);
}
