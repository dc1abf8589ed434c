/* SPDX-License-Identifier: MIT */
/* Functional test of src/daemon/exec.c and the external_call responder on
 * a real libuv loop, with tests/functional/recorder as the external
 * program.  Prints TAP; run by test-exec.sh.
 *
 *   exec_test --recorder PATH --tmp DIR [--only NAME]
 *
 * Every test builds its own loop and ends by closing it: uv_loop_close()
 * must return 0, so a leaked handle fails the test.
 *
 * The exec tests run twice: through the posix_spawn + pidfd path (the
 * default), then through the uv_spawn fallback (SECRESP_EXEC_FORK=1, their
 * descriptions prefixed with "fork: "); the external_call tests once.
 * With SECRESP_EXEC_FORK already set, everything runs once, that way. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <libconfig.h>
#include <uv.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/exec.h"
#include "engine/entity.h"
#include "responders/responder.h"
#include "tests/functional/tap.h"

static const char *arg_recorder;
static const char *arg_tmp;
static const char *arg_only;

/* ---- TAP ---------------------------------------------------------------- */

#define has_str(hay, needle, ...)                                                       \
        do {                                                                            \
                const char *_h = (hay), *_n = (needle);                                 \
                if (!ok(_h && strstr(_h, _n), __VA_ARGS__))                             \
                        diag("  '%s' does not contain '%s'", _h ? _h : "(null)", _n);   \
        } while (0)

#define in_range(got, lo, hi, ...)                                                      \
        do {                                                                            \
                double _g = (double) (got);                                             \
                if (!ok(_g >= (double) (lo) && _g <= (double) (hi), __VA_ARGS__))       \
                        diag("  got %.0f, want [%.0f, %.0f]", _g, (double) (lo), (double) (hi)); \
        } while (0)

/* ---- loop --------------------------------------------------------------- */

static void walk_close(uv_handle_t *h, void *arg)
{
        if (!uv_is_closing(h))
                uv_close(h, NULL);
}

static void loop_check_close(uv_loop_t *loop, const char *what)
{
        int r;

        uv_run(loop, UV_RUN_DEFAULT);
        r = uv_loop_close(loop);
        if (r != 0) {
                uv_walk(loop, walk_close, NULL);
                uv_run(loop, UV_RUN_DEFAULT);
                (void) uv_loop_close(loop);
        }
        is_int(r, 0, "%s: uv_loop_close() == 0 (every handle closed)", what);
}

static char *tmp_path(const char *name)
{
        return xasprintf("%s/%s", arg_tmp, name);
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t cap = 0, n = 0, got;

        if (!f)
                return xstrdup("");
        do {
                if (n + 4096 + 1 > cap)
                        buf = xreallocarray(buf, cap = (n + 4096 + 1) * 2, 1);
                got = fread(buf + n, 1, 4096, f);
                n += got;
        } while (got > 0);
        fclose(f);
        buf[n] = '\0';
        return buf;
}

static unsigned count_lines(const char *path)
{
        char *s = read_file(path);
        unsigned n = 0;

        for (char *p = s; *p; p++)
                n += *p == '\n';
        free(s);
        return n;
}

