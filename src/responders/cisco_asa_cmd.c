/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_asa_cmd.h"

static bool unreserved(unsigned char c)
{
        return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *asa_path(const char *mode, const char *const *cmds, size_t n)
{
        size_t cap = strlen(mode) + 16, len = 0;
        char *p;

        for (size_t i = 0; i < n; i++) {
                if (!cmds[i] || !cmds[i][0])
                        return NULL;
                for (const char *c = cmds[i]; *c; c++)
                        if (*c == '/' || (unsigned char) *c < 0x20 || *c == 0x7f)
                                return NULL;
                cap += strlen(cmds[i]) * 3 + 1;
        }
        p = xmalloc(cap);
        len = (size_t) sprintf(p, "/admin/%s", mode);
        for (size_t i = 0; i < n; i++) {
                p[len++] = '/';
                for (const unsigned char *c = (const unsigned char *) cmds[i]; *c; c++) {
                        if (unreserved(*c))
                                p[len++] = (char) *c;
                        else
                                len += (size_t) sprintf(p + len, "%%%02X", *c);
                }
        }
        p[len] = 0;
        return p;
}

bool asa_valid_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= 0x20 || *s == 0x7f || *s == '/' || *s == '?' || *s == '"' ||
                    *s == '\'' || *s == '\\')
                        return false;
        return true;
}

/* Case-insensitive search inside [s, s+n). */
static bool has(const char *s, size_t n, const char *needle)
{
        size_t k = strlen(needle);

        for (size_t i = 0; i + k <= n; i++)
                if (!strncasecmp(s + i, needle, k))
                        return true;
        return false;
}

AsaOutcome asa_classify(const char *out, bool block, const char **ret_line, size_t *ret_len)
{
        const char *line = out;
        AsaOutcome o = ASA_DONE;

        while (line && *line) {
                size_t n = strcspn(line, "\r\n");

                if (block && (has(line, n, "already exists") || has(line, n, "duplicate")))
                        o = ASA_ALREADY;
                else if (!block && (has(line, n, "does not exist") || has(line, n, "not found") ||
                                    has(line, n, "not a member")))
                        o = ASA_ABSENT;
                else if (has(line, n, "error") || has(line, n, "invalid input") || has(line, n, "incomplete command") ||
                         has(line, n, "not authorized")) {
                        if (ret_line)
                                *ret_line = line;
                        if (ret_len)
                                *ret_len = n;
                        return ASA_ERROR;
                }
                line += n;
                line += strspn(line, "\r\n");
        }
        return o;
}

bool asa_group_defined(const char *out, const char *group)
{
        const char *line = out;
        size_t gl = strlen(group);

        while (line && *line) {
                size_t n = strcspn(line, "\r\n");
                const char *p = line;

                while (p < line + n && (*p == ' ' || *p == '\t'))
                        p++;
                if ((size_t) (line + n - p) >= 21 + gl && !strncmp(p, "object-group network ", 21) &&
                    !strncmp(p + 21, group, gl)) {
                        const char *e = p + 21 + gl;
                        if (e == line + n || *e == ' ' || *e == '\t')
                                return true;
                }
                line += n;
                line += strspn(line, "\r\n");
        }
        return false;
}

/* Is line [p, p+n) the header of the network object-group `group`? */
static bool is_header(const char *p, size_t n, const char *group)
{
        size_t gl = strlen(group);

        return n >= 21 + gl && !strncmp(p, "object-group network ", 21) && !strncmp(p + 21, group, gl) &&
               (n == 21 + gl || p[21 + gl] == ' ' || p[21 + gl] == '\t');
}

char **asa_group_hosts(const char *out, const char *group)
{
        const char *line = out;
        char **v = NULL;
        bool in = false;

        while (line && *line) {
                size_t n = strcspn(line, "\r\n");
                const char *p = line;

                if (n > 0 && line[0] != ' ' && line[0] != '\t')
                        in = is_header(line, n, group);
                else if (in) {
                        while (p < line + n && (*p == ' ' || *p == '\t'))
                                p++;
                        if ((size_t) (line + n - p) > 20 && !strncmp(p, "network-object host ", 20)) {
                                _cleanup_free_ char *a = xstrndup(p + 20, (size_t) (line + n - p - 20));
                                a[strcspn(a, " \t")] = 0;
                                if (a[0] && !strv_contains(v, a))
                                        v = strv_push(v, a);
                        }
                }
                line += n;
                line += strspn(line, "\r\n");
        }
        return v ? v : xnew(char *, 1);
}
