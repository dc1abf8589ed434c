/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xalloc.h"
#include "daemon/conf.h"
#include "tests/fuzz/fuzz.h"

/* config_load() on arbitrary files, as secrespd -n and a reload run it.
 *
 * The input is written to secrespd.conf in a private directory (in $TMPDIR,
 * else /dev/shm), "@DIR@" replaced by that directory, which also
 * holds what settings may point at: include.conf, ca.pem, secret (mode
 * 0600), secret-open (0644) and creds/proxy-password ($CREDENTIALS_DIRECTORY).
 * The secret files and $SECRESP_FUZZ_SECRET hold CANARY.  Invariants:
 *   - 0 and a Config exactly when there is no error line; every error line
 *     starts with a file of the directory (an included file is named as
 *     the @include wrote it);
 *   - a secret's value never shows, neither in the errors nor in
 *     config_print() (unless the input itself holds CANARY);
 *   - every value is in its documented range;
 *   - what config_print() writes loads again and prints the same, once
 *     its "<secret REF>" are REF again (responders, which it shows as
 *     comments, are skipped).
 * Inputs that could @include a file outside the directory, or a directory,
 * are skipped (include_unsafe()): /dev/zero or a FIFO would stall the
 * fuzzer, and a directory makes libconfig exit. */

#define CANARY "Sx-fuzz-canary-5b9e1f"

static char *dir, *conf_path, *print_path;

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(fchmod(fd, mode) == 0);
        FUZZ_CHECK(len == 0 || write(fd, data, len) == (ssize_t) len);
        FUZZ_CHECK(close(fd) == 0);
}

static const char *const sandbox_files[] = {
        "secrespd.conf", "printed.conf", "include.conf", "ca.pem", "secret", "secret-open",
        "creds/proxy-password", "creds", NULL,
};

static void sandbox_remove(void)
{
        for (size_t i = 0; sandbox_files[i]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, sandbox_files[i]);
                if (unlink(p) < 0 && errno == EISDIR)
                        (void) rmdir(p);
        }
        (void) rmdir(dir);
}

static void sandbox_init(void)
{
        const char *base = getenv("TMPDIR");
        _cleanup_free_ char *creds = NULL, *p = NULL;
        static const char include_conf[] = "log_level = \"debug\";\ncontrol: { client_timeout = 30; };\n";

        /* $TMPDIR when set (run-fuzz.sh and the replay test point it at a
         * directory they remove), else memory */
        if (!base || base[0] != '/')
                base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        dir = xasprintf("%s/secresp-fuzz-config.XXXXXX", base);
        FUZZ_CHECK(mkdtemp(dir));
        atexit(sandbox_remove);
        conf_path = xasprintf("%s/secrespd.conf", dir);
        print_path = xasprintf("%s/printed.conf", dir);

        creds = xasprintf("%s/creds", dir);
        FUZZ_CHECK(mkdir(creds, 0700) == 0);
        p = xasprintf("%s/proxy-password", creds);
        write_file(p, CANARY "\n", strlen(CANARY) + 1, 0600);
        free(p);
        p = xasprintf("%s/secret", dir);
        write_file(p, CANARY "\r\n", strlen(CANARY) + 2, 0600);
        free(p);
        p = xasprintf("%s/secret-open", dir);
        write_file(p, CANARY, strlen(CANARY), 0644);
        free(p);
        p = xasprintf("%s/ca.pem", dir);
        write_file(p, "", 0, 0644);
        free(p);
        p = xasprintf("%s/include.conf", dir);
        write_file(p, include_conf, strlen(include_conf), 0644);

        FUZZ_CHECK(setenv("SECRESP_FUZZ_SECRET", CANARY, 1) == 0);
        FUZZ_CHECK(setenv("CREDENTIALS_DIRECTORY", creds, 1) == 0);
        /* the defaults of the two directories, fixed */
        FUZZ_CHECK(setenv("STATE_DIRECTORY", "/var/lib/secresp-fuzz:/ignored", 1) == 0);
        FUZZ_CHECK(unsetenv("RUNTIME_DIRECTORY") == 0);
}

