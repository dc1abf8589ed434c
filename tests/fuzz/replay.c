/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/fuzz/fuzz.h"

/* The driver linked with each target when libFuzzer is not used: runs
 * LLVMFuzzerTestOneInput() once on every file named on the command line,
 * and on every file in every directory named, in name order.  Each input
 * gets a heap buffer of exactly its size, as under libFuzzer, so the
 * sanitizers catch reads past its end.  Exit status 0 when every input ran,
 * 1 when a file could not be read; a finding aborts. */

static int replay_file(const char *path, unsigned *n)
{
        struct stat st;
        uint8_t *buf;
        size_t len = 0;
        ssize_t k;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        /* at least one byte, so that an empty input is not a NULL pointer */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf)
                abort();
        while (len < (size_t) st.st_size && (k = read(fd, buf + len, (size_t) st.st_size - len)) > 0)
                len += (size_t) k;
        close(fd);
        if (st.st_size > 0 && len == 0) {
                fprintf(stderr, "replay: %s: cannot read\n", path);
                free(buf);
                return -1;
        }
        /* as libFuzzer does, in a buffer of exactly the input's size */
        if (len < (size_t) st.st_size) {
                uint8_t *exact = malloc(len ? len : 1);
                if (!exact)
                        abort();
                memcpy(exact, buf, len);
                free(buf);
                buf = exact;
        }
        /* as libFuzzer does, so that a report names its input */
        fprintf(stderr, "Running: %s\n", path);
        (void) LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        (*n)++;
        return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir, unsigned *n)
{
        struct dirent **ents;
        int k, r = 0;

        k = scandir(dir, &ents, NULL, by_name);
        if (k < 0) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        for (int i = 0; i < k; i++) {
                char *path;
                struct stat st;

                if (ents[i]->d_name[0] == '.') {
                        free(ents[i]);
                        continue;
                }
                if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0)
                        abort();
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path, n) < 0)
                        r = -1;
                free(path);
                free(ents[i]);
        }
        free(ents);
        return r;
}

int main(int argc, char *argv[])
{
        unsigned n = 0;
        int r = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                /* libFuzzer's flags (-runs=0, ...) are accepted and ignored */
                if (argv[i][0] == '-')
                        continue;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        r = -1;
                } else if (S_ISDIR(st.st_mode)) {
                        if (replay_dir(argv[i], &n) < 0)
                                r = -1;
                } else if (replay_file(argv[i], &n) < 0)
                        r = -1;
        }
        fprintf(stderr, "replay: %u input(s) run\n", n);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
