/* hs_error: one failure with its context and a kind that tells the caller
 * what to do about it (as mbsync classes its failures). */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include <stdarg.h>

enum hs_err_kind {
    HS_OK = 0,
    HS_ERR_TEMP,        /* transient: a later attempt may succeed */
    HS_ERR_WAIT,        /* rate limited or out of budget: try again later */
    HS_ERR_AUTH,        /* credentials rejected: re-authorize */
    HS_ERR_SCOPE,       /* token lacks a scope for this resource only */
    HS_ERR_FINAL,       /* give up on this resource */
    HS_ERR_CONFIG,      /* bad config or usage */
    HS_ERR_INTERRUPTED, /* SIGINT/SIGTERM */
};

#define HS_ERROR_MSG_MAX 1024

struct hs_error {
    enum hs_err_kind kind;
    long http_status; /* 0 when not an HTTP failure */
    char msg[HS_ERROR_MSG_MAX];
};

#define HS_ERROR_INIT {HS_OK, 0, {0}}

void hs_error_clear(struct hs_error *e);
/* Sets the error unless one is already set (the first error wins). Returns -1. */
int hs_error_set(struct hs_error *e, enum hs_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Forces the error, replacing any earlier one. Returns -1. */
int hs_error_reset(struct hs_error *e, enum hs_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepends context ("oura/sleep: ") to an existing message, unless the
 * message already starts with it (one prefix per message). Returns -1. */
int hs_error_prefix(struct hs_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *hs_err_kind_name(enum hs_err_kind kind);

#endif
