/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/jsonmem.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "daemon/conf.h"
#include "daemon/daemon.h"

#define EXIT_CONFIG 78  /* EX_CONFIG */

static const char *arg_config = SECRESP_DEFAULT_CONFIG;
static bool arg_foreground = false;
static bool arg_check = false;
static bool arg_verbose = false;
static bool arg_once = false;
static const char *arg_source = NULL;

static void help(void)
{
        printf("Usage: secrespd [OPTIONS]\n\n"
               "Security-response daemon.\n\n"
               "  -c, --config FILE   configuration file (default %s)\n"
               "  -f, --foreground    do not detach; log to stderr unless log_target says otherwise\n"
               "  -n, --check         check the configuration and exit (0 valid, 78 invalid)\n"
               "  -v, --verbose       with -n, print the normalised configuration; else log debug\n"
               "      --once          run one cycle of every enabled source and exit\n"
               "      --source NAME   with --once, only this source (e.g. umbrella)\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n\n"
               "See secrespd(8) and secrespd.conf(5).\n", SECRESP_DEFAULT_CONFIG);
}

static int parse_argv(int argc, char **argv)
{
        enum { ARG_VERSION = 0x100, ARG_ONCE, ARG_SOURCE };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "foreground", no_argument, NULL, 'f' },
                { "check", no_argument, NULL, 'n' },
                { "verbose", no_argument, NULL, 'v' },
                { "once", no_argument, NULL, ARG_ONCE },
                { "source", required_argument, NULL, ARG_SOURCE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:fnvh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case 'f':
                        arg_foreground = true;
                        break;
                case 'n':
                        arg_check = true;
                        break;
                case 'v':
                        arg_verbose = true;
                        break;
                case ARG_ONCE:
                        arg_once = true;
                        break;
                case ARG_SOURCE:
                        arg_source = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("secrespd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "secrespd: try 'secrespd --help'\n");
                        return -EINVAL;
                }
        if (arg_source && !arg_once) {
                fprintf(stderr, "secrespd: --source goes with --once\n");
                return -EINVAL;
        }
        if (optind < argc) {
                fprintf(stderr, "secrespd: unexpected argument '%s'; try 'secrespd --help'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Under systemd (or with -f, or --once) we stay in the foreground.  From
 * a terminal we detach, but the parent waits until the child is ready so
 * that a failed start still gives a failed exit status. */
static int ready_fd = -1;

static bool under_systemd(void)
{
        return getenv("NOTIFY_SOCKET") || getenv("INVOCATION_ID");
}

static int detach(void)
{
        int p[2];
        pid_t pid;
        char c;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                close(p[1]);
                /* the child writes one byte when ready; EOF means it failed */
                if (read(p[0], &c, 1) == 1)
                        _exit(EXIT_SUCCESS);
                _exit(EXIT_FAILURE);
        }
        close(p[0]);
        if (setsid() < 0)
                return -errno;
        ready_fd = p[1];
        return 0;
}

static void detach_ready(void)
{
        int fd;

        if (ready_fd < 0)
                return;
        (void) !write(ready_fd, "R", 1);
        close(ready_fd);
        ready_fd = -1;
        /* stderr is about to become /dev/null */
        if (!log_to_journal())
                log_setup(NULL, LOG_TARGET_JOURNAL, -1);
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                dup2(fd, STDIN_FILENO);
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                if (fd > STDERR_FILENO)
                        close(fd);
        }
}

int main(int argc, char **argv)
{
        ConfigErrors errs = { 0 };
        Config *cfg = NULL;
        uv_loop_t loop;
        Daemon d;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        log_setup("secrespd", LOG_TARGET_STDERR, LOG_INFO);
        r = config_load(arg_config, &cfg, &errs);
        if (r < 0) {
                for (size_t i = 0; i < errs.n; i++)
                        fprintf(stderr, "%s\n", errs.lines[i]);
                if (!arg_check) {
                        /* also in the journal when that is where we log */
                        LogFields f = { .action = "start", .result = "rejected" };
                        log_setup("secrespd", LOG_TARGET_AUTO, LOG_INFO);
                        if (log_to_journal())
                                for (size_t i = 0; i < errs.n; i++)
                                        log_event(LOG_ERR, MSGID_CONFIG_REJECTED, &f, "%s", errs.lines[i]);
                }
                fprintf(stderr, "secrespd: %s: %zu error%s, not starting\n", arg_config, errs.n,
                        errs.n == 1 ? "" : "s");
                config_errors_done(&errs);
                return EXIT_CONFIG;
        }
        if (arg_check) {
                if (arg_verbose)
                        config_print(cfg, stdout);
                else
                        fprintf(stderr, "secrespd: %s: configuration OK\n", arg_config);
                config_free(cfg);
                return EXIT_SUCCESS;
        }

        log_setup("secrespd", cfg->log_target, arg_verbose ? LOG_DEBUG : cfg->log_level);
        if (!arg_foreground && !arg_once && !under_systemd()) {
                r = detach();
                if (r < 0) {
                        log_error_errno(r, "cannot detach");
                        config_free(cfg);
                        return EXIT_FAILURE;
                }
        }
        signal(SIGPIPE, SIG_IGN);

        /* the loop thread's cJSON blocks recycled (jsonmem.h says why) */
        jsonmem_init();
        uv_loop_init(&loop);
        daemon_set_once_source(arg_source);
        r = daemon_start(&d, &loop, cfg, arg_config, arg_once);
        if (r == 0)
                detach_ready();
        uv_run(&loop, UV_RUN_DEFAULT);

        r = uv_loop_close(&loop);
        if (r < 0) {
                log_error("internal error: handles left open at exit (%s)", uv_strerror(r));
                d.exit_code = 1;
        }
        daemon_fini(&d);
        jsonmem_fini();
        return d.exit_code;
}
