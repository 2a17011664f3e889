/* num: checked number parsing for text from the network, the environment
 * and files.  Unlike atoi/atol/atof, a value that is not wholly a number or
 * does not fit is reported, never silently 0 or clamped. */
#ifndef HS_NUM_H
#define HS_NUM_H

/* A base-10 integer in [min, max]: optional sign, digits, surrounding
 * blanks allowed and nothing else.  0 and *out set, or -1 (*out untouched). */
int num_parse_ll(const char *s, long long min, long long max, long long *out);
/* A finite decimal number (strtod syntax, no hex, no inf/nan), surrounding
 * blanks allowed.  0 and *out set, or -1. */
int num_parse_double(const char *s, double *out);

#endif
