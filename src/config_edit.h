/* config_edit: changes keys of a TOML config file in place.
 *
 * A person's config holds comments, an order and a spacing of their own;
 * `auth` and `init` change a few values and must leave every other byte as
 * it was.  So this never regenerates the file: it finds the one value in
 * the text and replaces those bytes, or inserts one line after the last key
 * of its section, or appends the section at the end.  The file is written
 * to a temporary file beside it (mode 0600) and renamed over it, so a crash
 * leaves the old file or the new one, never half of one. */
#ifndef HS_CONFIG_EDIT_H
#define HS_CONFIG_EDIT_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* One change: [section].key = value, where value is TOML text ("true",
 * "42", or a string quoted with config_edit_quote). */
struct config_change {
    const char *section;
    const char *key;
    const char *value;
};

/* Applies one change to the TOML document in doc (which must parse).  An
 * existing value is replaced where it stands (its comment kept); a new key
 * goes after the last key of the section; a missing section is appended.
 * *changed (may be NULL) tells whether any byte changed.  On error doc is
 * unchanged and err says why ("line N: ..." for a document that does not
 * parse). */
int config_edit_apply(struct buf *doc, const struct config_change *c, bool *changed,
                      struct hs_error *err);

/* Reads path (an absent file is an empty document), applies the n changes
 * and, when anything changed, writes it back through a temporary 0600 file
 * renamed over it (a symlink's target is the file edited).  *changed (may
 * be NULL) tells whether the file was written. */
int config_edit_file(const char *path, const struct config_change *changes, size_t n, bool *changed,
                     struct hs_error *err);

/* Appends s as a TOML basic string ("..." with the needed escapes). */
int config_edit_quote(struct buf *out, const char *s);

#endif
