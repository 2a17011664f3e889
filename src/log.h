/* log: everything the program tells a person goes through here.
 *
 * Messages go to stderr (info/progress to stdout), with secrets redacted by
 * value: every token, password, client secret and API key is registered with
 * log_add_secret() as soon as it is known, and any output containing one shows
 * "[REDACTED]" instead.  Thread-safe. */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

void log_init(enum log_level level);
enum log_level log_get_level(void);
/* True when progress may redraw one line in place (stdout is a terminal). */
bool log_is_tty(void);
void log_set_tty(bool tty);

/* Registers a secret value (copied); strings shorter than 4 bytes are ignored. */
void log_add_secret(const char *value);
void log_clear_secrets(void);
/* Returns a malloc'ed copy of s with every registered secret replaced, and
 * the values of secret-looking fields (access_token=, "password":, ...) masked. */
char *log_redact(const char *s);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* "error: ..." */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* "warning: ..." */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* stdout unless -q */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* only with -v */
/* A progress line for one provider/resource: redrawn in place on a terminal,
 * a plain line otherwise. */
void log_progress(const char *provider, const char *resource, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clears the progress board (below). */
void log_progress_done(void);
/* The progress board, on a terminal only: one line per key (a running
 * provider), redrawn in place below other output; log_progress of that
 * provider replaces its line too.  Without a terminal nothing is drawn. */
void log_board_set(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_board_remove(const char *key);

#endif
