#include "error.h"

#include <stdio.h>
#include <string.h>

void hs_error_clear(struct hs_error *e)
{
    e->kind = HS_OK;
    e->http_status = 0;
    e->msg[0] = '\0';
}

static void set_message(struct hs_error *e, enum hs_err_kind kind, const char *fmt, va_list ap)
{
    e->kind = kind;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int hs_error_set(struct hs_error *e, enum hs_err_kind kind, const char *fmt, ...)
{
    if (!e || e->kind != HS_OK)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    set_message(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int hs_error_reset(struct hs_error *e, enum hs_err_kind kind, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    set_message(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int hs_error_prefix(struct hs_error *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix);
    size_t mlen = strlen(e->msg);
    if (strncmp(e->msg, prefix, plen) == 0)
        return -1; /* said once already: context, not noise */
    if (plen >= sizeof e->msg)
        plen = sizeof e->msg - 1;
    if (plen + mlen >= sizeof e->msg)
        mlen = sizeof e->msg - 1 - plen;
    memmove(e->msg + plen, e->msg, mlen);
    memcpy(e->msg, prefix, plen);
    e->msg[plen + mlen] = '\0';
    return -1;
}

const char *hs_err_kind_name(enum hs_err_kind kind)
{
    switch (kind) {
    case HS_OK: return "ok";
    case HS_ERR_TEMP: return "temporary";
    case HS_ERR_WAIT: return "rate-limited";
    case HS_ERR_AUTH: return "auth";
    case HS_ERR_SCOPE: return "scope";
    case HS_ERR_FINAL: return "error";
    case HS_ERR_CONFIG: return "config";
    case HS_ERR_INTERRUPTED: return "interrupted";
    }
    return "error";
}