/* Line i (0-based) of a file, without its newline; "" when missing. */
static char *file_line(const char *path, unsigned i)
{
        char *s = read_file(path), *p = s, *r;

        for (unsigned k = 0; k < i && p; k++) {
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        if (!p) {
                free(s);
                return xstrdup("");
        }
        r = xstrndup(p, strcspn(p, "\n"));
        free(s);
        return r;
}

/* The JSON array a recorder line holds, rendered from argv to compare. */
static char *json_argv(const char *const *argv)
{
        cJSON *a = cJSON_CreateArray();
        char *s, *r;

        for (size_t i = 0; argv[i]; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
        s = cJSON_PrintUnformatted(a);
        r = xstrdup(s);
        cJSON_free(s);
        cJSON_Delete(a);
        return r;
}

/* ---- exec --------------------------------------------------------------- */

typedef struct Got {
        unsigned calls;
        int r;
        bool timed_out, exited, truncated;
        int exit_status, term_signal, pid;
        char *output;
        size_t output_len;
        uint64_t duration_ms;
        ExecJob *job;
        int cancel_in_cb;       /* exec_cancel() from inside the callback */
} Got;

static void on_exec(const ExecResult *res, void *ud)
{
        Got *g = ud;

        g->calls++;
        g->r = res->r;
        g->timed_out = res->timed_out;
        g->exited = res->exited;
        g->truncated = res->truncated;
        g->exit_status = res->exit_status;
        g->term_signal = res->term_signal;
        g->pid = res->pid;
        free(g->output);
        g->output = xmalloc(res->output_len + 1);
        memcpy(g->output, res->output, res->output_len + 1);
        g->output_len = res->output_len;
        g->duration_ms = res->duration_ms;
        if (g->job)
                g->cancel_in_cb = exec_cancel(g->job);
}

static void got_done(Got *g)
{
        free(g->output);
        *g = (Got) { 0 };
}

static void run_exec(const char *name, const ExecOptions *in, Got *g)
{
        uv_loop_t loop;
        ExecOptions o = *in;
        int r;

        *g = (Got) { 0 };
        uv_loop_init(&loop);
        o.cb = on_exec;
        o.userdata = g;
        r = exec_start(&loop, &o, NULL);
        is_int(r, 0, "%s: exec_start() returns 0", name);
        uv_run(&loop, UV_RUN_DEFAULT);
        is_int(g->calls, 1, "%s: callback called once", name);
        loop_check_close(&loop, name);
}

static void test_output_and_status(void)
{
        const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
        Got g;

        run_exec("status", &(ExecOptions) { .argv = argv }, &g);
        is_int(g.r, 0, "status: r == 0");
        ok(g.exited && !g.timed_out && !g.truncated, "status: exited, not timed out, not truncated");
        is_int(g.exit_status, 3, "status: exit status 3");
        is_int(g.term_signal, 0, "status: no signal");
        is_str(g.output, "out\nerr\n", "status: stdout and stderr captured in order");
        ok(g.pid > 0, "status: pid reported");
        got_done(&g);

        const char *argv2[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
        run_exec("signal", &(ExecOptions) { .argv = argv2 }, &g);
        is_int(g.r, 0, "signal: r == 0 (ended by itself)");
        is_int(g.term_signal, SIGUSR1, "signal: term_signal SIGUSR1");
        got_done(&g);

        const char *argv3[] = { "/bin/sh", "-c", "pwd; readlink /proc/self/fd/0; cat; echo end", NULL };
        run_exec("stdin-cwd", &(ExecOptions) { .argv = argv3 }, &g);
        is_str(g.output, "/\n/dev/null\nend\n", "stdin-cwd: cwd is /, stdin is /dev/null (cat sees EOF)");
        got_done(&g);
}

static void test_timeout(void)
{
        const char *argv[] = { "/bin/sleep", "30", NULL };
        Got g;

        run_exec("timeout", &(ExecOptions) { .argv = argv, .timeout_ms = 300 }, &g);
        is_int(g.r, -ETIMEDOUT, "timeout: r == -ETIMEDOUT");
        ok(g.timed_out, "timeout: timed_out flag");
        is_int(g.term_signal, SIGTERM, "timeout: killed by SIGTERM");
        in_range(g.duration_ms, 250, 3000, "timeout: ended at the timeout");
        got_done(&g);

        /* SIGTERM ignored by the shell and its child: SIGKILL after the grace period. */
        const char *argv2[] = { "/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30; echo survived", NULL };
        run_exec("kill-grace", &(ExecOptions) { .argv = argv2, .timeout_ms = 300, .kill_grace_ms = 400 }, &g);
        is_int(g.r, -ETIMEDOUT, "kill-grace: r == -ETIMEDOUT");
        is_int(g.term_signal, SIGKILL, "kill-grace: SIGKILL after SIGTERM was ignored");
        in_range(g.duration_ms, 650, 4000, "kill-grace: timeout + grace");
        is_str(g.output, "ready\n", "kill-grace: output before the kill kept");
        got_done(&g);
}

static void test_output_cap(void)
{
        const char *argv[] = { "/bin/sh", "-c", "yes 0123456789 | head -c 1000000; echo tail >&2", NULL };
        Got g;

        run_exec("cap", &(ExecOptions) { .argv = argv, .max_output = 4096, .timeout_ms = 10000 }, &g);
        is_int(g.r, 0, "cap: r == 0");
        is_int(g.exit_status, 0, "cap: the child was drained, not blocked (exit 0)");
        ok(g.truncated, "cap: truncated flag");
        is_int(g.output_len, 4096 + strlen(EXEC_TRUNCATED_MARKER), "cap: output capped at 4096 + marker");
        is_int(strlen(g.output), g.output_len, "cap: NUL-terminated at output_len");
        ok(g.output_len >= 4096 && strncmp(g.output, "0123456789\n", 11) == 0 &&
           strcmp(g.output + 4096, EXEC_TRUNCATED_MARKER) == 0, "cap: head kept, marker at the end");
        in_range(g.duration_ms, 0, 5000, "cap: no stall");
        got_done(&g);

        const char *argv2[] = { "/bin/sh", "-c", "yes 0123456789 | head -c 300000", NULL };
        run_exec("cap-default", &(ExecOptions) { .argv = argv2, .timeout_ms = 10000 }, &g);
        is_int(g.output_len, EXEC_DEFAULT_MAX_OUTPUT + strlen(EXEC_TRUNCATED_MARKER),
               "cap-default: 64 KiB + marker");
        got_done(&g);
}

static void test_argv_verbatim(void)
{
        _cleanup_free_ char *pwned = tmp_path("pwned");
        _cleanup_free_ char *sub = xasprintf("$(touch %s)", pwned);
        _cleanup_free_ char *semi = xasprintf("x; touch %s", pwned);
        _cleanup_free_ char *back = xasprintf("`touch %s`", pwned);
        const char *argv[] = { arg_recorder, "a b  c", "\"double\" 'single'", sub, semi, back, "*", "$HOME",
                               "", "|", "&& echo hi", "new\nline", "tab\there", "ünïcödé", NULL };
        _cleanup_free_ char *want = json_argv(argv);
        Got g;

        run_exec("verbatim", &(ExecOptions) { .argv = argv }, &g);
        is_int(g.exit_status, 0, "verbatim: recorder exit 0");
        if (g.output_len && g.output[g.output_len - 1] == '\n')
                g.output[--g.output_len] = '\0';
        is_str(g.output, want, "verbatim: every element arrives as ONE argument, unchanged (no shell)");
        ok(access(pwned, F_OK) < 0, "verbatim: nothing was substituted or executed");
        got_done(&g);
}

static void test_env(void)
{
        _cleanup_free_ char *envfile = tmp_path("env.json");
        _cleanup_free_ char *envset = xasprintf("RECORDER_ENV_FILE=%s", envfile);
        const char *argv[] = { arg_recorder, NULL };
        const char *env[] = { envset, "FOO=bar baz", "PATH=/custom/bin:/bin", "EMPTY=", "FOO=second", NULL };
        _cleanup_free_ char *line = NULL;
        cJSON *o;
        Got g;

        setenv("SECRESP_TEST_SECRET", "hunter2", 1);
        setenv("NOTIFY_SOCKET", "/run/nope", 1);
        setenv("LANG", "C.UTF-8", 1);
        setenv("LC_TIME", "C", 1);
        unlink(envfile);
        run_exec("env", &(ExecOptions) { .argv = argv, .env = env }, &g);
        line = file_line(envfile, 0);
        o = cJSON_Parse(line);
        ok(o != NULL, "env: recorder wrote its environment");
        if (o) {
                const cJSON *v;
                v = cJSON_GetObjectItemCaseSensitive(o, "FOO");
                is_str(cJSON_GetStringValue(v), "second", "env: additions passed, the last one wins");
                v = cJSON_GetObjectItemCaseSensitive(o, "PATH");
                is_str(cJSON_GetStringValue(v), "/custom/bin:/bin", "env: PATH overridden");
                v = cJSON_GetObjectItemCaseSensitive(o, "EMPTY");
                is_str(cJSON_GetStringValue(v), "", "env: empty value");
                v = cJSON_GetObjectItemCaseSensitive(o, "LANG");
                is_str(cJSON_GetStringValue(v), "C.UTF-8", "env: LANG passed through");
                v = cJSON_GetObjectItemCaseSensitive(o, "LC_TIME");
                is_str(cJSON_GetStringValue(v), "C", "env: LC_* passed through");
                ok(!cJSON_GetObjectItemCaseSensitive(o, "SECRESP_TEST_SECRET"),
                   "env: the daemon's other variables are not inherited");
                ok(!cJSON_GetObjectItemCaseSensitive(o, "NOTIFY_SOCKET"), "env: NOTIFY_SOCKET not inherited");
                cJSON_Delete(o);
        }
        got_done(&g);

        /* Without additions: a default PATH. */
        const char *argv2[] = { "/bin/sh", "-c", "echo \"$PATH\"", NULL };
        _cleanup_free_ char *old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "");
        unsetenv("PATH");
        run_exec("env-path", &(ExecOptions) { .argv = argv2 }, &g);
        is_str(g.output, EXEC_DEFAULT_PATH "\n", "env-path: default PATH when the daemon has none");
        setenv("PATH", old_path, 1);
        got_done(&g);
        unsetenv("SECRESP_TEST_SECRET");
        unsetenv("NOTIFY_SOCKET");
}

static void test_fds(void)
{
        const char *argv[] = { arg_recorder, NULL };
        const char *env[] = { "RECORDER_FDS=1", NULL };
        int fd = open("/dev/null", O_RDONLY);           /* deliberately without O_CLOEXEC */
        int fd2 = fd >= 0 ? dup2(fd, 77) : -1;          /* dup2 never sets it */
        Got g;

        ok(fd >= 3 && fd2 == 77, "fds: inheritable descriptors opened in the parent");
        run_exec("fds", &(ExecOptions) { .argv = argv, .env = env }, &g);
        has_str(g.output, "\nfds: 0 1 2\n", "fds: the child holds 0, 1 and 2 only");
        ok(fcntl(fd2, F_GETFD) >= 0, "fds: the parent's descriptors stay open");
        got_done(&g);
        if (fd >= 0)
                close(fd);
        if (fd2 >= 0)
                close(fd2);
}

static void test_spawn_failure(void)
{
        const char *argv[] = { "/nonexistent/secresp-prog", "x", NULL };
        Got g;

        run_exec("enoent", &(ExecOptions) { .argv = argv }, &g);
        is_int(g.r, -ENOENT, "enoent: r == -ENOENT through the callback");
        ok(!g.exited && g.pid == 0, "enoent: never started");
        is_str(g.output, "", "enoent: empty output, never NULL");
        got_done(&g);

        _cleanup_free_ char *notexec = tmp_path("notexec");
        FILE *f = fopen(notexec, "we");
        if (f) {
                fputs("not a program\n", f);
                fclose(f);
        }
        chmod(notexec, 0644);
        const char *argv2[] = { notexec, NULL };
        run_exec("eacces", &(ExecOptions) { .argv = argv2 }, &g);
        is_int(g.r, -EACCES, "eacces: r == -EACCES");
        got_done(&g);
}

static void test_bad_options(void)
{
        uv_loop_t loop;
        const char *empty[] = { "", NULL };
        const char *argv[] = { "/bin/true", NULL };
        const char *badenv[] = { "NOEQUALS", NULL };
        Got g = { 0 };

        uv_loop_init(&loop);
        is_int(exec_start(&loop, &(ExecOptions) { .argv = NULL, .cb = on_exec, .userdata = &g }, NULL), -EINVAL,
               "einval: no argv");
        is_int(exec_start(&loop, &(ExecOptions) { .argv = empty, .cb = on_exec, .userdata = &g }, NULL), -EINVAL,
               "einval: empty program");
        is_int(exec_start(&loop, &(ExecOptions) { .argv = argv }, NULL), -EINVAL, "einval: no callback");
        is_int(exec_start(&loop, &(ExecOptions) { .argv = argv, .env = badenv, .cb = on_exec, .userdata = &g },
                          NULL), -EINVAL, "einval: env entry without '='");
        is_int(exec_start(&loop, &(ExecOptions) { .argv = argv, .max_output = EXEC_MAX_OUTPUT_LIMIT + 1,
                                                  .cb = on_exec, .userdata = &g }, NULL),
               -EINVAL, "einval: output cap above the limit");
        uv_run(&loop, UV_RUN_DEFAULT);
        is_int(g.calls, 0, "einval: callback never called");
        loop_check_close(&loop, "einval");
}

typedef struct CancelCtx {
        ExecJob *job;
        int r;
} CancelCtx;

static void on_cancel_timer(uv_timer_t *t)
{
        CancelCtx *c = t->data;

        c->r = exec_cancel(c->job);
        uv_close((uv_handle_t *) t, NULL);
}

static void test_cancel(void)
{
        uv_loop_t loop;
        uv_timer_t t;
        const char *argv[] = { "/bin/sleep", "30", NULL };
        CancelCtx cc = { 0 };
        Got g = { 0 };

        uv_loop_init(&loop);
        is_int(exec_start(&loop, &(ExecOptions) { .argv = argv, .cb = on_exec, .userdata = &g }, &cc.job), 0,
               "cancel: started");
        g.job = cc.job;         /* the callback tries exec_cancel() too */
        uv_timer_init(&loop, &t);
        t.data = &cc;
        uv_timer_start(&t, on_cancel_timer, 100, 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        is_int(cc.r, 0, "cancel: exec_cancel() returns 0");
        is_int(g.calls, 1, "cancel: callback called once");
        is_int(g.r, -ECANCELED, "cancel: r == -ECANCELED");
        is_int(g.term_signal, SIGTERM, "cancel: the child got SIGTERM");
        in_range(g.duration_ms, 50, 3000, "cancel: prompt");
        is_int(g.cancel_in_cb, -EALREADY, "cancel: exec_cancel() in the callback returns -EALREADY");
        is_int(exec_jobs_in_flight(), 0, "cancel: no job left in flight");
        loop_check_close(&loop, "cancel");
        got_done(&g);
}

static void test_background_grandchild(void)
{
        /* The grandchild keeps the pipe open after the child exits: the
         * job ends after the drain period, not when the grandchild does. */
        const char *argv[] = { "/bin/sh", "-c", "sleep 4 & echo hi", NULL };
        Got g;

        run_exec("drain", &(ExecOptions) { .argv = argv }, &g);
        is_int(g.r, 0, "drain: r == 0");
        is_int(g.exit_status, 0, "drain: exit 0");
        is_str(g.output, "hi\n", "drain: output kept");
        in_range(g.duration_ms, 0, EXEC_DRAIN_MS + 1500, "drain: bounded by the drain period");
        got_done(&g);
}

static void test_parallel(void)
{
        enum { N = 16 };
        uv_loop_t loop;
        Got g[N];
        char arg[N][16];
        bool all = true;

        uv_loop_init(&loop);
        for (int i = 0; i < N; i++) {
                g[i] = (Got) { 0 };
                snprintf(arg[i], sizeof(arg[i]), "job%d", i);
                const char *argv[] = { "/bin/sh", "-c", "sleep 0.1; echo \"$1\"; exit \"$2\"", "sh", arg[i],
                                       i % 2 ? "1" : "0", NULL };
                if (exec_start(&loop, &(ExecOptions) { .argv = argv, .cb = on_exec, .userdata = &g[i] }, NULL) < 0)
                        all = false;
        }
        ok(all, "parallel: %d jobs started", N);
        is_int(exec_jobs_in_flight(), N, "parallel: %d in flight", N);
        uv_run(&loop, UV_RUN_DEFAULT);
        for (int i = 0; i < N; i++) {
                char want[20];
                snprintf(want, sizeof(want), "job%d\n", i);
                if (g[i].calls != 1 || strcmp(g[i].output, want) || g[i].exit_status != i % 2)
                        all = false;
                got_done(&g[i]);
        }
        ok(all, "parallel: each job got its own output and status");
        is_int(exec_jobs_in_flight(), 0, "parallel: none left");
        loop_check_close(&loop, "parallel");
}

/* Descriptors open in this process (a leaked pipe or pidfd shows here). */
static unsigned count_fds(void)
{
        unsigned n = 0;

        for (int fd = 0; fd < 4096; fd++)
                n += fcntl(fd, F_GETFD) >= 0;
        return n;
}

/* True when exec.c takes the posix_spawn + pidfd path here: not forced to
 * fork, and pidfd_open() works (not under valgrind, which lacks it). */
static bool posix_path(void)
{
        const char *f = getenv("SECRESP_EXEC_FORK");
        long fd;

        if (f && *f && strcmp(f, "0") != 0)
                return false;
#ifdef SYS_pidfd_open
        fd = syscall(SYS_pidfd_open, getpid(), 0U);
        if (fd < 0)
                return false;
        close((int) fd);
        return true;
#else
        return false;
#endif
}

static void test_fds_many(void)
{
        /* ls lists the descriptors of the shell (the child), which holds
         * nothing else while it waits for ls. */
        const char *argv[] = { "/bin/sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2",
                               NULL };
        int fds[40], p[2], high, n = 0;
        char *line[8] = { 0 }, *save = NULL;
        Got g;

        /* Inheritable descriptors of every kind, low and high. */
        for (int i = 0; i < 30; i++)
                fds[n++] = open("/dev/null", O_RDONLY);
        if (pipe(p) == 0) {
                fds[n++] = p[0];
                fds[n++] = p[1];
        }
        high = dup2(fds[0], 1000);
        ok(n == 32 && high == 1000, "fds-many: 32 descriptors and fd 1000 open without O_CLOEXEC");
        run_exec("fds-many", &(ExecOptions) { .argv = argv }, &g);
        for (int i = 0; i < 8; i++)
                line[i] = strtok_r(i ? NULL : g.output, "\n", &save);
        ok(line[0] && line[1] && line[2] && !strcmp(line[0], "0") && !strcmp(line[1], "1") && !strcmp(line[2], "2") &&
           line[3] && line[3][0] == '/', "fds-many: the child holds 0, 1 and 2 only");
        is_str(line[3], "/dev/null", "fds-many: 0 is /dev/null");
        ok(line[4] && strncmp(line[4], "pipe:[", 6) == 0 && line[5] && strcmp(line[4], line[5]) == 0,
           "fds-many: 1 and 2 are the same pipe");
        ok(!line[6], "fds-many: nothing more");
        got_done(&g);

        ok(fcntl(high, F_GETFD) >= 0 && fcntl(fds[0], F_GETFD) >= 0, "fds-many: still open in the parent");
        for (int i = 0; i < n; i++)
                close(fds[i]);
        close(high);
}

static void test_session(void)
{
        /* Fields 1, 5 and 6 of /proc/PID/stat: pid, process group, session
         * (the command, field 2, is "(sh)": no space in it). */
        const char *argv[] = { "/bin/sh", "-c", "set -- $(cat /proc/$$/stat); echo \"$1 $5 $6\"", NULL };
        char want[64];
        Got g;

        run_exec("session", &(ExecOptions) { .argv = argv }, &g);
        snprintf(want, sizeof(want), "%d %d %d\n", g.pid, g.pid, g.pid);
        is_str(g.output, want, "session: the child leads its own session and process group (pid == pgid == sid)");
        ok(g.pid != getpid() && getsid(0) != g.pid, "session: not the parent's session");
        got_done(&g);
}

static void on_usr1(int sig)
{
        (void) sig;
}

static void test_signals_default(void)
{
        /* The parent blocks, ignores and catches signals, as a daemon does;
         * the child must start with none blocked or ignored. */
        const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };
        const char *argv2[] = { "/bin/sleep", "30", NULL };
        sigset_t set, old;
        struct sigaction ign = { .sa_handler = SIG_IGN }, catch = { .sa_handler = on_usr1 };
        struct sigaction o_int, o_hup, o_quit, o_usr1, o_usr2;
        unsigned long long blk, ign_mask;
        Got g;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGUSR2);
        /* uv_spawn needs SIGCHLD to see the exit; the pidfd path does not. */
        if (posix_path())
                sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);
        sigaction(SIGINT, &ign, &o_int);
        sigaction(SIGHUP, &ign, &o_hup);
        sigaction(SIGQUIT, &ign, &o_quit);
        sigaction(SIGUSR2, &ign, &o_usr2);
        sigaction(SIGUSR1, &catch, &o_usr1);
        /* SIGPIPE is ignored too (main()). */

        run_exec("sigdef", &(ExecOptions) { .argv = argv }, &g);
        if (sscanf(g.output, "SigBlk: %llx SigIgn: %llx", &blk, &ign_mask) != 2)
                blk = ign_mask = ~0ULL;
        is_int(blk, 0, "sigdef: no signal blocked in the child");
        is_int(ign_mask & 0x7fffffffULL, 0, "sigdef: signals 1-31 not ignored in the child (SIGPIPE included)");
        /* glibc's posix_spawn() leaves its internal signals 32 and 33
         * ignored in the child unless told otherwise, which exec keeps: the
         * posix_spawn path resets them.  uv_spawn leaves them as they are
         * in the daemon (ignored when it was started by a posix_spawn(),
         * as make does). */
        if (posix_path())
                is_int(ign_mask, 0, "sigdef: glibc's internal signals 32, 33 not ignored either");
        else
                diag("  SigIgn %016llx (signals 32 and up left as the parent has them)", ign_mask);
        got_done(&g);

        run_exec("sigterm", &(ExecOptions) { .argv = argv2, .timeout_ms = 300, .kill_grace_ms = 10000 }, &g);
        is_int(g.r, -ETIMEDOUT, "sigterm: timed out");
        is_int(g.term_signal, SIGTERM, "sigterm: SIGTERM terminates it (default action, not blocked)");
        in_range(g.duration_ms, 250, 5000, "sigterm: at the timeout, no SIGKILL grace needed");
        got_done(&g);

        sigaction(SIGINT, &o_int, NULL);
        sigaction(SIGHUP, &o_hup, NULL);
        sigaction(SIGQUIT, &o_quit, NULL);
        sigaction(SIGUSR2, &o_usr2, NULL);
        sigaction(SIGUSR1, &o_usr1, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "we");

        if (f) {
                fputs(text, f);
                fclose(f);
        }
        chmod(path, mode);
}

