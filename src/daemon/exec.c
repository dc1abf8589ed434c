/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>
#include "common/xalloc.h"
#include "daemon/exec.h"

/* Variables the child gets from the daemon's environment; everything
 * else it gets only from ExecOptions.env.  "LC_" is a prefix. */
static const char *const passthrough_env[] = { "PATH", "HOME", "LANG", "TZ", "TMPDIR", NULL };

typedef enum KillPhase {
        KILL_NONE,
        KILL_TERM_SENT,         /* grace timer armed */
        KILL_KILL_SENT,
} KillPhase;

struct ExecJob {
        uv_loop_t *loop;
        uv_process_t proc;
        uv_pipe_t out;
        uv_timer_t timer;       /* timeout, then kill grace, or the drain after exit */
        bool proc_init, out_init, out_reading;
        unsigned open_handles;

        ExecCallback cb;
        void *userdata;
        uint64_t timeout_ms;
        uint64_t grace_ms;
        size_t max_output;
        uint64_t start_ms;

        char *buf;              /* max_output + marker + NUL */
        size_t len;
        size_t dropped;
        char rbuf[16384];

        int r;
        int pid;
        bool exited;
        int exit_status;
        int term_signal;
        KillPhase kill_phase;
        bool finishing;
};

static unsigned jobs_in_flight;

unsigned exec_jobs_in_flight(void)
{
        return jobs_in_flight;
}

/* ---- environment ------------------------------------------------------- */

