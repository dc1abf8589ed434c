/* SPDX-License-Identifier: MIT */
/* The fw2 firewall responders' answer readers on arbitrary input: what a
 * vendor (or something in its place) may send back.  The first byte picks
 * the reader; the rest is the answer.
 *   0  Sophos XML: sophos_parse_iplist, sophos_status, sophos_login_status
 *   1  ASA CLI text: asa_classify (block and unblock), asa_group_defined, asa_group_hosts
 *   2  FMC JSON: fmc_next_path, fmc_find_id, fmc_deploy_body, group edits
 *   3  Check Point JSON: cp_error, cp_task_state */
#include "config.h"
#include <errno.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "responders/checkpoint_json.h"
#include "responders/cisco_asa_cmd.h"
#include "responders/cisco_fmc_json.h"
#include "responders/sophos_xml.h"
#include "tests/fuzz/fuzz.h"

static void sophos(const char *s)
{
        char **ips = NULL, *t = NULL;
        int k = sophos_parse_iplist(s, "Vectra - Sophos Integration", &ips);

        FUZZ_CHECK(k == 0 || k == -ENOENT || k == -EMEDIUMTYPE || k == -EPROTO);
        FUZZ_CHECK((k == 0) == (ips != NULL));
        for (size_t i = 0; ips && ips[i]; i++) {
                FUZZ_CHECK(ips[i][0] != '\0');
                FUZZ_CHECK(!strchr(ips[i], ','));
                for (size_t j = 0; j < i; j++)
                        FUZZ_CHECK(strcmp(ips[i], ips[j]));
        }
        strv_free(ips);
        (void) sophos_status(s, &t);
        free(t);
        t = sophos_login_status(s);
        free(t);
        (void) sophos_login_ok(s);
}

static void asa(const char *s)
{
        for (int block = 0; block < 2; block++) {
                const char *line = NULL;
                size_t len = 0;
                AsaOutcome o = asa_classify(s, block, &line, &len);
                if (o == ASA_ERROR) {
                        FUZZ_CHECK(line >= s && line + len <= s + strlen(s));
                        FUZZ_CHECK(!memchr(line, '\n', len));
                }
        }
        (void) asa_group_defined(s, "Vectra-Block");
        {
                char **h = asa_group_hosts(s, "Vectra-Block");
                FUZZ_CHECK(h != NULL);
                for (size_t i = 0; h[i]; i++)
                        FUZZ_CHECK(h[i][0] && !strpbrk(h[i], " \t\r\n"));
                strv_free(h);
        }
}

static void fmc(const char *s)
{
        cJSON *j = cJSON_Parse(s);
        char *p = fmc_next_path(j), *b;
        size_t n = 0;

        if (p) {
                FUZZ_CHECK(!strncmp(p, "/api/", 5));
                for (const char *c = p; *c; c++)
                        FUZZ_CHECK((unsigned char) *c > 0x20 && *c != 0x7f);
        }
        free(p);
        (void) fmc_find_id(j, "Vectra-Block");
        b = fmc_deploy_body(j, NULL, &n);
        FUZZ_CHECK((b != NULL) == (n > 0));
        free(b);
        if (cJSON_IsObject(j)) {
                bool added = fmc_group_add(j, "h1", "10.0.0.1");
                FUZZ_CHECK(fmc_group_has(j, "h1"));
                FUZZ_CHECK(!fmc_group_add(j, "h1", "10.0.0.1"));
                FUZZ_CHECK(fmc_group_remove(j, "h1"));
                FUZZ_CHECK(!fmc_group_has(j, "h1"));
                (void) added;
                b = fmc_group_put_body(j);
                free(b);
        }
        cJSON_Delete(j);
}

static void cp(const char *s)
{
        cJSON *j = cJSON_Parse(s);
        char *t = NULL;
        const char *st = NULL;
        CpTask k;

        (void) cp_error(j, &t);
        FUZZ_CHECK(t != NULL);
        for (const char *c = t; *c; c++)
                FUZZ_CHECK((unsigned char) *c >= 0x20 && *c != 0x7f);
        free(t);
        k = cp_task_state(j, &st);
        FUZZ_CHECK(k == CP_TASK_UNKNOWN || st != NULL);
        cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size < 1 || size > 65536)
                return 0;
        s = fuzz_strndup(data + 1, size - 1);
        switch (data[0] % 4) {
        case 0: sophos(s); break;
        case 1: asa(s); break;
        case 2: fmc(s); break;
        default: cp(s); break;
        }
        free(s);
        return 0;
}
