/* config: the typed configuration.
 *
 * Keys are data: each section (app, and one per provider, declared in the
 * provider's own file) is a table of config_key.  Loading validates every
 * value against its key (type, range), applies defaults, and remembers the
 * line each value came from.  Unknown keys are warnings naming file:line;
 * a wrong type or range is an error naming file, line and key. */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

enum cfg_type {
    CFG_STRING, /* trimmed; empty = unset; a bare integer is taken as its digits */
    CFG_SECRET, /* a string that is a secret: registered with log_add_secret() */
    CFG_INT,    /* TOML integer, or a string of digits (Python tool compatibility) */
    CFG_BOOL,   /* TOML bool, 0 or 1, or true/yes/on/1 / false/no/off/0 as text */
    CFG_DATE,   /* YYYY-MM-DD (TOML local date or string) */
    CFG_URL,    /* http:// or https://, no user:password@, trailing '/' stripped */
    CFG_LIST,   /* TOML array of strings/numbers, or a comma/space separated string */
    CFG_PATH,   /* a file name: a string only (never a number or boolean) */
    CFG_INT_LIST, /* CFG_LIST whose every item is an integer */
    CFG_TZ,     /* an IANA time zone name, checked against the zoneinfo files */
};

struct config_key {
    const char *name;
    enum cfg_type type;
    const char *def; /* default, as text; NULL = unset */
    long long min, max; /* CFG_INT range (ignored when min == max == 0) */
    const char *help;   /* one line, for the example file and docs */
};

struct config_section {
    const char *name;
    const struct config_key *keys; /* terminated by {NULL} */
};

struct config;

/* Loads path.  When the file does not exist: with `explicit_path` false this is
 * all defaults (and config_file_found() is false), otherwise an error.
 * `sections` is terminated by {NULL}. */
struct config *config_load(const char *path, bool explicit_path,
                           const struct config_section *sections, struct hs_error *err);
void config_free(struct config *c);

const char *config_path(const struct config *c);
bool config_file_found(const struct config *c);

/* Typed getters; the key must exist in the section's table (asserted).
 * config_str returns NULL when unset and without default. */
const char *config_str(const struct config *c, const char *section, const char *key);
long long config_int(const struct config *c, const char *section, const char *key);
bool config_bool(const struct config *c, const char *section, const char *key);
/* A list's items; *n receives the count. */
const char *const *config_list(const struct config *c, const char *section, const char *key,
                               size_t *n);
/* True when the file set the key (even to a value equal to the default). */
bool config_is_set(const struct config *c, const char *section, const char *key);
/* Line of the key in the file, 0 if not set there. */
int config_line(const struct config *c, const char *section, const char *key);

/* The [app] section's keys (db, reconcile_days, max_concurrency, ...). */
extern const struct config_key config_app_keys[];

#endif
