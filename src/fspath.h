/* fspath: file names as the user means them: a relative name resolved
 * against the directory it was written relative to, and "is this the same
 * file" by device and inode (so symlinks and hard links compare equal). */
#ifndef HS_FSPATH_H
#define HS_FSPATH_H

#include <stdbool.h>

/* The absolute form of `path`: unchanged when absolute, else joined to
 * `base_dir` (itself made absolute against the working directory; NULL =
 * the working directory), "." parts and doubled slashes removed.  ".." is
 * kept (a symlinked directory makes dropping it wrong).  Caller frees; NULL
 * when out of memory or the working directory is unknown. */
char *fspath_absolute(const char *path, const char *base_dir);
/* The directory part of path ("." when it has none); caller frees. */
char *fspath_dirname(const char *path);
/* True when both names exist and are the same file (device and inode). */
bool fspath_same_file(const char *a, const char *b);
/* True when both names would name the same directory entry, whether or not
 * it exists yet (their directories compared by device and inode). */
bool fspath_same_name(const char *a, const char *b);

#endif
