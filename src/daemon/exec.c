/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/exec.h"

/* Variables the child gets from the daemon's environment; everything
 * else it gets only from ExecOptions.env.  "LC_" is a prefix. */
static const char *const passthrough_env[] = { "PATH", "HOME", "LANG", "TZ", "TMPDIR", NULL };

/* Two ways to start the child:
 *
 *   posix_spawn   glibc's posix_spawn() (clone(CLONE_VM | CLONE_VFORK): no
 *                 page table is copied, the loop waits only for the exec),
 *                 the exit watched through a pidfd (pidfd_open(), Linux
 *                 5.3) polled on the loop and reaped with waitid(): no
 *                 SIGCHLD handler, no race on the pid.
 *   uv_spawn      libuv's fork() + exec, which copies the daemon's page
 *                 tables and blocks the loop for as long (milliseconds for
 *                 a daemon of tens of MB): the fallback when pidfd_open()
 *                 is not available (ENOSYS: old kernel, valgrind; EPERM: a
 *                 seccomp filter), or when SECRESP_EXEC_FORK is set to
 *                 anything but "" or "0" (to compare the two).
 *
 * Both give the child the same start: argv as is (the program searched in
 * the child's PATH as execvp() does, ENOEXEC included), its environment,
 * stdin /dev/null, stdout and stderr on the pipe, no other descriptor, a
 * session of its own, cwd, signals 1-31 at their default action and none
 * blocked (posix_spawn also resets glibc's internal 32 and 33, which its
 * own children, make's for one, get ignored). */
#if defined(__linux__) && defined(SYS_pidfd_open) && defined(POSIX_SPAWN_SETSID) && \
        defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define EXEC_HAVE_POSIX_SPAWN 1
#endif

typedef enum KillPhase {
        KILL_NONE,
        KILL_TERM_SENT,         /* grace timer armed */
        KILL_KILL_SENT,
} KillPhase;

