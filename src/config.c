/* config: loads health-sync.toml into typed values, validating each key
 * against the tables declared by [app] and the providers. */
#include "config.h"

#include "buf.h"
#include "log.h"
#include "textsafe.h"
#include "timeutil.h"
#include "toml.h"
#include "tzfile.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const struct config_key config_app_keys[] = {
    {"db", CFG_PATH, "./health.sqlite", 0, 0,
     "the SQLite database file (~ is expanded; relative to this file's directory)"},
    {"reconcile_days", CFG_INT, "7", 0, 3650,
     "days between full re-listings that catch edits and deletions anywhere (0 = every sync)"},
    {"max_concurrency", CFG_INT, "16", 1, 64, "parallel requests per provider (upper bound)"},
    {"history_budget_seconds", CFG_INT, "60", 0, 86400,
     "seconds each sync spends walking older history fetched one request at a time (0: no limit)"},
    {"stale_after_hours", CFG_INT, "48", 1, 87600,
     "status flags a provider whose last successful sync is older than this"},
    {NULL},
};

/* Far beyond any real config (300,000 keys are 4 MB). */
#define CONFIG_MAX_BYTES (64 << 20)

/* A file of thousands of stray keys gets a few lines, not thousands. */
#define UNKNOWN_NAMED 20

struct cfg_value {
    bool set;       /* from the file */
    bool has_value; /* from the file or a default */
    int line;
    char *str; /* the text form for strings, dates and URLs */
    long long i;
    bool b;
    char **list;
    size_t nlist;
};

struct cfg_section {
    const char *name;
    const struct config_key *keys;
    size_t nkeys;
    struct cfg_value *values;
};

struct config {
    char *path;
    bool found;
    size_t unknown; /* unknown keys and sections seen (only the first few are named) */
    struct cfg_section *sections;
    size_t nsections;
};

static char *trimmed_dup(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static void value_clear(struct cfg_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->nlist; i++)
        free(v->list[i]);
    free(v->list);
    memset(v, 0, sizeof *v);
}

static int list_add(struct cfg_value *v, const char *item)
{
    char *t = trimmed_dup(item);
    if (!t)
        return -1;
    if (!*t) {
        free(t);
        return 0;
    }
    char **grown = realloc(v->list, (v->nlist + 1) * sizeof *grown);
    if (!grown) {
        free(t);
        return -1;
    }
    v->list = grown;
    v->list[v->nlist++] = t;
    return 0;
}

/* "a,b c" -> [a, b, c] */
static int list_from_text(struct cfg_value *v, const char *text)
{
    char *copy = strdup(text), *save = NULL;
    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
        if (list_add(v, tok) < 0) {
            free(copy);
            return -1;
        }
    free(copy);
    return 0;
}

static bool parse_bool_text(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "y", "on"};
    static const char *const no[] = {"false", "0", "no", "n", "off"};
    for (size_t i = 0; i < 5; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = true, true;
        if (!strcasecmp(s, no[i]))
            return *out = false, true;
    }
    return false;
}

