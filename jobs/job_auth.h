/* job_auth.h: CURVE keys and the ZAP handler that admits only known clients.
 *
 * Keys are libzmq's Z85 text (40 characters). `filmrestored --keygen PREFIX`
 * writes PREFIX.key (the secret key, mode 0600) and PREFIX.pub (the public
 * key). The daemon takes its own secret key, and a folder of the clients'
 * .pub files; a client takes its own secret key and the server's public key.
 * The ZAP handler (RFC 27, on inproc://zeromq.zap.01) runs in its own thread
 * and answers 200 only for a CURVE client whose public key is in the folder;
 * libzmq then refuses every other peer before any request is read. Its reply's
 * user id is the client's key, which is how a request's owner is known (job_ops.c). */
#ifndef FR_JOB_AUTH_H
#define FR_JOB_AUTH_H

#include "fr_status.h"

#define FR_KEY_TEXT 41 /* 40 Z85 characters and a NUL */

/* Writes PREFIX.key and PREFIX.pub. */
fr_status fr_job_keygen(const char *prefix, fr_err *err);
/* Reads one Z85 key from a file (the first 40 characters of its first line). */
fr_status fr_job_key_read(const char *path, char key[FR_KEY_TEXT], fr_err *err);
/* The public key of a secret key. */
fr_status fr_job_key_public(const char secret[FR_KEY_TEXT], char pub[FR_KEY_TEXT], fr_err *err);
/* Sets a socket up as a CURVE server with this secret key. */
fr_status fr_job_curve_server(void *sock, const char secret[FR_KEY_TEXT], fr_err *err);
/* Sets a socket up as a CURVE client of server_pub with its own secret key. */
fr_status fr_job_curve_client(void *sock, const char server_pub[FR_KEY_TEXT], const char secret[FR_KEY_TEXT],
                              fr_err *err);

typedef struct fr_job_zap fr_job_zap;
/* Loads every *.pub in clients_dir, and in admins_dir (may be NULL) as admin keys, and
 * starts the handler in ctx. An admitted client's messages carry its public key (Z85)
 * as their "User-Id" property (zmq_msg_gets). */
fr_status fr_job_zap_start(fr_job_zap **out, void *ctx, const char *clients_dir, const char *admins_dir,
                           fr_err *err);
/* 1 when user (a Z85 public key, a message's User-Id) is one of the admin keys. */
int fr_job_zap_is_admin(const fr_job_zap *z, const char *user);
/* Call after zmq_ctx_shutdown(ctx): joins the thread. NULL is fine. */
void fr_job_zap_free(fr_job_zap *z);

#endif
