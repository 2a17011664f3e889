/* banned.h: C library calls health-sync does not use, made compile errors
 * (the Makefile includes this file first in every program source).
 *
 * sprintf, vsprintf, strcpy, strcat: no bound on what they write; build
 * text in a struct buf or use snprintf.  atoi, atol, atoll, atof: a value
 * that is not a number silently becomes 0 (or a prefix of it); use
 * num_parse_ll / num_parse_double (num.h), which say so.
 *
 * The headers that declare them come first, so their declarations are
 * read before the names are poisoned. */
#ifndef HS_BANNED_H
#define HS_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC poison sprintf vsprintf strcpy strcat atoi atol atoll atof

#endif
