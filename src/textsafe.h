/* textsafe: untrusted text made safe for a terminal.
 *
 * Callback parameters, provider error strings, upstream messages and file
 * contents may hold control characters: an ESC[2J clears the screen, a \r
 * hides what came before it.  Everything printed goes through
 * text_escape(): log.c applies it to every message, and the few commands
 * that print tables with printf apply it to each untrusted field. */
#ifndef HS_TEXTSAFE_H
#define HS_TEXTSAFE_H

#include "buf.h"

#include <stddef.h>

/* Appends s to out with every C0 and C1 control character and DEL written
 * as \n, \r, \t or \xNN (C1: \u0080-\u009f), and a byte that is not valid
 * UTF-8 as \xNN.  At most `max` bytes of s are shown (0: all), then "...".
 * Returns -1 when an append failed. */
int text_escape(struct buf *out, const char *s, size_t max);
/* The same into a new string (caller frees); NULL when out of memory. */
char *text_escaped(const char *s);

#endif