static bool env_name_is(const char *entry, const char *name)
{
        size_t n = strlen(name);
        return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static bool env_passed_through(const char *entry)
{
        if (strncmp(entry, "LC_", 3) == 0 && strchr(entry, '='))
                return true;
        for (const char *const *p = passthrough_env; *p; p++)
                if (env_name_is(entry, *p))
                        return true;
        return false;
}

static bool env_overridden(const char *entry, const char *const *add)
{
        const char *eq = strchr(entry, '=');
        size_t n = eq ? (size_t) (eq - entry) : strlen(entry);

        for (const char *const *a = add; a && *a; a++)
                if (strncmp(*a, entry, n) == 0 && (*a)[n] == '=')
                        return true;
        return false;
}

static char **env_build(const char *const *add)
{
        extern char **environ;
        size_t n = 0, cap = 8, i;
        char **env;
        bool have_path = false;

        for (const char *const *a = add; a && *a; a++)
                cap++;
        for (char **e = environ; e && *e; e++)
                cap++;
        env = xnew(char *, cap + 1);

        for (char **e = environ; e && *e; e++) {
                if (!env_passed_through(*e) || env_overridden(*e, add))
                        continue;
                /* The first occurrence wins, as getenv() would see it. */
                for (i = 0; i < n; i++) {
                        size_t len = strcspn(env[i], "=");
                        if (strncmp(env[i], *e, len) == 0 && (*e)[len] == '=')
                                break;
                }
                if (i < n)
                        continue;
                env[n++] = xstrdup(*e);
        }
        for (const char *const *a = add; a && *a; a++) {
                /* A later addition of the same name wins. */
                size_t len = strcspn(*a, "=");
                for (i = 0; i < n; i++)
                        if (strncmp(env[i], *a, len) == 0 && env[i][len] == '=')
                                break;
                if (i < n) {
                        free(env[i]);
                        env[i] = xstrdup(*a);
                } else
                        env[n++] = xstrdup(*a);
        }
        for (i = 0; i < n; i++)
                if (env_name_is(env[i], "PATH"))
                        have_path = true;
        if (!have_path)
                env[n++] = xstrdup("PATH=" EXEC_DEFAULT_PATH);
        env[n] = NULL;
        return env;
}

static void strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

/* ---- descriptors ------------------------------------------------------- */

/* Every descriptor is meant to be O_CLOEXEC from its creation; this makes
 * sure of it for the ones a library may have opened without the flag, so
 * that the child starts with 0, 1 and 2 only. */
static void mark_cloexec_from(int lowfd)
{
#ifdef SYS_close_range
        if (syscall(SYS_close_range, (unsigned) lowfd, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0)
                return;
#endif
        DIR *d = opendir("/proc/self/fd");
        if (!d) {
                long max = sysconf(_SC_OPEN_MAX);
                if (max < 0 || max > 65536)
                        max = 65536;
                for (int fd = lowfd; fd < max; fd++) {
                        int fl = fcntl(fd, F_GETFD);
                        if (fl >= 0 && !(fl & FD_CLOEXEC))
                                (void) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
                }
                return;
        }
        for (struct dirent *de; (de = readdir(d));) {
                char *end;
                long fd = strtol(de->d_name, &end, 10);
                if (*end || end == de->d_name || fd < lowfd || fd == dirfd(d))
                        continue;
                int fl = fcntl((int) fd, F_GETFD);
                if (fl >= 0 && !(fl & FD_CLOEXEC))
                        (void) fcntl((int) fd, F_SETFD, fl | FD_CLOEXEC);
        }
        closedir(d);
}

/* ---- completion -------------------------------------------------------- */

static void deliver(ExecJob *j)
{
        ExecResult res = {
                .r = j->r,
                .timed_out = j->r == -ETIMEDOUT,
                .exited = j->exited,
                .exit_status = j->exit_status,
                .term_signal = j->term_signal,
                .pid = j->pid,
                .truncated = j->dropped > 0,
                .duration_ms = uv_now(j->loop) - j->start_ms,
        };

        if (j->dropped > 0) {
                memcpy(j->buf + j->len, EXEC_TRUNCATED_MARKER, sizeof(EXEC_TRUNCATED_MARKER) - 1);
                j->len += sizeof(EXEC_TRUNCATED_MARKER) - 1;
        }
        j->buf[j->len] = '\0';
        res.output = j->buf;
        res.output_len = j->len;

        jobs_in_flight--;
        j->cb(&res, j->userdata);
        free(j->buf);
        free(j);
}

static void on_close(uv_handle_t *h)
{
        ExecJob *j = h->data;

        if (--j->open_handles == 0)
                deliver(j);
}

static void finish(ExecJob *j)
{
        if (j->finishing)
                return;
        j->finishing = true;
        (void) uv_timer_stop(&j->timer);
        uv_close((uv_handle_t *) &j->timer, on_close);
        if (j->out_init) {
                if (j->out_reading)
                        (void) uv_read_stop((uv_stream_t *) &j->out);
                uv_close((uv_handle_t *) &j->out, on_close);
        }
        if (j->proc_init)
                uv_close((uv_handle_t *) &j->proc, on_close);
}

static void maybe_finish(ExecJob *j)
{
        if (j->exited && !j->out_reading)
                finish(j);
}

/* Signals the child's process group (it is a session leader), or the child
 * alone should the group be gone.  Only called before the child is reaped,
 * so the pid cannot have been reused. */
static void signal_child(ExecJob *j, int sig)
{
        if (j->pid <= 0 || j->exited)
                return;
        if (kill(-j->pid, sig) < 0)
                (void) uv_process_kill(&j->proc, sig);
}

static void on_timer(uv_timer_t *t)
{
        ExecJob *j = t->data;

        if (j->exited) {
                /* The drain period after exit is over: leave whatever still
                 * holds the pipe, keep what was read. */
                finish(j);
                return;
        }
        switch (j->kill_phase) {
        case KILL_NONE:
                if (j->r == 0)
                        j->r = -ETIMEDOUT;
                signal_child(j, SIGTERM);
                j->kill_phase = KILL_TERM_SENT;
                (void) uv_timer_start(&j->timer, on_timer, j->grace_ms, 0);
                break;
        case KILL_TERM_SENT:
                signal_child(j, SIGKILL);
                j->kill_phase = KILL_KILL_SENT;
                break;
        case KILL_KILL_SENT:
                break;
        }
}

static void on_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
        ExecJob *j = p->data;

        j->exited = true;
        j->exit_status = (int) exit_status;
        j->term_signal = term_signal;
        (void) uv_timer_stop(&j->timer);
        if (j->out_reading && !j->finishing)
                (void) uv_timer_start(&j->timer, on_timer, EXEC_DRAIN_MS, 0);
        maybe_finish(j);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        ExecJob *j = h->data;

        *buf = uv_buf_init(j->rbuf, sizeof(j->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        ExecJob *j = s->data;

        if (nread > 0) {
                size_t n = (size_t) nread, room = j->max_output - j->len;
                size_t take = n < room ? n : room;

                memcpy(j->buf + j->len, buf->base, take);
                j->len += take;
                j->dropped += n - take;
                return;
        }
        if (nread == 0)
                return;                 /* EAGAIN */
        /* UV_EOF, or an error reading: either way nothing more comes. */
        (void) uv_read_stop(s);
        j->out_reading = false;
        maybe_finish(j);
}

/* ---- API --------------------------------------------------------------- */

static int spawn(ExecJob *j, const ExecOptions *opts)
{
        uv_process_options_t po = { 0 };
        uv_stdio_container_t stdio[3];
        uv_file fds[2];
        char **env;
        int r;

        r = uv_pipe(fds, 0, 0);         /* both ends O_CLOEXEC */
        if (r < 0)
                return r;
        r = uv_pipe_init(j->loop, &j->out, 0);
        if (r < 0) {
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        j->out.data = j;
        j->out_init = true;
        j->open_handles++;
        r = uv_pipe_open(&j->out, fds[0]);
        if (r < 0) {
                close(fds[0]);
                close(fds[1]);
                return r;
        }

        stdio[0].flags = UV_IGNORE;     /* libuv opens /dev/null for 0..2 */
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = fds[1];
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = fds[1];

        env = env_build(opts->env);
        po.exit_cb = on_exit_cb;
        po.file = opts->argv[0];
        po.args = (char **) opts->argv;
        po.env = env;
        po.cwd = opts->cwd ? opts->cwd : "/";
        po.flags = UV_PROCESS_DETACHED;  /* setsid(): a process group to signal */
        po.stdio_count = 3;
        po.stdio = stdio;

        mark_cloexec_from(3);
        j->proc.data = j;
        r = uv_spawn(j->loop, &j->proc, &po);
        /* uv_spawn initialises the handle even when it fails: close it. */
        j->proc_init = true;
        j->open_handles++;
        close(fds[1]);
        strv_free(env);
        if (r < 0)
                return r;
        j->pid = j->proc.pid;

        r = uv_read_start((uv_stream_t *) &j->out, on_alloc, on_read);
        if (r < 0) {
                /* Cannot read its output: do not let it run unwatched. */
                j->out_reading = false;
                signal_child(j, SIGKILL);
                return r;
        }
        j->out_reading = true;
        return 0;
}

int exec_start(uv_loop_t *loop, const ExecOptions *opts, ExecJob **ret)
{
        ExecJob *j;
        int r;

        if (!loop || !opts || !opts->cb || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
                return -EINVAL;
        if (opts->max_output > EXEC_MAX_OUTPUT_LIMIT)
                return -EINVAL;
        for (const char *const *e = opts->env; e && *e; e++)
                if (!strchr(*e, '=') || **e == '=')
                        return -EINVAL;

        j = xnew(ExecJob, 1);
        j->loop = loop;
        j->cb = opts->cb;
        j->userdata = opts->userdata;
        j->timeout_ms = opts->timeout_ms ? opts->timeout_ms : EXEC_DEFAULT_TIMEOUT_MS;
        j->grace_ms = opts->kill_grace_ms ? opts->kill_grace_ms : EXEC_DEFAULT_KILL_GRACE_MS;
        j->max_output = opts->max_output ? opts->max_output : EXEC_DEFAULT_MAX_OUTPUT;
        j->buf = xmalloc(j->max_output + sizeof(EXEC_TRUNCATED_MARKER));
        uv_update_time(loop);
        j->start_ms = uv_now(loop);

        (void) uv_timer_init(loop, &j->timer);
        j->timer.data = j;
        j->open_handles = 1;
        jobs_in_flight++;

        r = spawn(j, opts);
        if (r < 0) {
                if (j->exited || !j->pid) {
                        /* Never started, or already gone: report the error. */
                        j->r = r;
                        finish(j);
                } else {
                        /* Started but unwatchable: it was sent SIGKILL; wait
                         * for the exit, report the error. */
                        j->r = r;
                        j->kill_phase = KILL_KILL_SENT;
                }
        } else
                (void) uv_timer_start(&j->timer, on_timer, j->timeout_ms, 0);

        if (ret)
                *ret = j;
        return 0;
}

int exec_cancel(ExecJob *j)
{
        if (!j)
                return -EINVAL;
        if (j->finishing)
                return -EALREADY;
        if (j->r == 0)
                j->r = -ECANCELED;
        if (j->exited) {
                finish(j);
                return 0;
        }
        if (j->kill_phase == KILL_NONE) {
                signal_child(j, SIGTERM);
                j->kill_phase = KILL_TERM_SENT;
                (void) uv_timer_start(&j->timer, on_timer, j->grace_ms, 0);
        }
        return 0;
}