static bool parse_int_text(const char *s, long long *out)
{
    char *end;
    if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
        return false;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* What a key wants, for "expected ..., got ..." messages. */
static void describe_expected(const struct config_key *k, struct buf *out)
{
    switch (k->type) {
    case CFG_INT:
        if (k->min || k->max)
            buf_addf(out, "an integer from %lld to %lld", k->min, k->max);
        else
            buf_adds(out, "an integer");
        break;
    case CFG_BOOL: buf_adds(out, "true or false"); break;
    case CFG_STRING:
    case CFG_SECRET: buf_adds(out, "a string"); break;
    case CFG_PATH: buf_adds(out, "a file name in quotes"); break;
    case CFG_DATE: buf_adds(out, "a date YYYY-MM-DD"); break;
    case CFG_URL: buf_adds(out, "an http:// or https:// URL"); break;
    case CFG_LIST: buf_adds(out, "a list of strings"); break;
    case CFG_INT_LIST: buf_adds(out, "a list of integers"); break;
    case CFG_TZ: buf_adds(out, "an IANA time zone such as \"Europe/Lisbon\""); break;
    }
}

/* What the file holds, quoted and with control characters escaped; a
 * secret's value is never repeated, only its kind. */
static void describe_value(const struct config_key *k, const struct toml_value *tv,
                           struct buf *out)
{
    bool hide = k->type == CFG_SECRET;
    switch (tv->type) {
    case TOML_STRING:
        if (hide) {
            buf_adds(out, "a string that is not one");
        } else {
            buf_addc(out, '"');
            text_escape(out, tv->u.s, 80);
            buf_addc(out, '"');
        }
        break;
    case TOML_INTEGER:
        if (hide)
            buf_adds(out, "an integer");
        else
            buf_addf(out, "%lld", tv->u.i);
        break;
    case TOML_FLOAT:
        if (hide)
            buf_adds(out, "a number");
        else
            buf_addf(out, "%g", tv->u.f);
        break;
    case TOML_BOOL: buf_adds(out, tv->u.b ? "true" : "false"); break;
    case TOML_ARRAY: buf_adds(out, "a list"); break;
    case TOML_TABLE: buf_adds(out, "a table"); break;
    default:
        if (hide)
            buf_adds(out, "a date or time");
        else
            text_escape(out, tv->u.datetime, 80);
        break;
    }
}

/* A URL must not carry credentials: the password would sit in every
 * message and log line that names the URL, and in sync_runs. */
static bool url_has_userinfo(const char *url)
{
    const char *host = strstr(url, "://");
    if (!host)
        return false;
    host += 3;
    size_t authority = strcspn(host, "/?#");
    return memchr(host, '@', authority) != NULL;
}

/* Sets v from text (a default, or a string from the file); NULL `why` is
 * success, else "" when the value has the wrong type or range (the caller
 * says expected/got), or a sentence of its own. */
static const char *set_from_text(const struct config_key *k, struct cfg_value *v, const char *text)
{
    char *t = trimmed_dup(text);
    if (!t)
        return "out of memory";
    const char *why = NULL;
    switch (k->type) {
    case CFG_STRING:
    case CFG_SECRET:
    case CFG_PATH:
        if (*t) {
            v->str = t;
            v->has_value = true;
            t = NULL;
        }
        break;
    case CFG_INT:
        if (!parse_int_text(t, &v->i) || ((k->min || k->max) && (v->i < k->min || v->i > k->max)))
            why = "";
        v->has_value = !why;
        break;
    case CFG_BOOL:
        if (!parse_bool_text(t, &v->b))
            why = "";
        v->has_value = !why;
        break;
    case CFG_DATE:
        if (!time_is_valid_date(t))
            why = "";
        break;
    case CFG_URL:
        if (strncmp(t, "http://", 7) && strncmp(t, "https://", 8))
            why = "";
        else if (url_has_userinfo(t))
            why = "a URL must not hold a user name or password (user:password@host): put "
                  "credentials in their own keys";
        else
            for (size_t n = strlen(t); n > 8 && t[n - 1] == '/'; n--)
                t[n - 1] = '\0';
        break;
    case CFG_TZ:
        if (*t && !tz_is_valid(t))
            why = "";
        break;
    case CFG_LIST:
    case CFG_INT_LIST:
        if (list_from_text(v, t) < 0)
            why = "out of memory";
        for (size_t i = 0; !why && k->type == CFG_INT_LIST && i < v->nlist; i++) {
            long long n;
            if (!parse_int_text(v->list[i], &n))
                why = "";
        }
        v->has_value = !why;
        break;
    }
    if (!why && t && *t && (k->type == CFG_DATE || k->type == CFG_URL || k->type == CFG_TZ)) {
        v->str = t;
        v->has_value = true;
        t = NULL;
    }
    free(t);
    return why;
}

static const char *set_list(const struct config_key *k, struct cfg_value *v,
                            const struct toml_value *tv)
{
    for (size_t i = 0; i < tv->u.array.len; i++) {
        const struct toml_value *item = tv->u.array.items[i];
        char num[64];
        const char *text = NULL;
        if (item->type == TOML_INTEGER)
            snprintf(num, sizeof num, "%lld", item->u.i), text = num;
        else if (item->type == TOML_STRING)
            text = item->u.s;
        else if (item->type == TOML_FLOAT && k->type == CFG_LIST)
            snprintf(num, sizeof num, "%g", item->u.f), text = num;
        else
            return "";
        long long n;
        if (k->type == CFG_INT_LIST && item->type == TOML_STRING) {
            char *trimmed = trimmed_dup(text);
            bool ok = trimmed && parse_int_text(trimmed, &n);
            free(trimmed);
            if (!ok)
                return "";
        }
        if (list_add(v, text) < 0)
            return "out of memory";
    }
    v->has_value = true;
    return NULL;
}

/* Sets v from a TOML value of the file.  The Python tool's spellings stay
 * valid (numbers and booleans as strings, 0/1 for booleans, lists as
 * comma-separated strings, ids as bare numbers); anything else of the wrong
 * type is refused ("" = say expected/got). */
static const char *set_from_toml(const struct config_key *k, struct cfg_value *v,
                                 const struct toml_value *tv)
{
    char num[64];
    switch (tv->type) {
    case TOML_STRING:
        return set_from_text(k, v, tv->u.s);
    case TOML_INTEGER:
        if (k->type == CFG_BOOL && (tv->u.i == 0 || tv->u.i == 1)) {
            v->b = tv->u.i == 1;
            v->has_value = true;
            return NULL;
        }
        if (k->type != CFG_INT && k->type != CFG_STRING && k->type != CFG_SECRET &&
            k->type != CFG_LIST && k->type != CFG_INT_LIST)
            return "";
        snprintf(num, sizeof num, "%lld", tv->u.i);
        return set_from_text(k, v, num);
    case TOML_BOOL:
        if (k->type != CFG_BOOL)
            return "";
        v->b = tv->u.b;
        v->has_value = true;
        return NULL;
    case TOML_DATE_LOCAL:
        return k->type == CFG_DATE ? set_from_text(k, v, tv->u.datetime) : "";
    case TOML_ARRAY:
        return k->type == CFG_LIST || k->type == CFG_INT_LIST ? set_list(k, v, tv) : "";
    default:
        return "";
    }
}

/* "FILE:LINE: [section].key: expected ..., got ..." (or the reason). */
static int value_error(const struct config *c, const char *section, const struct config_key *k,
                       const struct toml_value *tv, const char *why, struct hs_error *err)
{
    struct buf msg = BUF_INIT;
    if (*why) {
        buf_adds(&msg, why);
    } else {
        buf_adds(&msg, "expected ");
        describe_expected(k, &msg);
        buf_adds(&msg, ", got ");
        describe_value(k, tv, &msg);
    }
    hs_error_set(err, HS_ERR_CONFIG, "%s:%d: [%s].%s: %s", c->path, tv->line, section, k->name,
                 buf_failed(&msg) ? "invalid value" : msg.data);
    buf_free(&msg);
    return -1;
}

static const struct config_key *find_key(const struct cfg_section *s, const char *name,
                                         size_t *index)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (!strcmp(s->keys[i].name, name)) {
            *index = i;
            return &s->keys[i];
        }
    return NULL;
}

