/* html: writing HTML text safely into a buffer.  Everything that comes from
 * the database (names, labels, numbers as text) goes through html_text or
 * html_textf, which escape &, <, >, " and '. */
#ifndef HS_REPORT_HTML_H
#define HS_REPORT_HTML_H

#include "buf.h"

/* Appends s escaped for text and attribute values. */
void html_text(struct buf *b, const char *s);
/* printf-style, the whole result escaped. */
void html_textf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human forms used in sentences, titles and tables (plain text, unescaped). */
void fmt_duration(struct buf *b, double seconds);       /* "7 h 05 min", "—" for NAN */
void fmt_number(struct buf *b, double v, int decimals); /* "12,345" / "71.3", "—" for NAN */

#endif
