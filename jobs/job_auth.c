/* job_auth.c: CURVE key files and the ZAP handler thread (job_auth.h). */
#include "job_auth.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "fr_log.h"

#define MAX_CLIENTS 256

struct fr_job_zap {
    void *sock;
    pthread_t thread;
    int started;
    uint8_t keys[MAX_CLIENTS][32]; /* read-only once the thread runs */
    uint8_t admin[MAX_CLIENTS];    /* keys[i] came from the admin folder */
    int n;
};

static fr_status write_key(const char *path, const char *key, mode_t mode, fr_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return fr_err_set(err, FR_ERR_IO, "create %s: %s", path, strerror(errno));
    char line[FR_KEY_TEXT + 1];
    int n = snprintf(line, sizeof line, "%s\n", key);
    int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    if (close(fd) != 0 || !ok)
        return fr_err_set(err, FR_ERR_IO, "write %s: %s", path, strerror(errno));
    return FR_OK;
}

fr_status fr_job_keygen(const char *prefix, fr_err *err)
{
    char pub[FR_KEY_TEXT], sec[FR_KEY_TEXT], path[PATH_MAX];
    if (zmq_has("curve") == 0)
        return fr_err_set(err, FR_ERR_JOB, "this libzmq has no CURVE support");
    if (zmq_curve_keypair(pub, sec) != 0)
        return fr_err_set(err, FR_ERR_JOB, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
    snprintf(path, sizeof path, "%s.key", prefix);
    fr_status st = write_key(path, sec, 0600, err);
    if (st != FR_OK)
        return st;
    snprintf(path, sizeof path, "%s.pub", prefix);
    return write_key(path, pub, 0644, err);
}

fr_status fr_job_key_read(const char *path, char key[FR_KEY_TEXT], fr_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fr_err_set(err, FR_ERR_IO, "open %s: %s", path, strerror(errno));
    char line[128] = "";
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = 0;
    uint8_t bin[32];
    if (!ok || strlen(line) != 40 || !zmq_z85_decode(bin, line))
        return fr_err_set(err, FR_ERR_JOB, "%s: not a Z85 CURVE key (40 characters)", path);
    memcpy(key, line, FR_KEY_TEXT);
    return FR_OK;
}

fr_status fr_job_key_public(const char secret[FR_KEY_TEXT], char pub[FR_KEY_TEXT], fr_err *err)
{
    if (zmq_curve_public(pub, secret) != 0)
        return fr_err_set(err, FR_ERR_JOB, "zmq_curve_public: %s", zmq_strerror(zmq_errno()));
    return FR_OK;
}

fr_status fr_job_curve_server(void *sock, const char secret[FR_KEY_TEXT], fr_err *err)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "filmrestore", 11) != 0)
        return fr_err_set(err, FR_ERR_JOB, "zmq_setsockopt CURVE server: %s", zmq_strerror(zmq_errno()));
    return FR_OK;
}

fr_status fr_job_curve_client(void *sock, const char server_pub[FR_KEY_TEXT], const char secret[FR_KEY_TEXT],
                              fr_err *err)
{
    char pub[FR_KEY_TEXT];
    fr_status st = fr_job_key_public(secret, pub, err);
    if (st != FR_OK)
        return st;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, 40) != 0)
        return fr_err_set(err, FR_ERR_JOB, "zmq_setsockopt CURVE client: %s", zmq_strerror(zmq_errno()));
    return FR_OK;
}

/* One ZAP request: version, request id, domain, address, identity, mechanism,
 * then the mechanism's credentials (CURVE: the client's 32-byte public key). */
