/*
 * audit_int.h — what audit.c (appending, signing) and audit_verify.c
 * (checking, exporting, proving) share.
 */
#ifndef OXIOS_SECURITY_AUDIT_INT_H
#define OXIOS_SECURITY_AUDIT_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include <sqlite3.h>
#include <jansson.h>

#include "security/merkle.h"

struct audit_state {
	pthread_mutex_t lock;
	int enabled;
	long interval_ms;
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	uint64_t last_head_ms; /* monotonic */
	int have_key;          /* loaded (at first use) */
};
extern struct audit_state aud;

/* Read (or make) the signing key into aud (aud.lock held). */
int audit_key_load(char **cause);
/* Whether the home has a signing key. */
int audit_key_exists(void);
/* The leaf hash of an entry, from its fields as stored. */
void audit_leaf(int64_t seq, int64_t ts, const char *actor, const char *action,
    const char *resource, const char *detail, size_t detail_len,
    merkle_hash out);
/* The 52 bytes a head's signature covers. */
void audit_head_msg(uint64_t size, const merkle_hash root, int64_t ts,
    unsigned char msg[52]);
/* Every leaf hash, in order; *n how many.  NULL with *cause. */
merkle_hash *audit_leaves(sqlite3 *db, uint64_t *n, char **cause);
/* A head as JSON. */
json_t *audit_head_json(int64_t size, const void *root, int64_t ts,
    const void *sig, const void *pk);

#endif
