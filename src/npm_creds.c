/* npm_creds: the npm tool's token file, read only (see npm_creds.h). */
#include "npm_creds.h"

#include "buf.h"
#include "json.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *npm_creds_path(const char *config_path)
{
    char *copy = strdup(config_path);
    if (!copy)
        return NULL;
    struct buf path = BUF_INIT;
    int rc = buf_addf(&path, "%s/.health-sync.creds", dirname(copy));
    free(copy);
    if (rc < 0) {
        buf_free(&path);
        return NULL;
    }
    return buf_detach(&path);
}

/* The field under its camelCase name, else its snake_case one (the tool
 * reads both). */
static const json_t *field(const json_t *tok, const char *camel, const char *snake)
{
    const json_t *v = json_object_get(tok, camel);
    return v && !json_is_null(v) ? v : json_object_get(tok, snake);
}

static char *string_or_null(const json_t *v)
{
    return json_is_string(v) && *json_string_value(v) ? strdup(json_string_value(v)) : NULL;
}

/* A time as ISO Z: the tool writes ISO strings; epoch seconds are taken too.
 * NULL when absent or unreadable. */
static char *iso_time(const json_t *v)
{
    time_t t;
    if (json_is_integer(v))
        t = (time_t)json_integer_value(v);
    else if (!json_is_string(v) || time_parse(json_string_value(v), &t) < 0)
        return NULL;
    char iso[TIME_ISO_LEN];
    time_format_iso(t, iso);
    return strdup(iso);
}

static char *extra_json(const json_t *v)
{
    if (!json_is_object(v) || !json_object_size(v))
        return NULL;
    struct buf b = BUF_INIT;
    if (json_dump_python(v, false, &b) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static int token_from_json(const json_t *tok, const char *provider, time_t now, struct token *out)
{
    const json_t *access = field(tok, "accessToken", "access_token");
    if (!json_is_string(access) || !*json_string_value(access))
        return 0; /* what the tool itself treats as no token */
    memset(out, 0, sizeof *out);
    out->provider = strdup(provider);
    out->access_token = strdup(json_string_value(access));
    out->refresh_token = string_or_null(field(tok, "refreshToken", "refresh_token"));
    out->token_type = string_or_null(field(tok, "tokenType", "token_type"));
    out->scope = string_or_null(field(tok, "scope", "scope"));
    out->expires_at = iso_time(field(tok, "expiresAt", "expires_at"));
    out->obtained_at = iso_time(field(tok, "obtainedAt", "obtained_at"));
    if (!out->obtained_at) {
        char iso[TIME_ISO_LEN];
        time_format_iso(now, iso);
        out->obtained_at = strdup(iso);
    }
    out->extra_json = extra_json(json_object_get(tok, "extra"));
    if (!out->provider || !out->access_token || !out->obtained_at) {
        store_token_clear(out);
        return -1;
    }
    return 1;
}

int npm_creds_read(const char *path, const char *provider, time_t now, struct token *out,
                   struct hs_error *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_PRESERVE_ORDER, &jerr);
    if (!doc) {
        /* jansson says "unable to open" for a missing file: that is no token. */
        FILE *f = fopen(path, "r");
        if (!f && errno == ENOENT)
            return 0;
        if (f)
            fclose(f);
        return hs_error_set(err, HS_ERR_CONFIG, "%s: %s", path, jerr.text);
    }
    const json_t *tokens = json_object_get(doc, "tokens");
    int rc;
    if (!json_is_object(doc) || (tokens && !json_is_object(tokens)))
        rc = hs_error_set(err, HS_ERR_CONFIG, "%s: not the npm health-sync token file", path);
    else
        rc = token_from_json(json_object_get(tokens, provider), provider, now, out);
    if (rc < 0 && !err->msg[0])
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
    json_decref(doc);
    return rc;
}