static void test_path_search(void)
{
        _cleanup_free_ char *bin1 = tmp_path("bin1"), *bin2 = tmp_path("bin2");
        _cleanup_free_ char *t1 = xasprintf("%s/secresp-tool", bin1), *t2 = xasprintf("%s/secresp-tool", bin2);
        _cleanup_free_ char *plain = xasprintf("%s/secresp-plain", bin2);
        _cleanup_free_ char *path12 = xasprintf("PATH=%s:%s", bin1, bin2);
        _cleanup_free_ char *path1 = xasprintf("PATH=%s", bin1);
        _cleanup_free_ char *want = NULL;
        Got g;

        mkdir(bin1, 0755);
        mkdir(bin2, 0755);
        write_file(t1, "#!/bin/sh\necho wrong\n", 0644);           /* not executable: skipped */
        write_file(t2, "#!/bin/sh\necho \"tool:$0:$1\"\n", 0755);
        write_file(plain, "echo \"plain:$1\"\n", 0755);             /* no #!: execvp runs it with /bin/sh */

        const char *argv[] = { "secresp-tool", "x y", NULL };
        const char *env12[] = { path12, NULL };
        run_exec("path", &(ExecOptions) { .argv = argv, .env = env12 }, &g);
        want = xasprintf("tool:%s:x y\n", t2);
        is_str(g.output, want, "path: found in the child's PATH, past a non-executable one");
        is_int(g.exit_status, 0, "path: exit 0");
        got_done(&g);

        const char *env1[] = { path1, NULL };
        run_exec("path-eacces", &(ExecOptions) { .argv = argv, .env = env1 }, &g);
        is_int(g.r, -EACCES, "path-eacces: only a non-executable one: -EACCES");
        got_done(&g);

        const char *argv_missing[] = { "secresp-no-such-tool", NULL };
        run_exec("path-enoent", &(ExecOptions) { .argv = argv_missing, .env = env12 }, &g);
        is_int(g.r, -ENOENT, "path-enoent: not in PATH: -ENOENT");
        ok(!g.exited && g.pid == 0, "path-enoent: never started");
        got_done(&g);

        /* The daemon's PATH is not searched: only the child's. */
        const char *argv_true[] = { "true", NULL };
        const char *env_nopath[] = { path1, NULL };
        run_exec("path-child", &(ExecOptions) { .argv = argv_true, .env = env_nopath }, &g);
        is_int(g.r, -ENOENT, "path-child: 'true' is not in the child's PATH: -ENOENT, whatever the daemon's");
        got_done(&g);

        const char *argv_plain[] = { "secresp-plain", "z", NULL };
        run_exec("path-noexec", &(ExecOptions) { .argv = argv_plain, .env = env12 }, &g);
        is_str(g.output, "plain:z\n", "path-noexec: a script without #! is run by /bin/sh, as execvp() does");
        got_done(&g);

        /* Relative names resolve in the child's cwd; an empty PATH entry is the cwd. */
        const char *argv_rel[] = { "./bin2/secresp-tool", "r", NULL };
        run_exec("path-relative", &(ExecOptions) { .argv = argv_rel, .cwd = arg_tmp }, &g);
        is_str(g.output, "tool:./bin2/secresp-tool:r\n", "path-relative: './x' is looked up in the child's cwd");
        got_done(&g);
        const char *env_empty[] = { "PATH=/nonexistent::/bin", NULL };
        run_exec("path-empty", &(ExecOptions) { .argv = argv, .env = env_empty, .cwd = bin2 }, &g);
        is_str(g.output, "tool:secresp-tool:x y\n", "path-empty: an empty PATH entry is the child's cwd");
        got_done(&g);

        const char *argv_dir[] = { "/tmp", NULL };
        run_exec("path-dir", &(ExecOptions) { .argv = argv_dir }, &g);
        is_int(g.r, -EACCES, "path-dir: a directory: -EACCES");
        got_done(&g);

        const char *argv_sh[] = { "/bin/true", NULL };
        run_exec("cwd-missing", &(ExecOptions) { .argv = argv_sh, .cwd = "/nonexistent/dir" }, &g);
        is_int(g.r, -ENOENT, "cwd-missing: a missing cwd: -ENOENT");
        ok(g.pid == 0, "cwd-missing: never started");
        got_done(&g);

        unlink(t1);
        unlink(t2);
        unlink(plain);
        rmdir(bin1);
        rmdir(bin2);
}

