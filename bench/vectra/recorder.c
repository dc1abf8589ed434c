/* SPDX-License-Identifier: MIT */
/* The "tiny recorder program" of issue 3's benchmark: the responder command
 * that external_call runs once per block and unblock.  It appends its argv
 * as one line to $RECORDER_FILE (one write(2) with O_APPEND, so concurrent
 * calls never interleave) and exits 0.  Linked statically by
 * bench/vectra-cycle.sh when the toolchain can: no dynamic loader, no
 * libraries, so the 5,000 calls of a block cycle measure secrespd's
 * spawning and not the start-up of the test suite's recorder (which links
 * cJSON to write JSON).  cycle.py counts its lines. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        char line[4096];
        size_t n = 0;
        const char *path = getenv("RECORDER_FILE");
        int fd;

        for (int i = 1; i < argc; i++) {
                size_t l = strlen(argv[i]);

                if (n + l + 2 > sizeof(line))
                        return 2;
                if (n > 0)
                        line[n++] = ' ';
                memcpy(line + n, argv[i], l);
                n += l;
        }
        line[n++] = '\n';
        fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : STDOUT_FILENO;
        if (fd < 0 || write(fd, line, n) != (ssize_t) n)
                return 1;
        return 0;
}