static struct cfg_section *find_section(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->nsections; i++)
        if (!strcmp(c->sections[i].name, name))
            return &c->sections[i];
    return NULL;
}

static int load_section(struct config *c, struct cfg_section *s, const struct toml_value *table,
                        bool *holds_secret, struct hs_error *err)
{
    for (size_t i = 0; i < table->u.table.len; i++) {
        const struct toml_kv *kv = &table->u.table.items[i];
        size_t idx;
        const struct config_key *k = find_key(s, kv->key, &idx);
        if (!k) {
            if (c->unknown++ < UNKNOWN_NAMED)
                log_warn("%s:%d: unknown key [%s].%s (ignored)", c->path, kv->value->line,
                         s->name, kv->key);
            continue;
        }
        struct cfg_value *v = &s->values[idx];
        value_clear(v);
        const char *why = set_from_toml(k, v, kv->value);
        if (why)
            return value_error(c, s->name, k, kv->value, why, err);
        v->set = true;
        v->line = kv->value->line;
        if (k->type == CFG_SECRET && v->str) {
            log_add_secret(v->str);
            *holds_secret = true;
        }
    }
    return 0;
}

static int load_tree(struct config *c, const struct toml_value *root, bool *holds_secret,
                     struct hs_error *err)
{
    for (size_t i = 0; i < root->u.table.len; i++) {
        const struct toml_kv *kv = &root->u.table.items[i];
        struct cfg_section *s = find_section(c, kv->key);
        if (!s || kv->value->type != TOML_TABLE) {
            if (c->unknown++ < UNKNOWN_NAMED)
                log_warn("%s:%d: unknown %s '%s' (ignored)", c->path, kv->value->line,
                         kv->value->type == TOML_TABLE ? "section" : "key", kv->key);
            continue;
        }
        if (load_section(c, s, kv->value, holds_secret, err) < 0)
            return -1;
    }
    if (c->unknown > UNKNOWN_NAMED)
        log_warn("%s: %zu more unknown keys or sections (ignored)", c->path,
                 c->unknown - UNKNOWN_NAMED);
    return 0;
}