static void *zap_loop(void *arg)
{
    fr_job_zap *z = arg;
    for (;;) {
        zmq_msg_t part[8];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, z->sock, 0) < 0) {
                zmq_msg_close(&m);
                for (int i = 0; i < n; i++)
                    zmq_msg_close(&part[i]);
                return NULL; /* ETERM: the context is shutting down */
            }
            more = zmq_msg_more(&m);
            if (n < 8)
                part[n++] = m;
            else
                zmq_msg_close(&m);
        }
        const char *code = "400", *text = "unknown client key";
        char user[FR_KEY_TEXT] = ""; /* the client's key as Z85: the User-Id of its messages */
        if (n >= 7 && zmq_msg_size(&part[5]) == 5 && !memcmp(zmq_msg_data(&part[5]), "CURVE", 5) &&
            zmq_msg_size(&part[6]) == 32) {
            for (int i = 0; i < z->n; i++)
                if (!memcmp(z->keys[i], zmq_msg_data(&part[6]), 32) && zmq_z85_encode(user, z->keys[i], 32)) {
                    code = "200";
                    text = "OK";
                }
        } else {
            text = "CURVE required";
        }
        if (n >= 2) {
            zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE);
            zmq_send(z->sock, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), ZMQ_SNDMORE);
            zmq_send(z->sock, code, 3, ZMQ_SNDMORE);
            zmq_send(z->sock, text, strlen(text), ZMQ_SNDMORE);
            zmq_send(z->sock, user, code[0] == '2' ? strlen(user) : 0, ZMQ_SNDMORE);
            zmq_send(z->sock, "", 0, 0);
        }
        if (code[0] != '2')
            fr_warn("filmrestored", "refused a client: %s", text);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&part[i]);
    }
}

/* Adds every *.pub of dir; admin marks them as admin keys. */
static fr_status load_keys(fr_job_zap *z, const char *dir, int admin, fr_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return fr_err_set(err, FR_ERR_IO, "opendir %s: %s", dir, strerror(errno));
    fr_status st = FR_OK;
    struct dirent *e;
    while (st == FR_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".pub"))
            continue;
        char path[PATH_MAX + 300], key[FR_KEY_TEXT];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((st = fr_job_key_read(path, key, err)) != FR_OK)
            break;
        if (z->n == MAX_CLIENTS) {
            st = fr_err_set(err, FR_ERR_JOB, "%s: more than %d client keys", dir, MAX_CLIENTS);
            break;
        }
        zmq_z85_decode(z->keys[z->n], key);
        z->admin[z->n++] = (uint8_t)admin;
    }
    closedir(d);
    return st;
}

int fr_job_zap_is_admin(const fr_job_zap *z, const char *user)
{
    uint8_t bin[32];
    if (!z || !user || strlen(user) != 40 || !zmq_z85_decode(bin, user))
        return 0;
    for (int i = 0; i < z->n; i++)
        if (z->admin[i] && !memcmp(z->keys[i], bin, 32))
            return 1;
    return 0;
}

fr_status fr_job_zap_start(fr_job_zap **out, void *ctx, const char *clients_dir, const char *admins_dir, fr_err *err)
{
    *out = NULL;
    fr_job_zap *z = calloc(1, sizeof *z);
    if (!z)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = load_keys(z, clients_dir, 0, err);
    if (st == FR_OK && admins_dir)
        st = load_keys(z, admins_dir, 1, err);
    if (st != FR_OK)
        goto fail;
    if (!z->n) {
        st = fr_err_set(err, FR_ERR_JOB, "%s holds no client key (*.pub)", clients_dir);
        goto fail;
    }
    int linger = 0;
    if (!(z->sock = zmq_socket(ctx, ZMQ_REP)) || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->sock, "inproc://zeromq.zap.01") != 0) {
        st = fr_err_set(err, FR_ERR_JOB, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&z->thread, NULL, zap_loop, z) != 0) {
        st = fr_err_set(err, FR_ERR_JOB, "pthread_create: %s", strerror(errno));
        goto fail;
    }
    z->started = 1;
    *out = z;
    return FR_OK;
fail:
    if (z->sock)
        zmq_close(z->sock);
    free(z);
    return st;
}

void fr_job_zap_free(fr_job_zap *z)
{
    if (!z)
        return;
    if (z->started)
        pthread_join(z->thread, NULL);
    zmq_close(z->sock);
    free(z);
}