/* 200 runs of /bin/true, 10 started per tick of a 1 ms timer (so that
 * many are in flight at once); the timer measures the longest interval
 * between two of its ticks, the time the loop was kept from it. */
typedef struct Many {
        uv_loop_t loop;
        uv_timer_t tick;
        unsigned started, done, bad, ticks, peak;
        uint64_t last_ns, max_gap_ns, start_ns_sum, start_ns_max;
        bool sigchld_default;   /* SIGCHLD had no handler while jobs ran */
} Many;

enum { MANY_N = 200, MANY_PER_TICK = 10 };

static void on_many(const ExecResult *res, void *ud)
{
        Many *m = ud;

        m->done++;
        if (res->r != 0 || !res->exited || res->exit_status != 0 || res->term_signal != 0 || res->output_len != 0)
                m->bad++;
        if (m->done == MANY_N)
                uv_close((uv_handle_t *) &m->tick, NULL);
}

static void on_many_tick(uv_timer_t *t)
{
        Many *m = t->data;
        const char *argv[] = { "/bin/true", NULL };
        uint64_t now = uv_hrtime();
        struct sigaction sa;

        if (m->last_ns && now - m->last_ns > m->max_gap_ns)
                m->max_gap_ns = now - m->last_ns;
        m->ticks++;
        if (sigaction(SIGCHLD, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && exec_jobs_in_flight() > 0)
                m->sigchld_default = false;
        m->last_ns = now;
        for (int i = 0; i < MANY_PER_TICK && m->started < MANY_N; i++) {
                uint64_t t0 = uv_hrtime(), d;
                if (exec_start(&m->loop, &(ExecOptions) { .argv = argv, .cb = on_many, .userdata = m,
                                                          .timeout_ms = 60000 }, NULL) < 0)
                        m->bad++;
                d = uv_hrtime() - t0;
                m->start_ns_sum += d;
                if (d > m->start_ns_max)
                        m->start_ns_max = d;
                m->started++;
        }
        if (exec_jobs_in_flight() > m->peak)
                m->peak = exec_jobs_in_flight();
}

static void test_many(void)
{
        Many m = { .sigchld_default = true };
        unsigned fds0 = count_fds();
        uint64_t t0;

        uv_loop_init(&m.loop);
        uv_timer_init(&m.loop, &m.tick);
        m.tick.data = &m;
        uv_timer_start(&m.tick, on_many_tick, 1, 1);
        t0 = uv_hrtime();
        uv_run(&m.loop, UV_RUN_DEFAULT);
        is_int(m.started, MANY_N, "many: %d started", MANY_N);
        is_int(m.done, MANY_N, "many: every callback called");
        is_int(m.bad, 0, "many: each exited 0 with no output");
        is_int(exec_jobs_in_flight(), 0, "many: none left in flight");
        diag("  %.0f ms in all, %u in flight at most, exec_start() %.3f ms on average (max %.3f), "
             "%u ticks of the 1 ms timer, at most %.1f ms apart", (uv_hrtime() - t0) / 1e6, m.peak,
             m.start_ns_sum / 1e6 / MANY_N, m.start_ns_max / 1e6, m.ticks, m.max_gap_ns / 1e6);
        ok(m.peak >= MANY_PER_TICK, "many: they ran in parallel (%u in flight at most)", m.peak);
        ok(m.max_gap_ns < UINT64_C(1000000000), "many: the loop stayed responsive (the 1 ms timer never 1 s late)");
        if (posix_path())
                ok(m.sigchld_default, "many: no SIGCHLD handler: the pidfd path, not uv_spawn");
        else
                ok(!m.sigchld_default, "many: uv_spawn's SIGCHLD handler while the jobs ran: the fork path");
        loop_check_close(&m.loop, "many");
        is_int(count_fds(), fds0, "many: no descriptor left open (pipes, pidfds)");
}

/* ---- external_call ------------------------------------------------------ */

typedef struct Outcome {
        unsigned calls;
        int r;
        bool transient;
        char **elements;
        size_t n;
        char *error;
} Outcome;

static void on_responder(void *ud, const ResponderResult *res)
{
        Outcome *o = ud;

        o->calls++;
        o->r = res->r;
        o->transient = res->transient;
        o->n = res->n_elements;
        o->elements = xnew(char *, res->n_elements + 1);
        for (size_t i = 0; i < res->n_elements; i++)
                o->elements[i] = xstrdup(res->elements[i]);
        o->error = res->error ? xstrdup(res->error) : NULL;
}

static void outcome_done(Outcome *o)
{
        for (size_t i = 0; i < o->n; i++)
                free(o->elements[i]);
        free(o->elements);
        free(o->error);
        *o = (Outcome) { 0 };
}

static char *elements_str(const Outcome *o)
{
        char *s = xstrdup("");
        for (size_t i = 0; i < o->n; i++) {
                char *t = xasprintf("%s%s%s", s, i ? "," : "", o->elements[i]);
                free(s);
                s = t;
        }
        return s;
}

typedef struct Fixture {
        uv_loop_t loop;
        Responder r;
        char **errs;
        size_t n_errs;
        int cr;
        char *rec;              /* recorder file */
        char *envrec;           /* recorder environment file */
} Fixture;

/* Builds a responder from a config body ("block_host = [...]; ...") placed
 * in responders = ( { name = "fw"; type = "external_call"; <body> } );
 * @REC@ is the recorder, @FILE@ its output file, @ENVFILE@ its
 * environment file. */
static char *subst(const char *s, const char *from, const char *to)
{
        char *out = xstrdup(s), *p;

        while ((p = strstr(out, from))) {
                char *t = xasprintf("%.*s%s%s", (int) (p - out), out, to, p + strlen(from));
                free(out);
                out = t;
        }
        return out;
}

static void fx_init(Fixture *f, const char *tag, const char *body)
{
        config_t cf;
        char *a, *b, *c, *text;
        const config_setting_t *g;

        memset(f, 0, sizeof(*f));
        uv_loop_init(&f->loop);
        f->rec = xasprintf("%s/%s.rec", arg_tmp, tag);
        f->envrec = xasprintf("%s/%s.env", arg_tmp, tag);
        unlink(f->rec);
        unlink(f->envrec);
        a = subst(body, "@REC@", arg_recorder);
        b = subst(a, "@FILE@", f->rec);
        c = subst(b, "@ENVFILE@", f->envrec);
        text = xasprintf("responders = (\n  {\n    name = \"fw\";\n    type = \"external_call\";\n%s\n  }\n);\n", c);
        free(a);
        free(b);
        free(c);

        f->r.ops = responder_find_module("external_call");
        if (!f->r.ops)
                abort();
        f->r.name = xstrdup("fw");
        f->r.caps = f->r.ops->caps;
        f->r.loop = &f->loop;
        f->r.priv = xcalloc(1, f->r.ops->priv_size);
        config_init(&cf);
        if (config_read_string(&cf, text) != CONFIG_TRUE) {
                diag("config syntax error line %d: %s", config_error_line(&cf), config_error_text(&cf));
                abort();
        }
        g = config_setting_get_elem(config_lookup(&cf, "responders"), 0);
        f->cr = f->r.ops->configure(&f->r, g, &f->errs, &f->n_errs);
        for (size_t i = 0; i < f->n_errs; i++)
                diag("  config: %s", f->errs[i]);
        config_destroy(&cf);
        free(text);
}

static void fx_done(Fixture *f, const char *what)
{
        if (f->r.ops->done)
                f->r.ops->done(&f->r);
        free(f->r.priv);
        free(f->r.name);
        for (size_t i = 0; i < f->n_errs; i++)
                free(f->errs[i]);
        free(f->errs);
        loop_check_close(&f->loop, what);
        free(f->rec);
        free(f->envrec);
}

static bool fx_has_error(const Fixture *f, const char *a, const char *b)
{
        for (size_t i = 0; i < f->n_errs; i++)
                if (strstr(f->errs[i], a) && (!b || strstr(f->errs[i], b)))
                        return true;
        return false;
}

static void fx_block(Fixture *f, const Entity *e, Outcome *o)
{
        int r = f->r.ops->block(&f->r, e, on_responder, o);
        if (!ok(r == 0, "block() returns 0"))
                diag("  got %d", r);
        uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void fx_unblock(Fixture *f, const Entity *e, const char *const *els, size_t n, Outcome *o)
{
        int r = f->r.ops->unblock(&f->r, e, els, n, on_responder, o);
        if (!ok(r == 0, "unblock() returns 0"))
                diag("  got %d", r);
        uv_run(&f->loop, UV_RUN_DEFAULT);
}

#define HOST_PAIR \
        "    block_host = [ \"@REC@\", \"block\", \"--ip\", \"{ip}\", \"--name={name}\", \"{{literal}}\" ];\n" \
        "    unblock_host = [ \"@REC@\", \"unblock\", \"--element\", \"{element}\", \"--ip\", \"{ip}\" ];\n"

static void test_ec_config_errors(void)
{
        Fixture f;

        fx_init(&f, "cfg1",
                "    block_host = [ \"@REC@\", \"{ipp}\" ];\n"                        /* line 5 */
                "    unblock_host = [ \"fw-unblock\", \"{element}\" ];\n"             /* line 6 */
                "    block_account = [ \"/bin/{account}\" ];\n"                       /* line 7 */
                "    unblock_account = [ \"@REC@\", \"{destination}\" ];\n"           /* line 8 */
                "    block_destination = [ \"@REC@\", \"{element}\", \"{dest\" ];\n" /* line 9 */
                "    block_hots = [ \"@REC@\" ];\n"                                   /* line 10 */
                "    timeout = \"0s\";\n"                                             /* line 11 */
                "    env = { GOOD = \"x\"; BAD = 3; };\n"                             /* line 12 */
                "    permanent_exit_codes = [ 0, 300 ];\n");                          /* line 13 */
        ok(f.cr < 0, "config: configure() fails");
        is_int(f.r.caps, 0, "config: no capability after errors");
        ok(fx_has_error(&f, "(config):5: responders[0].block_host: ", "unknown placeholder {ipp}"),
           "config: unknown placeholder, with file:line: setting:");
        ok(fx_has_error(&f, ":6: responders[0].unblock_host: ", "absolute path"), "config: relative program");
        ok(fx_has_error(&f, ":7: responders[0].block_account: ", "cannot contain placeholders"),
           "config: placeholder in the program");
        ok(fx_has_error(&f, ":8: responders[0].unblock_account: ", "{destination} has no value for accounts"),
           "config: placeholder of another kind");
        ok(fx_has_error(&f, ":9: responders[0].block_destination: ", "{element} exists in unblock templates only"),
           "config: {element} in a block template");
        ok(fx_has_error(&f, ":9: responders[0].block_destination: ", "without '}'"), "config: unterminated '{'");
        ok(fx_has_error(&f, "block_destination and unblock_destination go together", NULL),
           "config: block without unblock");
        ok(fx_has_error(&f, ":10: responders[0].block_hots: ", "did you mean 'block_host'"),
           "config: unknown setting with a hint");
        ok(fx_has_error(&f, ":11: responders[0].timeout: ", "duration"), "config: bad timeout");
        ok(fx_has_error(&f, ":12: responders[0].env.BAD: ", "expected a string"), "config: bad env value");
        ok(fx_has_error(&f, ":13: responders[0].permanent_exit_codes: ", "from 1 to 255"),
           "config: bad exit code");
        fx_done(&f, "config");

        fx_init(&f, "cfg2", "    timeout = \"10s\";\n");
        ok(f.cr < 0 && fx_has_error(&f, "responders[0]: ", "at least one pair"), "config: no template at all");
        fx_done(&f, "config-empty");
}

static void test_ec_caps(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity d = { .kind = ENTITY_DESTINATION, .value = "192.0.2.0/24" };
        Entity u = { .kind = ENTITY_USER, .value = "alice" };

        fx_init(&f, "caps1", HOST_PAIR);
        is_int(f.cr, 0, "caps: host-only config accepted");
        is_int(f.r.caps, RESPONDER_CAP_HOST, "caps: host only");
        is_int(f.r.ops->block(&f.r, &d, on_responder, &o), -EOPNOTSUPP, "caps: destination block refused");
        is_int(f.r.ops->block(&f.r, &u, on_responder, &o), -EOPNOTSUPP, "caps: user block refused");
        is_int(o.calls, 0, "caps: no callback for refused calls");
        fx_done(&f, "caps1");

        fx_init(&f, "caps2", HOST_PAIR
                "    block_account = [ \"@REC@\", \"{account}\" ];\n"
                "    unblock_account = [ \"@REC@\", \"{element}\" ];\n"
                "    block_destination = [ \"@REC@\", \"{destination}\" ];\n"
                "    unblock_destination = [ \"@REC@\", \"{element}\" ];\n");
        is_int(f.r.caps, RESPONDER_CAP_HOST | RESPONDER_CAP_ACCOUNT | RESPONDER_CAP_DESTINATION |
               RESPONDER_CAP_STATIC_LIST, "caps: all pairs give host, account, destination, static list");
        is_str(f.r.ops->client_name, "External Call Client", "caps: client name for VAR ID tags");
        fx_done(&f, "caps2");
}

static void test_ec_block_unblock(void)
{
        Fixture f;
        Outcome o = { 0 };
        const char *macs[] = { "00:11:22:33:44:55", "66:77:88:99:aa:bb", NULL };
        Entity h1 = { .kind = ENTITY_HOST, .value = "10.0.0.5",
                      .attrs = { .name = "ws 1; rm -rf /", .hostname = "ws1.example.com", .macs = macs,
                                 .ext_id = "1969", .source = "brain1" } };
        Entity h2 = { .kind = ENTITY_HOST, .value = "10.0.0.4", .attrs = { .name = "ws2" } };
        _cleanup_free_ char *els = NULL;
        char *line;

        fx_init(&f, "host", HOST_PAIR "    env = { RECORDER_FILE = \"@FILE@\"; RECORDER_ENV_FILE = \"@ENVFILE@\"; };\n");
        is_int(f.cr, 0, "host: configured");

        fx_block(&f, &h1, &o);
        is_int(o.calls, 1, "host: block reported once");
        is_int(o.r, 0, "host: block succeeded");
        els = elements_str(&o);
        is_str(els, "10.0.0.5", "host: element is the IP");
        ok(o.error == NULL, "host: no error text on success");
        const char *want1[] = { arg_recorder, "block", "--ip", "10.0.0.5", "--name=ws 1; rm -rf /", "{literal}",
                                NULL };
        _cleanup_free_ char *w1 = json_argv(want1);
        line = file_line(f.rec, 0);
        is_str(line, w1, "host: recorder got exactly the expected argv");
        free(line);
        outcome_done(&o);

        line = file_line(f.envrec, 0);
        cJSON *env = cJSON_Parse(line);
        free(line);
        ok(env != NULL, "host: environment recorded");
        if (env) {
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "SECRESP_ACTION")), "block",
                       "host: SECRESP_ACTION=block");
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "SECRESP_ENTITY_KIND")), "host",
                       "host: SECRESP_ENTITY_KIND=host");
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "VAR_HOST_IP")), "10.0.0.5",
                       "host: VAR_HOST_IP");
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "VAR_MACS")),
                       "00:11:22:33:44:55 66:77:88:99:aa:bb", "host: VAR_MACS");
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "VAR_ENTITY_ID")), "1969",
                       "host: VAR_ENTITY_ID");
                is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "SECRESP_RESPONDER")), "fw",
                       "host: SECRESP_RESPONDER");
                cJSON_Delete(env);
        }

        /* VAR defect 12: argv accumulated across calls.  Here each is fresh. */
        fx_block(&f, &h2, &o);
        const char *want2[] = { arg_recorder, "block", "--ip", "10.0.0.4", "--name=ws2", "{literal}", NULL };
        _cleanup_free_ char *w2 = json_argv(want2);
        line = file_line(f.rec, 1);
        is_str(line, w2, "host: second host gets a fresh argv (no accumulation)");
        free(line);
        outcome_done(&o);

        const char *unb[] = { "10.0.0.5", "10.0.0.77" };
        fx_unblock(&f, &h1, unb, 2, &o);
        is_int(o.r, 0, "host: unblock succeeded");
        free(els);
        els = elements_str(&o);
        is_str(els, "10.0.0.5,10.0.0.77", "host: unblock reports every element removed");
        const char *want3[] = { arg_recorder, "unblock", "--element", "10.0.0.5", "--ip", "10.0.0.5", NULL };
        const char *want4[] = { arg_recorder, "unblock", "--element", "10.0.0.77", "--ip", "10.0.0.5", NULL };
        _cleanup_free_ char *w3 = json_argv(want3), *w4 = json_argv(want4);
        line = file_line(f.rec, 2);
        is_str(line, w3, "host: unblock run for the first element");
        free(line);
        line = file_line(f.rec, 3);
        is_str(line, w4, "host: unblock run for the second element");
        free(line);
        is_int(count_lines(f.rec), 4, "host: four runs in all");
        line = file_line(f.envrec, 3);
        has_str(line, "\"SECRESP_ELEMENT\":\"10.0.0.77\"", "host: SECRESP_ELEMENT exported on unblock");
        free(line);
        outcome_done(&o);

        fx_unblock(&f, &h1, NULL, 0, &o);
        ok(o.calls == 1 && o.r == 0 && o.n == 0, "host: unblock without elements succeeds with none");
        is_int(count_lines(f.rec), 4, "host: and runs nothing");
        outcome_done(&o);

        fx_done(&f, "host");
}