static bool contains(const void *hay, size_t len, const char *needle)
{
        return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* Whether an @include could name something other than a file of the
 * directory: a name holding '/', "..", '\\' or '@' ("@DIR@" names the
 * directory itself), or naming a directory ("", ".", "creds").  Every
 * "@include" counts, even in a comment or a string, and the name runs from
 * the next '"' to the one after it or to the end: no lexer subtlety lets
 * one through.  Known issue: libconfig 1.5's scanner calls exit(2) ("input
 * in flex scanner failed") when the file included is a directory. */
static bool include_unsafe(const uint8_t *data, size_t size)
{
        static const char token[] = "@include";
        size_t n = strlen(token);

        for (size_t i = 0; i + n <= size; i++) {
                const uint8_t *name, *end;
                _cleanup_free_ char *path = NULL;
                struct stat st;
                size_t len;

                if (strncasecmp((const char *) data + i, token, n) != 0)
                        continue;
                name = memchr(data + i + n, '"', size - i - n);
                if (!name)
                        return false;
                name++;
                end = memchr(name, '"', size - (size_t) (name - data));
                if (!end)
                        end = data + size;
                len = (size_t) (end - name);
                if (memchr(name, '/', len) || memchr(name, '\\', len) || memchr(name, '@', len) ||
                    memmem(name, len, "..", 2) || memchr(name, '\0', len))
                        return true;
                path = xasprintf("%s/%.*s", dir, (int) len, (const char *) name);
                if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                        return true;
        }
        return false;
}

/* The input with every "@DIR@" replaced by the directory. */
static char *expand(const uint8_t *data, size_t size, size_t *ret_len)
{
        static const char token[] = "@DIR@";
        size_t dlen = strlen(dir), n = 0;
        char *out = xmalloc(size * (dlen + 1) + 1);

        for (size_t i = 0; i < size;)
                if (size - i >= strlen(token) && memcmp(data + i, token, strlen(token)) == 0) {
                        memcpy(out + n, dir, dlen);
                        n += dlen;
                        i += strlen(token);
                } else
                        out[n++] = (char) data[i++];
        out[n] = '\0';
        *ret_len = n;
        return out;
}

static char *print_config(const Config *c, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        FUZZ_CHECK(f);
        config_print(c, f);
        FUZZ_CHECK(fclose(f) == 0);
        FUZZ_CHECK(buf && len > 0 && buf[len - 1] == '\n');
        *ret_len = len;
        return buf;
}

static void check_values(const Config *c)
{
        FUZZ_CHECK(c->path && strcmp(c->path, conf_path) == 0);
        FUZZ_CHECK(c->state_directory && c->state_directory[0] == '/');
        FUZZ_CHECK(c->runtime_directory && c->runtime_directory[0] == '/');
        FUZZ_CHECK(c->log_target >= 0 && c->log_target <= 2);
        FUZZ_CHECK(c->log_level >= 0 && c->log_level <= 7);
        FUZZ_CHECK(!c->control.socket || c->control.socket[0] == '/');
        FUZZ_CHECK(c->control.group);
        FUZZ_CHECK(c->control.client_timeout >= 1 && c->control.client_timeout <= 600);
        FUZZ_CHECK(c->whitelist.default_expiry >= 60 && c->whitelist.default_expiry <= 3650 * 86400ULL);
        FUZZ_CHECK(c->whitelist.sweep_interval >= 1 && c->whitelist.sweep_interval <= 86400);
        FUZZ_CHECK(!c->http.ca_file || c->http.ca_file[0] == '/');
        FUZZ_CHECK(c->http.connect_timeout >= 1 && c->http.connect_timeout <= 300);
        FUZZ_CHECK(c->http.timeout >= 1 && c->http.timeout <= 3600);
        FUZZ_CHECK(c->http.max_host_connections >= 1 && c->http.max_host_connections <= 256);
        FUZZ_CHECK(c->http.max_total_connections >= 1 && c->http.max_total_connections <= 4096);
        FUZZ_CHECK(c->http.max_host_connections <= c->http.max_total_connections);
        FUZZ_CHECK(c->http.proxy || (!c->http.proxy_user && !c->http.proxy_password.ref));
        FUZZ_CHECK(!c->http.proxy_password.ref || c->http.proxy_password.value);
}

/* config_print() masks a secret as "<secret REF>": the reference again, so
 * that the printed configuration can be loaded.  Only on the lines of the
 * secret settings: a string value may read "<secret x>" too. */
static char *unmask_secrets(const char *printed)
{
        static const char *const secret_settings[] = { "proxy_password", "secret_key", "token", NULL };
        size_t len = strlen(printed), n = 0;
        char *out = xmalloc(len + 1);

        for (const char *l = printed; *l;) {
                const char *eol = strchrnul(l, '\n'), *name = l + strspn(l, " ");
                bool done = false;

                for (size_t i = 0; secret_settings[i] && !done; i++) {
                        size_t k = strlen(secret_settings[i]);
                        const char *v = name + k;

                        if (strncmp(name, secret_settings[i], k) != 0 || strncmp(v, " = \"<secret ", 12) != 0 ||
                            eol - v < 15 || strncmp(eol - 3, ">\";", 3) != 0)
                                continue;
                        /* indentation and name, '"', the reference, '";' */
                        memcpy(out + n, l, (size_t) (v - l) + 4);
                        n += (size_t) (v - l) + 4;
                        memcpy(out + n, v + 12, (size_t) (eol - 3 - (v + 12)));
                        n += (size_t) (eol - 3 - (v + 12));
                        memcpy(out + n, "\";", 2);
                        n += 2;
                        done = true;
                }
                if (!done) {
                        memcpy(out + n, l, (size_t) (eol - l));
                        n += (size_t) (eol - l);
                }
                if (*eol)
                        out[n++] = '\n';
                l = *eol ? eol + 1 : eol;
        }
        out[n] = '\0';
        return out;
}

static int load(const char *path, Config **ret, ConfigErrors *errs, bool canary_ok)
{
        size_t dlen = strlen(dir);
        int r;

        *ret = NULL;
        *errs = (ConfigErrors) { 0 };
        r = config_load(path, ret, errs);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        FUZZ_CHECK((r == 0) == (errs->n == 0));
        FUZZ_CHECK((r == 0) == (*ret != NULL));
        for (size_t i = 0; i < errs->n; i++) {
                const char *l = errs->lines[i];
                /* a file of the directory; an included one is named as
                 * the @include wrote it, relative to the directory */
                FUZZ_CHECK(l);
                if (l[0] == '/' ? strncmp(l, dir, dlen) != 0 || l[dlen] != '/' : !strchr(l, ':')) {
                        fprintf(stderr, "error line does not start with a file of %s: \"%s\"\n", dir, l);
                        abort();
                }
                if (!canary_ok && strstr(l, CANARY)) {
                        fprintf(stderr, "error line shows a secret's value: \"%s\"\n", l);
                        abort();
                }
        }
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL, *printed = NULL;
        bool canary_ok;
        ConfigErrors errs;
        Config *c;
        size_t len, plen;

        if (!dir)
                sandbox_init();
        if (include_unsafe(data, size))
                return 0;
        canary_ok = contains(data, size, CANARY);
        text = expand(data, size, &len);
        write_file(conf_path, text, len, 0644);

        if (load(conf_path, &c, &errs, canary_ok) < 0) {
                config_errors_done(&errs);
                return 0;
        }
        check_values(c);
        printed = print_config(c, &plen);
        FUZZ_CHECK(canary_ok || !contains(printed, plen, CANARY));
        free(config_database_path(c));
        free(config_socket_path(c));

        /* the effective configuration is a configuration: the same one
         * (responders are shown as comments: their settings are theirs) */
        if (c->n_responders == 0) {
                _cleanup_free_ char *again = NULL, *unmasked = unmask_secrets(printed);
                const char *body = strchr(printed, '\n'), *body2;
                ConfigErrors errs2;
                Config *c2;
                size_t alen;

                write_file(print_path, unmasked, strlen(unmasked), 0644);
                if (load(print_path, &c2, &errs2, canary_ok) < 0) {
                        for (size_t i = 0; i < errs2.n; i++)
                                fprintf(stderr, "reloading the printed configuration: %s\n", errs2.lines[i]);
                        fprintf(stderr, "invariant failed: config_print() output loads\n");
                        abort();
                }
                again = print_config(c2, &alen);
                body2 = strchr(again, '\n');
                FUZZ_CHECK(body && body2 && strcmp(body, body2) == 0);
                config_free(c2);
        }
        config_free(c);
        return 0;
}