static int apply_defaults(struct config *c, struct hs_error *err)
{
    for (size_t i = 0; i < c->nsections; i++) {
        struct cfg_section *s = &c->sections[i];
        for (size_t j = 0; j < s->nkeys; j++) {
            if (s->values[j].has_value || !s->keys[j].def)
                continue;
            const char *why = set_from_text(&s->keys[j], &s->values[j], s->keys[j].def);
            if (why)
                return hs_error_set(err, HS_ERR_CONFIG, "built-in default of [%s].%s: %s",
                                    s->name, s->keys[j].name, *why ? why : "invalid");
        }
    }
    return 0;
}

static char *read_file(const char *path, size_t *len, struct hs_error *err, bool *missing)
{
    FILE *f = fopen(path, "rb");
    *missing = false;
    if (!f) {
        *missing = errno == ENOENT;
        hs_error_set(err, HS_ERR_CONFIG, "cannot read config %s: %s", path, strerror(errno));
        return NULL;
    }
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 > cap) {
            char *grown = realloc(data, cap = cap * 2 + 8192);
            if (!grown) {
                free(data);
                fclose(f);
                hs_error_set(err, HS_ERR_CONFIG, "config %s: out of memory", path);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n > CONFIG_MAX_BYTES) { /* /dev/zero, a log file: not a config */
            free(data);
            fclose(f);
            hs_error_set(err, HS_ERR_CONFIG, "config %s is larger than %d MB: not a config file",
                         path, CONFIG_MAX_BYTES >> 20);
            return NULL;
        }
    }
    bool failed = ferror(f);
    int why = errno; /* "Is a directory" and the like */
    fclose(f);
    if (failed) {
        free(data);
        hs_error_set(err, HS_ERR_CONFIG, "cannot read config %s: %s", path, strerror(why));
        return NULL;
    }
    *len = n;
    return data;
}

static void warn_if_readable(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
        log_warn("%s holds secrets and is readable by other users; run: chmod 600 %s", path,
                 path);
}

