/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xalloc.h"
#include "daemon/secrets.h"

#define SECRET_MAX (64 * 1024)

static bool valid_name(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '_' && *s != '-' && *s != '.')
                        return false;
        return true;
}

int secret_ref_check(const char *ref, const char **ret_why)
{
        if (!strncmp(ref, "env:", 4)) {
                if (!valid_name(ref + 4)) {
                        *ret_why = "env: needs a variable name";
                        return -EINVAL;
                }
                return 0;
        }
        if (!strncmp(ref, "cred:", 5)) {
                if (!valid_name(ref + 5) || ref[5] == '.') {
                        *ret_why = "cred: needs a credential name (no slashes)";
                        return -EINVAL;
                }
                return 0;
        }
        if (!strncmp(ref, "file:", 5)) {
                if (ref[5] != '/') {
                        *ret_why = "file: needs an absolute path";
                        return -EINVAL;
                }
                return 0;
        }
        *ret_why = "a secret must be a reference: env:NAME, cred:NAME or file:/PATH";
        return -EINVAL;
}

/* Reads a small file; strips one trailing newline, as editors add one. */
static int read_secret_file(const char *path, bool check_mode, char **ret, char **ret_why)
{
        struct stat st;
        char *buf;
        ssize_t n;
        size_t len = 0;
        int fd;

        /* O_NONBLOCK: a FIFO must not hang the config load; cleared below */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;
                *ret_why = xasprintf("cannot open '%s': %s", path, strerror(e));
                return -e;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                *ret_why = xasprintf("'%s' is not a regular file", path);
                close(fd);
                return -EINVAL;
        }
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        if (check_mode && (st.st_mode & (S_IRWXG | S_IRWXO))) {
                *ret_why = xasprintf("'%s' is accessible by group or others (mode %04o); "
                                     "chmod 600 it", path, (unsigned) (st.st_mode & 07777));
                close(fd);
                return -EPERM;
        }
        if (st.st_size > SECRET_MAX) {
                *ret_why = xasprintf("'%s' is larger than %d bytes", path, SECRET_MAX);
                close(fd);
                return -EFBIG;
        }
        buf = xmalloc((size_t) st.st_size + 1);
        while ((n = read(fd, buf + len, (size_t) st.st_size - len)) > 0)
                len += (size_t) n;
        close(fd);
        if (n < 0) {
                int e = errno;
                free(buf);
                *ret_why = xasprintf("cannot read '%s': %s", path, strerror(e));
                return -e;
        }
        buf[len] = '\0';
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r')
                buf[--len] = '\0';
        *ret = buf;
        return 0;
}

int secret_resolve(const char *ref, Secret *ret, char **ret_why)
{
        const char *why;
        char *value = NULL;
        int r;

        r = secret_ref_check(ref, &why);
        if (r < 0) {
                *ret_why = xstrdup(why);
                return r;
        }
        if (!strncmp(ref, "env:", 4)) {
                const char *e = getenv(ref + 4);
                if (!e) {
                        *ret_why = xasprintf("environment variable '%s' is not set", ref + 4);
                        return -ENOENT;
                }
                value = xstrdup(e);
        } else if (!strncmp(ref, "cred:", 5)) {
                const char *dir = getenv("CREDENTIALS_DIRECTORY");
                _cleanup_free_ char *path = NULL;
                if (!dir) {
                        *ret_why = xasprintf("credential '%s': $CREDENTIALS_DIRECTORY is not set "
                                             "(use LoadCredential= in the unit)", ref + 5);
                        return -ENOENT;
                }
                path = xasprintf("%s/%s", dir, ref + 5);
                /* systemd already restricts the credentials directory */
                r = read_secret_file(path, false, &value, ret_why);
                if (r < 0)
                        return r;
        } else {
                r = read_secret_file(ref + 5, true, &value, ret_why);
                if (r < 0)
                        return r;
        }
        *ret = (Secret) { .ref = xstrdup(ref), .value = value };
        return 0;
}

void secret_done(Secret *s)
{
        if (!s)
                return;
        if (s->value) {
                explicit_bzero(s->value, strlen(s->value));
                free(s->value);
        }
        free(s->ref);
        *s = (Secret) { 0 };
}
