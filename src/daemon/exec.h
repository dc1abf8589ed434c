/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs an external program on the libuv loop, never through a shell: argv
 * goes to the program as given, one element per argument, the program
 * searched as execvp() does.
 *
 * It is started with posix_spawn() (clone(CLONE_VM | CLONE_VFORK): nothing
 * of the daemon is copied, the loop waits only until the child has
 * exec'd) and its exit watched through a pidfd on the loop (no SIGCHLD
 * handler).  Where pidfd_open() is not available (Linux < 5.3, valgrind,
 * a seccomp filter), or with SECRESP_EXEC_FORK=1 in the daemon's
 * environment, through uv_spawn() (fork(): the loop is blocked while the
 * daemon's page tables are copied, milliseconds for tens of MB).  The
 * child starts the same either way.
 *
 * The child:
 *   - gets /dev/null as stdin;
 *   - writes stdout and stderr into one pipe, read by the loop into a
 *     buffer capped at max_output (the rest is read and dropped, and a
 *     marker is appended, so a chatty child never blocks on a full pipe);
 *   - holds no descriptor but 0, 1 and 2: before each spawn every
 *     descriptor >= 3 of the daemon is marked close-on-exec;
 *   - does not inherit the daemon's environment (it may hold the values of
 *     env: secret references, and NOTIFY_SOCKET): it gets PATH (default
 *     EXEC_DEFAULT_PATH), HOME, LANG, LC_*, TZ and TMPDIR from the daemon
 *     when they are set, then the additions in ExecOptions.env;
 *   - runs in a session and process group of its own, with "/" (or cwd)
 *     as its working directory.  Timeouts and cancellation signal the whole
 *     process group: SIGTERM, then SIGKILL after kill_grace_ms;
 *   - starts with no signal blocked and signals 1-31 at their default
 *     action, whatever the daemon ignores or blocks (on the posix_spawn
 *     path glibc's internal 32 and 33 too; uv_spawn leaves the real-time
 *     signals as the daemon has them).
 *
 * Every handle belongs to the job and is closed (and the job freed) before
 * the callback runs, so once every callback has run the job holds nothing
 * on the loop and uv_loop_close() can succeed. */

typedef struct uv_loop_s uv_loop_t;
typedef struct ExecJob ExecJob;

#define EXEC_DEFAULT_TIMEOUT_MS    UINT64_C(60000)
#define EXEC_DEFAULT_KILL_GRACE_MS UINT64_C(5000)
#define EXEC_DEFAULT_MAX_OUTPUT    ((size_t) 64 << 10)
#define EXEC_MAX_OUTPUT_LIMIT      ((size_t) 16 << 20)
/* After the child exits, how long to wait for the end of its output (a
 * background grandchild may hold the pipe open) before giving up on it. */
#define EXEC_DRAIN_MS              UINT64_C(1000)
#define EXEC_DEFAULT_PATH          "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Appended to the output when it was capped. */
#define EXEC_TRUNCATED_MARKER      "\n[output truncated]\n"

/* Valid only during the callback. */
typedef struct ExecResult {
        /* 0            the child ended by itself: see exit_status, term_signal;
         * -ETIMEDOUT   it was still running at the timeout and was killed;
         * -ECANCELED   exec_cancel() was called (it was killed if still running);
         * other < 0    it could not be started (-ENOENT, -EACCES, -EMFILE, ...). */
        int r;
        bool timed_out;                 /* r == -ETIMEDOUT */
        bool exited;                    /* exit_status / term_signal are meaningful */
        int exit_status;                /* when term_signal == 0 */
        int term_signal;                /* the signal that ended the child, 0 if it exited */
        int pid;                        /* 0 when it was never started */
        const char *output;             /* stdout and stderr interleaved, NUL-terminated, never NULL */
        size_t output_len;              /* marker included */
        bool truncated;                 /* output was capped; ends with EXEC_TRUNCATED_MARKER */
        uint64_t duration_ms;           /* from exec_start() to the end of the child and its output */
} ExecResult;

typedef void (*ExecCallback)(const ExecResult *res, void *userdata);

/* Zero fields take the defaults above.  Everything is copied: the caller's
 * arrays and strings need not outlive exec_start(). */
typedef struct ExecOptions {
        const char *const *argv;        /* NULL-terminated; argv[0] is the program, searched in the child's PATH
                                         * when it has no '/' */
        const char *const *env;         /* NULL-terminated "NAME=value" additions (override the passed-through
                                         * variables), may be NULL */
        const char *cwd;                /* NULL: "/" */
        uint64_t timeout_ms;            /* 0: EXEC_DEFAULT_TIMEOUT_MS */
        uint64_t kill_grace_ms;         /* SIGTERM -> SIGKILL; 0: EXEC_DEFAULT_KILL_GRACE_MS */
        size_t max_output;              /* 0: EXEC_DEFAULT_MAX_OUTPUT; at most EXEC_MAX_OUTPUT_LIMIT */
        ExecCallback cb;                /* required */
        void *userdata;
} ExecOptions;

/* Starts the program.  Returns 0 and then calls cb exactly once, always
 * from the loop (never from inside this call), after every handle of the
 * job is closed; failures to start the program are reported there too.
 * *ret (when ret is not NULL) is usable with exec_cancel() until cb
 * returns.  Returns -EINVAL for bad options (no argv[0], no cb, an env
 * entry without '=', max_output above the limit); cb is then never called. */
int exec_start(uv_loop_t *loop, const ExecOptions *opts, ExecJob **ret);

/* Kills the child's process group (SIGTERM, SIGKILL after the grace
 * period) and reports r = -ECANCELED once it is gone.  Returns 0, or
 * -EALREADY when the job is already finishing (its callback is pending or
 * running; the result is then whatever it was). */
int exec_cancel(ExecJob *job);

/* For tests and status: jobs whose callback has not run yet. */
unsigned exec_jobs_in_flight(void);