struct ExecJob {
        uv_loop_t *loop;
        uv_process_t proc;      /* uv_spawn */
        uv_poll_t pidpoll;      /* posix_spawn: pidfd readable = the child exited */
        int pidfd;              /* -1 when none; closed with pidpoll */
        uv_pipe_t out;
        uv_timer_t timer;       /* timeout, then kill grace, or the drain after exit */
        bool proc_init, poll_init, out_init, out_reading;
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
        bool status_lost;       /* reaped by someone else: exit_status, term_signal unknown */
        KillPhase kill_phase;
        bool spawning;          /* posix_spawn() is running on a worker thread */
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
                .exited = j->exited && !j->status_lost,
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

static void on_pidpoll_close(uv_handle_t *h)
{
        ExecJob *j = h->data;

        if (j->pidfd >= 0) {
                (void) close(j->pidfd);
                j->pidfd = -1;
        }
        on_close(h);
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
        if (j->poll_init)
                uv_close((uv_handle_t *) &j->pidpoll, on_pidpoll_close);
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
        if (kill(-j->pid, sig) == 0)
                return;
        if (j->proc_init)
                (void) uv_process_kill(&j->proc, sig);
#ifdef SYS_pidfd_send_signal
        else if (j->pidfd >= 0)
                (void) syscall(SYS_pidfd_send_signal, j->pidfd, sig, NULL, 0U);
#endif
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

static void child_exited(ExecJob *j, int exit_status, int term_signal)
{
        j->exited = true;
        j->exit_status = exit_status;
        j->term_signal = term_signal;
        (void) uv_timer_stop(&j->timer);
        if (j->out_reading && !j->finishing)
                (void) uv_timer_start(&j->timer, on_timer, EXEC_DRAIN_MS, 0);
        maybe_finish(j);
}

static void on_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
        child_exited(p->data, (int) exit_status, term_signal);
}

/* Reaps the child if it is gone.  Returns true when it was (or cannot be
 * waited for any more). */
static bool reap(ExecJob *j)
{
        siginfo_t si;

        for (;;) {
                memset(&si, 0, sizeof(si));
                if (waitid(P_PID, (id_t) j->pid, &si, WEXITED | WNOHANG) == 0)
                        break;
                if (errno == EINTR)
                        continue;
                /* ECHILD: someone else reaped it (SIGCHLD ignored, a
                 * waitpid(-1) somewhere): it is gone, how is unknown. */
                j->status_lost = true;
                if (j->r == 0)
                        j->r = -errno;
                child_exited(j, 0, 0);
                return true;
        }
        if (si.si_pid == 0)
                return false;           /* still running */
        if (si.si_code == CLD_EXITED)
                child_exited(j, si.si_status, 0);
        else
                child_exited(j, 0, si.si_status);
        return true;
}

static void on_pidfd(uv_poll_t *p, int status, int events)
{
        ExecJob *j = p->data;

        (void) status;
        (void) events;
        if (j->exited)
                return;
        if (reap(j) && !j->finishing)
                (void) uv_poll_stop(p);
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

/* ---- posix_spawn + pidfd ------------------------------------------------ */

#ifdef EXEC_HAVE_POSIX_SPAWN
/* pidfd_open() works here: 0 not known yet, 1 yes, -1 no (for good). */
static int pidfd_works;

static bool use_posix_spawn(void)
{
        const char *f = getenv("SECRESP_EXEC_FORK");
        int fd;

        if (f && *f && strcmp(f, "0") != 0)
                return false;
        if (pidfd_works == 0) {
                fd = (int) syscall(SYS_pidfd_open, getpid(), 0U);
                if (fd >= 0) {
                        (void) close(fd);
                        pidfd_works = 1;
                } else if (errno == ENOSYS || errno == EPERM || errno == EINVAL)
                        pidfd_works = -1;
                else
                        return false;   /* EMFILE, ENOMEM...: this time only */
        }
        return pidfd_works > 0;
}

/* One candidate, as execve() in execvp() would: a file that is not an
 * executable format (ENOEXEC) is run by /bin/sh, as execvp() does. */
static int spawn_one(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                     const posix_spawnattr_t *at, char *const *argv, char *const *env)
{
        size_t argc = 0;
        char **sh_argv;
        int r;

        do
                r = posix_spawn(pid, path, fa, at, argv, env);
        while (r == EINTR);
        if (r != ENOEXEC)
                return r;
        while (argv[argc])
                argc++;
        sh_argv = xnew(char *, argc + 2);
        sh_argv[0] = (char *) "/bin/sh";
        sh_argv[1] = (char *) path;
        for (size_t i = 1; i < argc; i++)
                sh_argv[i + 1] = argv[i];
        do
                r = posix_spawn(pid, "/bin/sh", fa, at, sh_argv, env);
        while (r == EINTR);
        free(sh_argv);
        return r;
}

/* execvp()'s search, in the child's PATH (posix_spawnp() would search the
 * daemon's): a name with a '/' is used as is (relative to the child's
 * cwd, as the chdir comes first); otherwise each PATH entry in turn, an
 * empty one meaning the child's cwd, going on past the entries where the
 * program is missing (ENOENT, ENOTDIR, ...) or not executable (EACCES,
 * reported when nothing else is found).  Absolute candidates that do not
 * exist are skipped with a stat() rather than a spawn. */
static int spawn_search(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *at, char *const *argv, char *const *env)
{
        const char *path = EXEC_DEFAULT_PATH, *p, *z;
        size_t flen = strlen(file);
        bool eacces = false;
        char *buf;
        int r = ENOENT;

        if (strchr(file, '/'))
                return spawn_one(pid, file, fa, at, argv, env);
        if (flen > NAME_MAX)
                return ENAMETOOLONG;
        for (char *const *e = env; *e; e++)
                if (env_name_is(*e, "PATH")) {
                        path = *e + 5;
                        break;
                }
        buf = xmalloc(strlen(path) + flen + 2);
        for (p = path;; p = z + 1) {
                struct stat st;

                z = strchrnul(p, ':');
                if (z == p)
                        memcpy(buf, file, flen + 1);
                else {
                        memcpy(buf, p, (size_t) (z - p));
                        buf[z - p] = '/';
                        memcpy(buf + (z - p) + 1, file, flen + 1);
                }
                if (buf[0] == '/' && stat(buf, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
                        r = errno;
                else {
                        r = spawn_one(pid, buf, fa, at, argv, env);
                        switch (r) {
                        case EACCES:
                                eacces = true;
                                break;
                        case ENOENT:
                        case ENOTDIR:
                        case ESTALE:
                        case ENODEV:
                        case ETIMEDOUT:
                                break;
                        default:
                                free(buf);
                                return r;       /* started (0), or a real error */
                        }
                }
                if (!*z)
                        break;
        }
        free(buf);
        return eacces ? EACCES : r;
}

/* Starts the child; returns 0 or a negative errno, *pid set on success. */
static int spawn_posix(const ExecOptions *opts, char **env, int wfd, pid_t *pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t mask, def;
        int r;

        sigemptyset(&mask);
        sigemptyset(&def);
        /* As uv_spawn does: 1-31 (it leaves the real-time signals alone:
         * those with a handler are reset by execve()). */
        for (int sig = 1; sig < 32; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaddset(&def, sig);
        /* And glibc's internal signals (32 to SIGRTMIN - 1): its
         * posix_spawn() sets them to SIG_IGN in the child, which execve()
         * keeps, unless they are in this set; sigaddset() refuses them. */
        for (int sig = 32; sig < SIGRTMIN; sig++) {
                const unsigned bits = 8 * sizeof(def.__val[0]);
                def.__val[(unsigned) (sig - 1) / bits] |= 1UL << ((unsigned) (sig - 1) % bits);
        }

        if ((r = posix_spawnattr_init(&at)) != 0)
                return -r;
        if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
                posix_spawnattr_destroy(&at);
                return -r;
        }
        if ((r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF)) != 0 ||
            (r = posix_spawnattr_setsigmask(&at, &mask)) != 0 ||
            (r = posix_spawnattr_setsigdefault(&at, &def)) != 0 ||
            /* wfd >= 3: dup2() clears its close-on-exec on 1 and 2 */
            (r = posix_spawn_file_actions_adddup2(&fa, wfd, 1)) != 0 ||
            (r = posix_spawn_file_actions_adddup2(&fa, wfd, 2)) != 0 ||
            (r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 34
            /* Everything >= 3 is close-on-exec already (mark_cloexec_from());
             * this also covers a descriptor another thread opened without
             * O_CLOEXEC since: one close_range() in the child. */
            (r = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0 ||
#endif
            (r = posix_spawn_file_actions_addchdir_np(&fa, opts->cwd ? opts->cwd : "/")) != 0)
                goto out;

        r = spawn_search(pid, opts->argv[0], &fa, &at, (char *const *) opts->argv, env);
out:
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        return -r;
}

/* Watches the child through a pidfd.  On failure the child is killed and
 * reaped here (it cannot be watched; SIGKILL makes that short) and the
 * error returned. */
static int watch_pidfd(ExecJob *j)
{
        int r, st;

        j->pidfd = (int) syscall(SYS_pidfd_open, (pid_t) j->pid, 0U);
        if (j->pidfd < 0) {
                r = -errno;
                goto fail;
        }
        r = uv_poll_init(j->loop, &j->pidpoll, j->pidfd);
        if (r < 0) {
                (void) close(j->pidfd);
                j->pidfd = -1;
                goto fail;
        }
        j->pidpoll.data = j;
        j->poll_init = true;
        j->open_handles++;
        r = uv_poll_start(&j->pidpoll, UV_READABLE, on_pidfd);
        if (r < 0)
                goto fail;
        return 0;

fail:
        if (kill(-j->pid, SIGKILL) < 0)
                (void) kill(j->pid, SIGKILL);
        while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
                ;
        j->exited = true;
        j->status_lost = true;
        return r;
}

/* posix_spawn() blocks its caller until the child has exec'ed (CLONE_VFORK),
 * and with many children at once a child waits for a CPU before it gets
 * there: measured 0.7 ms per spawn at 32 in flight on two CPUs, of which
 * 0.1 ms is the loop's own work.  So it runs on libuv's thread pool and
 * the loop goes on meanwhile; everything the child gets (argv, cwd,
 * environment, the pipe's write end) belongs to the work until it is done.
 * Descriptors the loop opens meanwhile are close-on-exec, and the child
 * closes everything above 2 anyway (addclosefrom_np). */
typedef struct SpawnWork {
        uv_work_t req;
        ExecJob *j;
        char **argv, **env;
        char *cwd;
        int wfd;
        pid_t pid;
        int r;
} SpawnWork;

static void spawn_work(uv_work_t *req)
{
        SpawnWork *w = req->data;
        ExecOptions o = { .argv = (const char *const *) w->argv, .cwd = w->cwd };

        w->r = spawn_posix(&o, w->env, w->wfd, &w->pid);
}

static int start_reading(ExecJob *j);

static void spawn_after(uv_work_t *req, int status)
{
        SpawnWork *w = req->data;
        ExecJob *j = w->j;
        int r = status < 0 ? status : w->r;

        (void) close(w->wfd);
        strv_free(w->env);
        strv_free(w->argv);
        free(w->cwd);
        j->spawning = false;
        if (r == 0) {
                j->pid = w->pid;
                r = watch_pidfd(j);     /* on failure the child is killed and reaped */
        }
        free(w);
        if (r == 0)
                r = start_reading(j);
        if (r < 0) {
                if (j->r == 0)
                        j->r = r;
                if (j->exited || !j->pid)
                        finish(j);
                else
                        j->kill_phase = KILL_KILL_SENT;
        } else if (j->kill_phase != KILL_NONE) {
                /* cancelled or timed out before it even started */
                signal_child(j, SIGKILL);
                j->kill_phase = KILL_KILL_SENT;
        }
        /* the work held the job like a handle */
        if (--j->open_handles == 0)
                deliver(j);
}

static int spawn_queue(ExecJob *j, const ExecOptions *opts, char **env, int wfd)
{
        SpawnWork *w = xnew(SpawnWork, 1);
        int r;

        w->req.data = w;
        w->j = j;
        w->argv = strv_copy(opts->argv);
        w->cwd = opts->cwd ? xstrdup(opts->cwd) : NULL;
        w->env = env;
        w->wfd = wfd;
        r = uv_queue_work(j->loop, &w->req, spawn_work, spawn_after);
        if (r < 0) {
                strv_free(w->argv);
                free(w->cwd);
                free(w);
                return r;       /* env and wfd stay the caller's */
        }
        j->spawning = true;
        j->open_handles++;
        return 0;
}
#endif /* EXEC_HAVE_POSIX_SPAWN */

/* ---- API --------------------------------------------------------------- */

/* A pipe end below 3 (the daemon's 0, 1 or 2 closed) would be in the way of
 * the child's stdio: move it up. */
static int fd_above_stdio(int fd)
{
        int nfd;

        if (fd >= 3)
                return fd;
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (nfd < 0) {
                nfd = -errno;
                (void) close(fd);
                return nfd;
        }
        (void) close(fd);
        return nfd;
}

static int spawn_uv(ExecJob *j, const ExecOptions *opts, char **env, int wfd)
{
        uv_process_options_t po = { 0 };
        uv_stdio_container_t stdio[3];
        int r;

        stdio[0].flags = UV_IGNORE;     /* libuv opens /dev/null for 0..2 */
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = wfd;
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = wfd;

        po.exit_cb = on_exit_cb;
        po.file = opts->argv[0];
        po.args = (char **) opts->argv;
        po.env = env;
        po.cwd = opts->cwd ? opts->cwd : "/";
        po.flags = UV_PROCESS_DETACHED;  /* setsid(): a process group to signal */
        po.stdio_count = 3;
        po.stdio = stdio;

        j->proc.data = j;
        r = uv_spawn(j->loop, &j->proc, &po);
        /* uv_spawn initialises the handle even when it fails: close it. */
        j->proc_init = true;
        j->open_handles++;
        if (r < 0)
                return r;
        j->pid = j->proc.pid;
        return 0;
}

static int spawn(ExecJob *j, const ExecOptions *opts)
{
        uv_file fds[2];
        char **env;
        int r;

        r = uv_pipe(fds, 0, 0);         /* both ends O_CLOEXEC */
        if (r < 0)
                return r;
        fds[0] = fd_above_stdio(fds[0]);
        fds[1] = fd_above_stdio(fds[1]);
        if (fds[0] < 0 || fds[1] < 0) {
                r = fds[0] < 0 ? fds[0] : fds[1];
                if (fds[0] >= 0)
                        close(fds[0]);
                if (fds[1] >= 0)
                        close(fds[1]);
                return r;
        }
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

        env = env_build(opts->env);
        mark_cloexec_from(3);
#ifdef EXEC_HAVE_POSIX_SPAWN
        if (use_posix_spawn()) {
                r = spawn_queue(j, opts, env, fds[1]);
                if (r == 0)
                        return 0;       /* spawn_after() goes on */
                close(fds[1]);
                strv_free(env);
                return r;
        }
#endif
        r = spawn_uv(j, opts, env, fds[1]);
        close(fds[1]);
        strv_free(env);
        if (r < 0)
                return r;
        return start_reading(j);
}

static int start_reading(ExecJob *j)
{
        int r = uv_read_start((uv_stream_t *) &j->out, on_alloc, on_read);

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
        j->pidfd = -1;
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
