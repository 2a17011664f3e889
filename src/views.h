/* views: the typed views over records (see views.c). */
#ifndef HS_VIEWS_H
#define HS_VIEWS_H

/* Drops and creates every view; run inside the schema transaction. */
extern const char views_sql[];
/* Their names, ended by NULL. */
extern const char *const view_names[];

#endif
