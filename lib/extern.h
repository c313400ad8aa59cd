/*
 * extern.h: internals of libcommon shared between its files (and unit
 * tests).  Not for cgi-bin/.
 */
#ifndef EXTERN_H
#define EXTERN_H

/* schema.sql, compiled in by scripts/embed.sh. */
extern const char schema_sql[];

/* Whether a JSON object has two members with the same name. */
int	 json_has_duplicates(const cJSON *);

#endif /* !EXTERN_H */
