/*
 * uuid.h — random (version 4) UUIDs from libsodium's generator.
 */
#ifndef OXIOS_UTIL_UUID_H
#define OXIOS_UTIL_UUID_H

#define UUID_STRLEN 37 /* 36 characters and the NUL */

/* Write a new lower-case UUID v4 into out. */
void uuid_v4(char out[UUID_STRLEN]);
/* Whether s is a canonical UUID (any version, lower or upper case). */
int uuid_valid(const char *s);

#endif
