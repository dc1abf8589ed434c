/* SPDX-License-Identifier: MIT */
/* Test fixture for external commands (responders.md §3.1): records how it
 * was called, then behaves as told by its environment.
 *
 *   RECORDER_FILE      append argv as one JSON array per line (one write(2)
 *                      with O_APPEND); without it, print the line on stdout
 *   RECORDER_ENV_FILE  append the environment as one JSON object per line
 *   RECORDER_STDOUT    text to print on stdout ("\n" is a line break)
 *   RECORDER_STDERR    text to print on stderr
 *   RECORDER_SLEEP     seconds to sleep before exiting (may be fractional)
 *   RECORDER_EXIT      exit status (default 0)
 *   RECORDER_FDS       with any value, print the open descriptors on stdout
 *                      as "fds: 0 1 2" */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

extern char **environ;

static void append_line(const char *path, const char *line)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        size_t n = strlen(line);
        char *buf;

        if (fd < 0) {
                fprintf(stderr, "recorder: %s: %s\n", path, strerror(errno));
                exit(99);
        }
        buf = malloc(n + 2);
        if (!buf)
                exit(99);
        memcpy(buf, line, n);
        buf[n] = '\n';
        if (write(fd, buf, n + 1) != (ssize_t) (n + 1))
                exit(99);
        free(buf);
        close(fd);
}

static void print_unescaped(FILE *f, const char *s)
{
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] == 'n') {
                        fputc('\n', f);
                        s++;
                } else
                        fputc(*s, f);
        }
        fflush(f);
}

int main(int argc, char **argv)
{
        cJSON *a = cJSON_CreateArray();
        const char *v;
        char *line;

        for (int i = 0; i < argc; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
        line = cJSON_PrintUnformatted(a);
        if ((v = getenv("RECORDER_FILE")))
                append_line(v, line);
        else
                printf("%s\n", line);
        cJSON_free(line);
        cJSON_Delete(a);

        if ((v = getenv("RECORDER_ENV_FILE"))) {
                cJSON *o = cJSON_CreateObject();
                for (char **e = environ; *e; e++) {
                        const char *eq = strchr(*e, '=');
                        char *name;
                        if (!eq)
                                continue;
                        name = strndup(*e, (size_t) (eq - *e));
                        cJSON_AddItemToObject(o, name, cJSON_CreateString(eq + 1));
                        free(name);
                }
                line = cJSON_PrintUnformatted(o);
                append_line(v, line);
                cJSON_free(line);
                cJSON_Delete(o);
        }

        if (getenv("RECORDER_FDS")) {
                DIR *d = opendir("/proc/self/fd");
                int fds[256], n = 0;
                if (!d)
                        return 99;
                for (struct dirent *de; (de = readdir(d)) && n < 256;) {
                        if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                                continue;
                        fds[n++] = atoi(de->d_name);
                }
                closedir(d);
                for (int i = 1; i < n; i++)     /* insertion sort */
                        for (int k = i; k > 0 && fds[k - 1] > fds[k]; k--) {
                                int t = fds[k];
                                fds[k] = fds[k - 1];
                                fds[k - 1] = t;
                        }
                printf("fds:");
                for (int i = 0; i < n; i++)
                        printf(" %d", fds[i]);
                printf("\n");
        }
        fflush(stdout);

        if ((v = getenv("RECORDER_STDOUT")))
                print_unescaped(stdout, v);
        if ((v = getenv("RECORDER_STDERR")))
                print_unescaped(stderr, v);
        if ((v = getenv("RECORDER_SLEEP"))) {
                double s = atof(v);
                struct timespec ts = { (time_t) s, (long) ((s - (double) (time_t) s) * 1e9) };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
        v = getenv("RECORDER_EXIT");
        return v ? atoi(v) : 0;
}