static struct config *config_new(const char *path, const struct config_section *sections)
{
    struct config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->path = strdup(path);
    while (sections[c->nsections].name)
        c->nsections++;
    c->sections = calloc(c->nsections ? c->nsections : 1, sizeof *c->sections);
    if (!c->path || !c->sections) {
        config_free(c);
        return NULL;
    }
    for (size_t i = 0; i < c->nsections; i++) {
        struct cfg_section *s = &c->sections[i];
        s->name = sections[i].name;
        s->keys = sections[i].keys;
        while (s->keys[s->nkeys].name)
            s->nkeys++;
        s->values = calloc(s->nkeys ? s->nkeys : 1, sizeof *s->values);
        if (!s->values) {
            config_free(c);
            return NULL;
        }
    }
    return c;
}

struct config *config_load(const char *path, bool explicit_path,
                           const struct config_section *sections, struct hs_error *err)
{
    struct config *c = config_new(path, sections);
    if (!c) {
        hs_error_set(err, HS_ERR_CONFIG, "out of memory");
        return NULL;
    }
    size_t len = 0;
    bool missing, holds_secret = false;
    struct hs_error read_err = HS_ERROR_INIT;
    char *data = read_file(path, &len, &read_err, &missing);
    if (!data && !(missing && !explicit_path)) {
        if (missing)
            hs_error_set(err, HS_ERR_CONFIG, "config file %s not found", path);
        else
            *err = read_err;
        config_free(c);
        return NULL;
    }
    if (data) {
        char why[512];
        struct toml_value *root = toml_parse(data, len, why, sizeof why);
        free(data);
        c->found = true;
        if (!root) {
            hs_error_set(err, HS_ERR_CONFIG, "config %s: %s", path, why);
            config_free(c);
            return NULL;
        }
        int rc = load_tree(c, root, &holds_secret, err);
        toml_free(root);
        if (rc < 0) {
            config_free(c);
            return NULL;
        }
        if (holds_secret)
            warn_if_readable(path);
    }
    if (apply_defaults(c, err) < 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->sections && i < c->nsections; i++) {
        for (size_t j = 0; c->sections[i].values && j < c->sections[i].nkeys; j++)
            value_clear(&c->sections[i].values[j]);
        free(c->sections[i].values);
    }
    free(c->sections);
    free(c->path);
    free(c);
}

const char *config_path(const struct config *c)
{
    return c->path;
}

bool config_file_found(const struct config *c)
{
    return c->found;
}

static const struct cfg_value *lookup(const struct config *c, const char *section, const char *key,
                                      const struct config_key **k)
{
    struct cfg_section *s = find_section(c, section);
    assert(s && "unknown config section");
    size_t idx = 0;
    *k = find_key(s, key, &idx);
    assert(*k && "unknown config key");
    return &s->values[idx];
}

const char *config_str(const struct config *c, const char *section, const char *key)
{
    const struct config_key *k;
    const struct cfg_value *v = lookup(c, section, key, &k);
    return v->has_value ? v->str : NULL;
}

long long config_int(const struct config *c, const char *section, const char *key)
{
    const struct config_key *k;
    return lookup(c, section, key, &k)->i;
}

bool config_bool(const struct config *c, const char *section, const char *key)
{
    const struct config_key *k;
    return lookup(c, section, key, &k)->b;
}

const char *const *config_list(const struct config *c, const char *section, const char *key,
                               size_t *n)
{
    const struct config_key *k;
    const struct cfg_value *v = lookup(c, section, key, &k);
    *n = v->nlist;
    return (const char *const *)v->list;
}

bool config_is_set(const struct config *c, const char *section, const char *key)
{
    const struct config_key *k;
    return lookup(c, section, key, &k)->set;
}

int config_line(const struct config *c, const char *section, const char *key)
{
    const struct config_key *k;
    return lookup(c, section, key, &k)->line;
}