static void test_ec_failures(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity h = { .kind = ENTITY_HOST, .value = "10.0.0.5", .attrs = { .name = "ws1" } };

        fx_init(&f, "fail1", HOST_PAIR
                "    env = { RECORDER_FILE = \"@FILE@\"; RECORDER_EXIT = \"1\";\n"
                "            RECORDER_STDERR = \"firewall said no\\\\nsecond\\tline\\\\n\"; };\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0, "fail: non-zero exit is a failure");
        ok(o.transient, "fail: exit 1 is transient (retried)");
        is_int(o.n, 0, "fail: no element");
        has_str(o.error, "exited with status 1", "fail: error names the status");
        has_str(o.error, "firewall said no second line", "fail: error carries the captured stderr, flattened");
        ok(o.error && !strpbrk(o.error, "\n\r\t"), "fail: no control characters in the error");
        is_int(count_lines(f.rec), 1, "fail: the command did run");
        outcome_done(&o);
        fx_done(&f, "fail1");

        fx_init(&f, "fail65", HOST_PAIR "    env = { RECORDER_EXIT = \"65\"; };\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0 && !o.transient, "fail: exit 65 (EX_DATAERR) is permanent by default");
        outcome_done(&o);
        fx_done(&f, "fail65");

        fx_init(&f, "fail75", HOST_PAIR "    env = { RECORDER_EXIT = \"75\"; };\n"
                "    permanent_exit_codes = [ 3 ];\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0 && o.transient, "fail: exit 75 (EX_TEMPFAIL) is transient");
        outcome_done(&o);
        fx_done(&f, "fail75");

        fx_init(&f, "fail3", HOST_PAIR "    env = { RECORDER_EXIT = \"3\"; };\n"
                "    permanent_exit_codes = [ 3 ];\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0 && !o.transient, "fail: permanent_exit_codes is the operator's choice");
        outcome_done(&o);
        fx_done(&f, "fail3");

        fx_init(&f, "enoent", "    block_host = [ \"/nonexistent/fw-block\", \"{ip}\" ];\n"
                "    unblock_host = [ \"/nonexistent/fw-unblock\", \"{ip}\" ];\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0 && !o.transient, "fail: a missing program is permanent");
        has_str(o.error, "cannot execute '/nonexistent/fw-block'", "fail: and says which program");
        outcome_done(&o);
        fx_done(&f, "enoent");
}

static void test_ec_timeout(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity h = { .kind = ENTITY_HOST, .value = "10.0.0.5", .attrs = { .name = "ws1" } };
        uint64_t t0;

        fx_init(&f, "timeout", HOST_PAIR "    timeout = \"1s\";\n"
                "    env = { RECORDER_SLEEP = \"30\"; RECORDER_STDOUT = \"working\"; };\n");
        t0 = uv_hrtime();
        fx_block(&f, &h, &o);
        ok(o.r == -ETIMEDOUT, "timeout: r == -ETIMEDOUT");
        ok(o.transient, "timeout: transient");
        has_str(o.error, "timed out after 1s", "timeout: error says so");
        has_str(o.error, "working", "timeout: with the output so far");
        in_range((uv_hrtime() - t0) / 1000000, 900, 4000, "timeout: killed at the timeout");
        outcome_done(&o);
        fx_done(&f, "timeout");
}

static void test_ec_simulation(void)
{
        Fixture f;
        Outcome o = { 0 };
        const char *macs[] = { "00:11:22:33:44:55", NULL };
        Entity h = { .kind = ENTITY_HOST, .value = "10.0.0.5", .attrs = { .name = "ws1", .macs = macs } };
        Entity bare = { .kind = ENTITY_HOST, .value = "10.0.0.6" };
        _cleanup_free_ char *els = NULL;

        fx_init(&f, "sim", "    block_host = [ \"@REC@\", \"{ip}\", \"{mac}\" ];\n"
                "    unblock_host = [ \"@REC@\", \"{element}\" ];\n"
                "    env = { RECORDER_FILE = \"@FILE@\"; };\n");
        f.r.simulation = true;
        fx_block(&f, &h, &o);
        ok(o.r == 0, "simulation: block reports success");
        els = elements_str(&o);
        is_str(els, "10.0.0.5", "simulation: with the element it would return");
        outcome_done(&o);
        const char *unb[] = { "10.0.0.5", "10.0.0.9" };
        fx_unblock(&f, &h, unb, 2, &o);
        ok(o.r == 0 && o.n == 2, "simulation: unblock reports its elements");
        outcome_done(&o);
        fx_block(&f, &bare, &o);
        ok(o.r == -ENODATA && !o.transient, "simulation: a missing placeholder still fails");
        outcome_done(&o);
        ok(access(f.rec, F_OK) < 0, "simulation: nothing ran");
        fx_done(&f, "simulation");
}

static void test_ec_missing_and_unsafe_values(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity h = { .kind = ENTITY_HOST, .value = "10.0.0.5", .attrs = { .name = "ws1" } };
        Entity dash = { .kind = ENTITY_ACCOUNT, .value = "-rf" };
        Entity nl = { .kind = ENTITY_ACCOUNT, .value = "O365:bob", .attrs = { .name = "bob\nroot" } };
        _cleanup_free_ char *els = NULL;

        fx_init(&f, "missing", "    block_host = [ \"@REC@\", \"--mac\", \"{mac}\" ];\n"
                "    unblock_host = [ \"@REC@\", \"{element}\" ];\n"
                "    block_account = [ \"@REC@\", \"{account}\" ];\n"
                "    unblock_account = [ \"@REC@\", \"--user={account}\", \"{name}\" ];\n"
                "    env = { RECORDER_FILE = \"@FILE@\"; };\n");
        fx_block(&f, &h, &o);
        ok(o.r < 0 && !o.transient, "missing: a host without a MAC fails for good");
        has_str(o.error, "{mac} has no value for host '10.0.0.5'", "missing: the error names the placeholder");
        outcome_done(&o);
        ok(access(f.rec, F_OK) < 0, "missing: nothing ran (not even with an empty string)");

        fx_block(&f, &dash, &o);
        ok(o.r < 0 && !o.transient, "unsafe: a value starting with '-' as a whole argument is refused");
        has_str(o.error, "could be taken for an option", "unsafe: and says why");
        outcome_done(&o);

        const char *unb[] = { "-rf" };
        fx_unblock(&f, &nl, unb, 1, &o);
        ok(o.r < 0 && !o.transient, "unsafe: a value with a line break is refused");
        outcome_done(&o);
        ok(access(f.rec, F_OK) < 0, "unsafe: nothing ran");

        nl.attrs.name = "bob";
        fx_unblock(&f, &nl, unb, 1, &o);
        ok(o.r == 0, "unsafe: '--user={account}' is fine with any account");
        els = elements_str(&o);
        is_str(els, "-rf", "unsafe: unblock reports the element");
        outcome_done(&o);
        fx_done(&f, "missing");
}

static void test_ec_partial_unblock(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity d = { .kind = ENTITY_DESTINATION, .value = "2001:db8::/32" };
        const char *els3[] = { "198.51.100.1", "bad", "2001:db8::/32" };
        _cleanup_free_ char *els = NULL;

        fx_init(&f, "partial",
                "    block_destination = [ \"@REC@\", \"add\", \"{destination}\" ];\n"
                "    unblock_destination = [ \"/bin/sh\", \"-c\", \"test \\\"$1\\\" != bad || {{ echo no such object >&2; exit 1; }}\", \"sh\", \"{element}\" ];\n"
                "    env = { RECORDER_FILE = \"@FILE@\"; };\n");
        is_int(f.cr, 0, "partial: configured");
        fx_block(&f, &d, &o);
        ok(o.r == 0 && o.n == 1 && !strcmp(o.elements[0], "2001:db8::/32"), "partial: destination blocked");
        outcome_done(&o);
        fx_unblock(&f, &d, els3, 3, &o);
        ok(o.r < 0 && o.transient, "partial: one element failing fails the call (transient)");
        els = elements_str(&o);
        is_str(els, "198.51.100.1,2001:db8::/32", "partial: the elements that were removed are reported");
        has_str(o.error, "no such object", "partial: with the failing run's output");
        has_str(o.error, "element bad", "partial: and its element");
        outcome_done(&o);
        fx_done(&f, "partial");
}

static void test_ec_done_in_flight(void)
{
        Fixture f;
        Outcome o = { 0 };
        Entity h = { .kind = ENTITY_HOST, .value = "10.0.0.5", .attrs = { .name = "ws1" } };
        int r;

        fx_init(&f, "inflight", HOST_PAIR "    env = { RECORDER_SLEEP = \"0.3\"; RECORDER_FILE = \"@FILE@\"; };\n");
        r = f.r.ops->block(&f.r, &h, on_responder, &o);
        is_int(r, 0, "inflight: block started");
        /* The responder goes away (reload, shutdown) while its call runs. */
        f.r.ops->done(&f.r);
        free(f.r.priv);
        f.r.priv = NULL;
        uv_run(&f.loop, UV_RUN_DEFAULT);
        ok(o.calls == 1 && o.r == 0, "inflight: the call still finishes and reports");
        is_int(count_lines(f.rec), 1, "inflight: the command ran once");
        outcome_done(&o);
        f.r.ops = &(ResponderOps) { .done = NULL };
        fx_done(&f, "inflight");
}

/* ---- main --------------------------------------------------------------- */

static const struct {
        const char *name;
        void (*fn)(void);
        bool both;              /* exec: run on both paths */
} tests[] = {
        { "output", test_output_and_status, true },
        { "timeout", test_timeout, true },
        { "cap", test_output_cap, true },
        { "verbatim", test_argv_verbatim, true },
        { "env", test_env, true },
        { "fds", test_fds, true },
        { "fds-many", test_fds_many, true },
        { "session", test_session, true },
        { "signals", test_signals_default, true },
        { "spawn-failure", test_spawn_failure, true },
        { "path", test_path_search, true },
        { "bad-options", test_bad_options, true },
        { "cancel", test_cancel, true },
        { "drain", test_background_grandchild, true },
        { "parallel", test_parallel, true },
        { "many", test_many, true },
        { "ec-config", test_ec_config_errors },
        { "ec-caps", test_ec_caps },
        { "ec-block-unblock", test_ec_block_unblock },
        { "ec-failures", test_ec_failures },
        { "ec-timeout", test_ec_timeout },
        { "ec-simulation", test_ec_simulation },
        { "ec-missing", test_ec_missing_and_unsafe_values },
        { "ec-partial", test_ec_partial_unblock },
        { "ec-inflight", test_ec_done_in_flight },
};

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "recorder", required_argument, NULL, 'r' },
                { "tmp", required_argument, NULL, 't' },
                { "only", required_argument, NULL, 'o' },
                {}
        };
        int ch;

        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (ch) {
                case 'r': arg_recorder = optarg; break;
                case 't': arg_tmp = optarg; break;
                case 'o': arg_only = optarg; break;
                default: return 2;
                }
        }
        if (!arg_recorder || !arg_tmp) {
                fprintf(stderr, "usage: %s --recorder PATH --tmp DIR [--only NAME]\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGPIPE, SIG_IGN);       /* as the daemon does */
        log_setup("exec-test", LOG_TARGET_STDERR, LOG_INFO);

        const char *forced = getenv("SECRESP_EXEC_FORK");
        bool fork_pass = !(forced && *forced && strcmp(forced, "0") != 0);

        uv_loop_t first;
        unsigned fds0;

        /* libuv's process-wide signal pipe, opened by the first
         * uv_loop_init() and never closed, is not one of ours. */
        uv_loop_init(&first);
        uv_loop_close(&first);
        fds0 = count_fds();

        diag("exec path: %s", posix_path() ? "posix_spawn + pidfd" : "uv_spawn (fork)");
        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                if (arg_only && strcmp(arg_only, tests[i].name) != 0)
                        continue;
                diag("%s", tests[i].name);
                tests[i].fn();
        }
        if (fork_pass) {
                setenv("SECRESP_EXEC_FORK", "1", 1);
                tap_prefix = "fork: ";
                diag("exec path: uv_spawn (fork), SECRESP_EXEC_FORK=1");
                for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                        if (!tests[i].both || (arg_only && strcmp(arg_only, tests[i].name) != 0))
                                continue;
                        diag("fork: %s", tests[i].name);
                        tests[i].fn();
                }
                unsetenv("SECRESP_EXEC_FORK");
                tap_prefix = "";
        }
        if (!arg_only && !ok(count_fds() == fds0, "no descriptor left open by any test (%u)", fds0))
                for (int fd = 0; fd < 4096; fd++) {
                        char link[64], target[256];
                        ssize_t n;
                        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                        if ((n = readlink(link, target, sizeof(target) - 1)) >= 0)
                                diag("  fd %d: %.*s", fd, (int) n, target);
                }
        printf("1..%u\n", tap_n);
        return tap_failed ? 1 : 0;
}
