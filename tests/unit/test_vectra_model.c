/* SPDX-License-Identifier: MIT */
/* Vectra object parsers (src/sources/vectra_model.c): the shapes of
 * vectra.md §3.6, the derived fields, and hostile input. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "sources/vectra_model.h"
#include "tests/unit/unit.h"

void vectra_model_suite_add(void);

#define LEN(s) strlen(s)

/* Parses text as a host and expects failure with exactly this error. */
#define HOST_BAD(text, want)                                                    \
        do {                                                                    \
                VectraHost *h_ = NULL;                                          \
                char *e_ = NULL;                                                \
                CU_ASSERT_EQUAL(vectra_host_parse((text), LEN(text), &h_, &e_), -EINVAL); \
                CU_ASSERT_PTR_NULL(h_);                                         \
                CU_ASSERT_PTR_NOT_NULL_FATAL(e_);                               \
                if (strcmp(e_, (want)) != 0)                                    \
                        printf("# host error: got '%s', want '%s'\n", e_, (want)); \
                CU_ASSERT_STRING_EQUAL(e_, (want));                             \
                free(e_);                                                       \
        } while (0)

#define ACCOUNT_BAD(text, want)                                                 \
        do {                                                                    \
                VectraAccount *a_ = NULL;                                       \
                char *e_ = NULL;                                                \
                CU_ASSERT_EQUAL(vectra_account_parse((text), LEN(text), &a_, &e_), -EINVAL); \
                CU_ASSERT_PTR_NULL(a_);                                         \
                CU_ASSERT_PTR_NOT_NULL_FATAL(e_);                               \
                if (strcmp(e_, (want)) != 0)                                    \
                        printf("# account error: got '%s', want '%s'\n", e_, (want)); \
                CU_ASSERT_STRING_EQUAL(e_, (want));                             \
                free(e_);                                                       \
        } while (0)

#define DETECTION_BAD(text, want)                                               \
        do {                                                                    \
                VectraDetection *d_ = NULL;                                     \
                char *e_ = NULL;                                                \
                CU_ASSERT_EQUAL(vectra_detection_parse((text), LEN(text), &d_, &e_), -EINVAL); \
                CU_ASSERT_PTR_NULL(d_);                                         \
                CU_ASSERT_PTR_NOT_NULL_FATAL(e_);                               \
                if (strcmp(e_, (want)) != 0)                                    \
                        printf("# detection error: got '%s', want '%s'\n", e_, (want)); \
                CU_ASSERT_STRING_EQUAL(e_, (want));                             \
                free(e_);                                                       \
        } while (0)

#define GROUP_BAD(text, want)                                                   \
        do {                                                                    \
                VectraGroup *g_ = NULL;                                         \
                char *e_ = NULL;                                                \
                CU_ASSERT_EQUAL(vectra_group_parse((text), LEN(text), &g_, &e_), -EINVAL); \
                CU_ASSERT_PTR_NULL(g_);                                         \
                CU_ASSERT_PTR_NOT_NULL_FATAL(e_);                               \
                if (strcmp(e_, (want)) != 0)                                    \
                        printf("# group error: got '%s', want '%s'\n", e_, (want)); \
                CU_ASSERT_STRING_EQUAL(e_, (want));                             \
                free(e_);                                                       \
        } while (0)

static VectraHost *host_ok(const char *text)
{
        VectraHost *h = NULL;
        char *err = NULL;

        if (vectra_host_parse(text, strlen(text), &h, &err) < 0)
                printf("# unexpected host error: %s\n", err);
        free(err);
        return h;
}

static VectraAccount *account_ok(const char *text)
{
        VectraAccount *a = NULL;
        char *err = NULL;

        if (vectra_account_parse(text, strlen(text), &a, &err) < 0)
                printf("# unexpected account error: %s\n", err);
        free(err);
        return a;
}

static VectraDetection *detection_ok(const char *text)
{
        VectraDetection *d = NULL;
        char *err = NULL;

        if (vectra_detection_parse(text, strlen(text), &d, &err) < 0)
                printf("# unexpected detection error: %s\n", err);
        free(err);
        return d;
}

static cJSON *json(const char *text)
{
        cJSON *j = cJSON_Parse(text);

        if (!j)
                abort();
        return j;
}

/* ---- hosts -------------------------------------------------------------- */

static const char full_host[] =
        "{\"id\":1969,\"name\":\"ws-1969\",\"last_source\":\"10.250.50.128\",\"ip\":\"10.250.50.128\","
        "\"threat\":80,\"certainty\":78,\"key_asset\":true,\"targets_key_asset\":false,"
        "\"probable_owner\":\"user@dom\","
        "\"host_artifact_set\":["
        "{\"type\":\"mac\",\"value\":\"4c:1d:96:22:29:00\",\"source\":null,\"siem\":false},"
        "{\"type\":\"vm_uuid\",\"value\":\"uuid-1\"},{\"type\":\"vm_uuid\",\"value\":\"uuid-2\"},"
        "{\"type\":\"vmachine_info\",\"value\":\"vm-name\"},"
        "{\"type\":\"aws_vm_uuid\",\"value\":\"i-0abc\"},"
        "{\"type\":\"rdns\",\"value\":\"rdns.example\"},"
        "{\"type\":\"dns\",\"value\":\"dns.example\"},"
        "{\"type\":\"mac\",\"value\":\"00:11:22:33:44:55\"},"
        "{\"type\":\"mac\",\"value\":\"4c:1d:96:22:29:00\"},"
        "{\"type\":\"windows_defender_name\",\"value\":\"WDN-1\"},"
        "{\"type\":\"windows_defender_name\",\"value\":\"WDN-2\"},"
        "{\"type\":\"dns\",\"value\":null},{\"type\":\"whatever\",\"value\":\"x\",\"extra\":[1]}],"
        "\"tags\":[\"vectra_host_block\",\"VAR ID:Test Client:abc\",\"x\"],\"note\":\"latest\","
        "\"last_seen\":\"2023-12-14T02:41:22Z\",\"ldap\":{\"dns_hostname\":[\"ldap.example\"]},"
        "\"detection_set\":[\"https://brain/api/v2.5/detections/13893\","
        "\"https://brain/api/v2.5/detections/14153/\"],\"unknown_field\":{\"deep\":[1,2,3]}}";

static void test_host_full(void)
{
        VectraHost *h = host_ok(full_host);

        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_EQUAL(h->id, 1969);
        CU_ASSERT_STRING_EQUAL(h->name, "ws-1969");
        CU_ASSERT_STRING_EQUAL(h->ip, "10.250.50.128");
        CU_ASSERT_EQUAL(h->threat, 80);
        CU_ASSERT_EQUAL(h->certainty, 78);
        CU_ASSERT_TRUE(h->key_asset);
        CU_ASSERT_FALSE(h->targets_key_asset);
        CU_ASSERT_STRING_EQUAL(h->probable_owner, "user@dom");
        CU_ASSERT_EQUAL_FATAL(h->n_tags, 3);
        CU_ASSERT_STRING_EQUAL(h->tags[1], "VAR ID:Test Client:abc");
        CU_ASSERT_PTR_NULL(h->tags[3]);
        CU_ASSERT_STRING_EQUAL(h->note, "latest");
        CU_ASSERT_EQUAL_FATAL(h->n_mac_addresses, 2);
        CU_ASSERT_STRING_EQUAL(h->mac_addresses[0], "4c:1d:96:22:29:00");
        CU_ASSERT_STRING_EQUAL(h->mac_addresses[1], "00:11:22:33:44:55");
        CU_ASSERT_PTR_NULL(h->mac_addresses[2]);
        CU_ASSERT_STRING_EQUAL(h->vmware_vm_uuid, "uuid-1");
        CU_ASSERT_STRING_EQUAL(h->vmware_vm_name, "vm-name");
        CU_ASSERT_STRING_EQUAL(h->aws_vm_uuid, "i-0abc");
        CU_ASSERT_STRING_EQUAL(h->full_name, "WDN-1");
        CU_ASSERT_EQUAL(h->last_seen, 1702521682);
        CU_ASSERT_EQUAL_FATAL(h->n_detection_ids, 2);
        CU_ASSERT_EQUAL(h->detection_ids[0], 13893);
        CU_ASSERT_EQUAL(h->detection_ids[1], 14153);
        vectra_host_free(h);
}

static void test_host_defaults(void)
{
        VectraHost *h = host_ok("{\"id\":7}");

        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_EQUAL(h->id, 7);
        CU_ASSERT_PTR_NULL(h->name);
        CU_ASSERT_PTR_NULL(h->ip);
        CU_ASSERT_PTR_NULL(h->full_name);
        CU_ASSERT_EQUAL(h->n_tags, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(h->tags);
        CU_ASSERT_PTR_NULL(h->tags[0]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(h->mac_addresses);
        CU_ASSERT_PTR_NULL(h->mac_addresses[0]);
        CU_ASSERT_EQUAL(h->last_seen, 0);
        CU_ASSERT_EQUAL(h->n_detection_ids, 0);
        vectra_host_free(h);

        /* Every optional field null. */
        h = host_ok("{\"id\":8,\"name\":null,\"last_source\":null,\"threat\":null,\"certainty\":null,"
                    "\"key_asset\":null,\"probable_owner\":null,\"host_artifact_set\":null,\"tags\":null,"
                    "\"note\":null,\"last_seen\":null,\"ldap\":null,\"detection_set\":null}");
        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_EQUAL(h->threat, 0);
        CU_ASSERT_FALSE(h->key_asset);
        CU_ASSERT_EQUAL(h->n_tags, 0);
        vectra_host_free(h);
}

static void test_host_full_name(void)
{
        VectraHost *h;

        h = host_ok("{\"id\":1,\"name\":\"n\",\"host_artifact_set\":[{\"type\":\"rdns\",\"value\":\"r\"},"
                    "{\"type\":\"dns\",\"value\":\"d\"}],\"ldap\":{\"dns_hostname\":[\"l\"]}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "d");
        vectra_host_free(h);
        h = host_ok("{\"id\":1,\"name\":\"n\",\"host_artifact_set\":[{\"type\":\"rdns\",\"value\":\"r\"}],"
                    "\"ldap\":{\"dns_hostname\":[\"l\"]}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "r");
        vectra_host_free(h);
        h = host_ok("{\"id\":1,\"name\":\"n\",\"host_artifact_set\":[],\"ldap\":{\"dns_hostname\":[\"l\",\"m\"]}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "l");
        vectra_host_free(h);
        /* A plain string is the whole name, not its first character. */
        h = host_ok("{\"id\":1,\"name\":\"n\",\"ldap\":{\"dns_hostname\":\"ldap-host\"}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "ldap-host");
        vectra_host_free(h);
        h = host_ok("{\"id\":1,\"name\":\"n\",\"ldap\":{\"dns_hostname\":[]}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "n");
        vectra_host_free(h);
        h = host_ok("{\"id\":1,\"name\":\"n\",\"ldap\":{}}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "n");
        vectra_host_free(h);
        /* Empty artifact values are no names. */
        h = host_ok("{\"id\":1,\"name\":\"n\",\"host_artifact_set\":[{\"type\":\"dns\",\"value\":\"\"}]}");
        CU_ASSERT_STRING_EQUAL(h->full_name, "n");
        vectra_host_free(h);
}

static void test_host_last_seen(void)
{
        VectraHost *h;

        h = host_ok("{\"id\":1,\"last_seen\":\"2023-12-14T02:41:22.123456Z\"}");
        CU_ASSERT_EQUAL(h->last_seen, 1702521682);
        vectra_host_free(h);
        h = host_ok("{\"id\":1,\"last_seen\":\"2023-12-14T04:41:22+02:00\"}");
        CU_ASSERT_EQUAL(h->last_seen, 1702521682);
        vectra_host_free(h);
        HOST_BAD("{\"id\":1,\"last_seen\":\"yesterday\"}", "last_seen: 'yesterday' is not a timestamp");
        HOST_BAD("{\"id\":1,\"last_seen\":\"2023-02-30T00:00:00Z\"}",
                 "last_seen: '2023-02-30T00:00:00Z' is not a timestamp");
        HOST_BAD("{\"id\":1,\"last_seen\":\"2023-12-14T02:41:22Zjunk\"}",
                 "last_seen: '2023-12-14T02:41:22Zjunk' is not a timestamp");
        HOST_BAD("{\"id\":1,\"last_seen\":1702521682}", "last_seen: expected a string, got a number");
}

static void test_host_hostile(void)
{
        char *big;
        size_t n = VECTRA_STRING_MAX + 100;

        HOST_BAD("[]", "expected an object, got a list");
        HOST_BAD("null", "expected an object, got null");
        HOST_BAD("\"host\"", "expected an object, got a string");
        HOST_BAD("{}", "id: missing");
        HOST_BAD("{\"id\":null}", "id: missing");
        HOST_BAD("{\"id\":\"1969\"}", "id: expected an integer, got a string");
        HOST_BAD("{\"id\":0}", "id: value 0 is out of range [1, 9007199254740992]");
        HOST_BAD("{\"id\":-5}", "id: value -5 is out of range [1, 9007199254740992]");
        HOST_BAD("{\"id\":1e300}", "id: value 1e+300 is out of range [1, 9007199254740992]");
        HOST_BAD("{\"id\":99999999999999999999}", "id: value 1e+20 is out of range [1, 9007199254740992]");
        HOST_BAD("{\"id\":2.5}", "id: expected an integer, got 2.5");
        HOST_BAD("{\"id\":1,\"threat\":\"high\"}", "threat: expected an integer, got a string");
        HOST_BAD("{\"id\":1,\"threat\":1000}", "threat: value 1000 is out of range [0, 100]");
        HOST_BAD("{\"id\":1,\"certainty\":-1}", "certainty: value -1 is out of range [0, 100]");
        HOST_BAD("{\"id\":1,\"certainty\":101.5}", "certainty: value 101.5 is out of range [0, 100]");
        HOST_BAD("{\"id\":1,\"certainty\":true}", "certainty: expected an integer, got a boolean");
        HOST_BAD("{\"id\":1,\"name\":[\"a\"]}", "name: expected a string, got a list");
        HOST_BAD("{\"id\":1,\"last_source\":{}}", "last_source: expected a string, got an object");
        HOST_BAD("{\"id\":1,\"key_asset\":\"yes\"}", "key_asset: expected a boolean, got a string");
        HOST_BAD("{\"id\":1,\"tags\":\"block\"}", "tags: expected a list, got a string");
        HOST_BAD("{\"id\":1,\"tags\":[\"a\",7]}", "tags[1]: expected a string, got a number");
        HOST_BAD("{\"id\":1,\"tags\":[\"a\",null]}", "tags[1]: expected a string, got null");
        HOST_BAD("{\"id\":1,\"host_artifact_set\":{}}", "host_artifact_set: expected a list, got an object");
        HOST_BAD("{\"id\":1,\"host_artifact_set\":[{\"type\":\"mac\",\"value\":\"m\"},\"mac\"]}",
                 "host_artifact_set[1]: expected an object, got a string");
        HOST_BAD("{\"id\":1,\"host_artifact_set\":[{\"value\":\"m\"}]}",
                 "host_artifact_set[0].type: expected a string, got nothing");
        HOST_BAD("{\"id\":1,\"host_artifact_set\":[{},{},{\"type\":\"mac\",\"value\":42}]}",
                 "host_artifact_set[0].type: expected a string, got nothing");
        HOST_BAD("{\"id\":1,\"host_artifact_set\":[{\"type\":\"mac\",\"value\":\"a\"},"
                 "{\"type\":\"mac\",\"value\":\"b\"},{\"type\":\"mac\",\"value\":42}]}",
                 "host_artifact_set[2].value: expected a string, got a number");
        HOST_BAD("{\"id\":1,\"ldap\":\"x\"}", "ldap: expected an object, got a string");
        HOST_BAD("{\"id\":1,\"ldap\":{\"dns_hostname\":[5]}}", "ldap.dns_hostname[0]: expected a string, got a number");
        HOST_BAD("{\"id\":1,\"ldap\":{\"dns_hostname\":5}}",
                 "ldap.dns_hostname: expected a string or a list, got a number");
        HOST_BAD("{\"id\":1,\"detection_set\":[\"https://b/api/v2.5/detections/\"]}",
                 "detection_set[0]: 'https://b/api/v2.5/detections/' is not a detection URL");
        HOST_BAD("{\"id\":1,\"detection_set\":[\"https://b/api/v2.5/detections/12\",{}]}",
                 "detection_set[1]: expected a detection URL, got an object");
        HOST_BAD("{\"id\":1,\"detection_set\":\"https://b/api/v2.5/detections/12\"}",
                 "detection_set: expected a list, got a string");

        /* Oversized strings are refused; oversized notes are not checked. */
        big = xmalloc(n + 64);
        strcpy(big, "{\"id\":1,\"name\":\"");
        memset(big + strlen(big), 'a', n);
        strcpy(big + 16 + n, "\"}");
        HOST_BAD(big, "name: string too long (65636 bytes, at most 65536)");
        memcpy(big, "{\"id\":1,\"note\":\"", 16);
        {
                VectraHost *h = host_ok(big);
                CU_ASSERT_PTR_NOT_NULL(h);
                if (h)
                        CU_ASSERT_EQUAL(strlen(h->note), n);
                vectra_host_free(h);
        }
        free(big);

        /* Not JSON at all. */
        HOST_BAD("", "invalid JSON: empty body");
        HOST_BAD("{\"id\":1,", "invalid JSON near byte 7");
        HOST_BAD("{\"id\":1} x", "invalid JSON near byte 9");
        HOST_BAD("<html>", "invalid JSON near byte 0");
}

static void test_host_nesting(void)
{
        /* Far deeper than cJSON's nesting limit: refused, no stack overflow. */
        size_t depth = 100000;
        char *s = xmalloc(2 * depth + 32);
        VectraHost *h = NULL;
        char *err = NULL;
        size_t o = 0;

        o += (size_t) sprintf(s, "{\"id\":1,\"x\":");
        for (size_t i = 0; i < depth; i++)
                s[o++] = '[';
        for (size_t i = 0; i < depth; i++)
                s[o++] = ']';
        s[o++] = '}';
        CU_ASSERT_EQUAL(vectra_host_parse(s, o, &h, &err), -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(err);
        CU_ASSERT_PTR_NULL(h);
        free(err);
        free(s);
}

/* ---- accounts ----------------------------------------------------------- */

static void test_account_full(void)
{
        VectraAccount *a = account_ok(
                "{\"id\":149,\"name\":\"O365:user@dom\",\"display_name\":\"O365:First.Last@dom.example\","
                "\"account_type\":[\"kerberos\",\"o365\"],\"threat\":10,\"certainty\":20,\"severity\":\"Low\","
                "\"privilege_level\":3,\"privilege_category\":\"Low\",\"probable_home\":null,"
                "\"tags\":[\"Context:HR:extra\",\"other\",\"Context:Finance\"],\"note\":null,"
                "\"ldap\":{\"description\":\"desc\",\"location\":[\"loc\"],\"sAMAccountName\":\"flast\","
                "\"title\":\"t\",\"user_principal_name\":\"first.last@dom.example\",\"common_name\":\"First Last\","
                "\"email\":[\"first@dom.example\",\"second@dom.example\"]},"
                "\"detection_set\":[\"https://b/api/v2.5/detections/5\"]}");

        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        CU_ASSERT_EQUAL(a->id, 149);
        CU_ASSERT_STRING_EQUAL(a->name, "O365:user@dom");
        CU_ASSERT_STRING_EQUAL(a->display_name, "O365:First.Last@dom.example");
        CU_ASSERT_STRING_EQUAL(a->normalized_name, "First.Last@dom.example");
        CU_ASSERT_STRING_EQUAL(a->fake_sam, "First.Last");
        CU_ASSERT_STRING_EQUAL(a->context, "Finance");
        CU_ASSERT_EQUAL_FATAL(a->n_account_type, 2);
        CU_ASSERT_STRING_EQUAL(a->account_type[1], "o365");
        CU_ASSERT_EQUAL(a->threat, 10);
        CU_ASSERT_EQUAL(a->certainty, 20);
        CU_ASSERT_STRING_EQUAL(a->severity, "Low");
        CU_ASSERT_EQUAL(a->privilege_level, 3);
        CU_ASSERT_PTR_NULL(a->probable_home);
        CU_ASSERT_TRUE(a->has_ldap);
        CU_ASSERT_STRING_EQUAL(a->ldap.description, "desc");
        CU_ASSERT_STRING_EQUAL(a->ldap.location, "loc");
        CU_ASSERT_STRING_EQUAL(a->ldap.sam_account_name, "flast");
        CU_ASSERT_STRING_EQUAL(a->ldap.upn, "first.last@dom.example");
        CU_ASSERT_STRING_EQUAL(a->ldap.common_name, "First Last");
        CU_ASSERT_STRING_EQUAL(a->ldap.email, "first@dom.example");
        CU_ASSERT_EQUAL_FATAL(a->n_detection_ids, 1);
        CU_ASSERT_EQUAL(a->detection_ids[0], 5);
        vectra_account_free(a);
}

static void test_account_derived(void)
{
        VectraAccount *a;

        /* No display_name: the name; no ':' at all: the whole name. */
        a = account_ok("{\"id\":1,\"name\":\"kerberos:bob@corp\"}");
        CU_ASSERT_STRING_EQUAL(a->display_name, "kerberos:bob@corp");
        CU_ASSERT_STRING_EQUAL(a->normalized_name, "bob@corp");
        CU_ASSERT_STRING_EQUAL(a->fake_sam, "bob");
        CU_ASSERT_PTR_NULL(a->context);
        CU_ASSERT_FALSE(a->has_ldap);
        CU_ASSERT_EQUAL(a->privilege_level, -1);
        vectra_account_free(a);
        a = account_ok("{\"id\":1,\"name\":\"alice\",\"display_name\":\"\"}");
        CU_ASSERT_STRING_EQUAL(a->display_name, "alice");
        CU_ASSERT_STRING_EQUAL(a->normalized_name, "alice");
        CU_ASSERT_STRING_EQUAL(a->fake_sam, "alice");
        vectra_account_free(a);
        /* VAR's re.split(":")[1]: the text between the first two colons. */
        a = account_ok("{\"id\":1,\"name\":\"a:b@c:d\",\"tags\":[\"Context:\"]}");
        CU_ASSERT_STRING_EQUAL(a->normalized_name, "b@c");
        CU_ASSERT_STRING_EQUAL(a->fake_sam, "b");
        CU_ASSERT_STRING_EQUAL(a->context, "");
        vectra_account_free(a);
        a = account_ok("{\"id\":1,\"name\":\"O365:@dom\",\"account_type\":\"o365\",\"probable_home\":\"10.1.1.1\"}");
        CU_ASSERT_STRING_EQUAL(a->fake_sam, "");
        CU_ASSERT_EQUAL(a->n_account_type, 1);
        CU_ASSERT_STRING_EQUAL(a->probable_home, "10.1.1.1");
        vectra_account_free(a);
        /* Nameless: no derived names, no crash. */
        a = account_ok("{\"id\":1,\"probable_home\":{\"ip\":\"10.0.0.1\"}}");
        CU_ASSERT_PTR_NULL(a->display_name);
        CU_ASSERT_PTR_NULL(a->normalized_name);
        CU_ASSERT_PTR_NULL(a->fake_sam);
        CU_ASSERT_PTR_NULL(a->probable_home);
        vectra_account_free(a);
}

static void test_account_hostile(void)
{
        ACCOUNT_BAD("{\"name\":\"x\"}", "id: missing");
        ACCOUNT_BAD("{\"id\":1,\"display_name\":5}", "display_name: expected a string, got a number");
        ACCOUNT_BAD("{\"id\":1,\"account_type\":[1]}", "account_type[0]: expected a string, got a number");
        ACCOUNT_BAD("{\"id\":1,\"account_type\":{}}", "account_type: expected a list, got an object");
        ACCOUNT_BAD("{\"id\":1,\"privilege_level\":\"high\"}", "privilege_level: expected an integer, got a string");
        ACCOUNT_BAD("{\"id\":1,\"privilege_level\":1e9}", "privilege_level: value 1e+09 is out of range [0, 100]");
        ACCOUNT_BAD("{\"id\":1,\"ldap\":[]}", "ldap: expected an object, got a list");
        ACCOUNT_BAD("{\"id\":1,\"ldap\":{\"email\":{}}}", "ldap.email: expected a string or a list, got an object");
        ACCOUNT_BAD("{\"id\":1,\"ldap\":{\"sAMAccountName\":[false]}}",
                    "ldap.sAMAccountName[0]: expected a string, got a boolean");
        ACCOUNT_BAD("{\"id\":1,\"tags\":[[]]}", "tags[0]: expected a string, got a list");
        ACCOUNT_BAD("{\"id\":1,\"threat\":\"1\"}", "threat: expected an integer, got a string");
}

/* ---- detections --------------------------------------------------------- */

static void test_detection_full(void)
{
        VectraDetection *d = detection_ok(
                "{\"id\":14153,\"category\":\"COMMAND & CONTROL\",\"detection_type\":\"Hidden HTTPS Tunnel\","
                "\"state\":\"active\",\"src_ip\":\"10.0.0.5\",\"src_host\":{\"id\":2584,\"name\":\"h\"},"
                "\"src_account\":null,\"summary\":{\"dst_ips\":[\"8.8.8.8\",\"10.1.1.1\",\"192.168.0.1\","
                "\"172.16.5.4\",\"127.0.0.1\",\"169.254.1.1\",\"not-an-ip\",\"1.1.1.0/24\",\"8.8.8.8\","
                "\"2001:4860:4860::8888\",\"2001:4860:4860:0::8888\",\"fd00::1\",\"fe80::1\",\"::1\",\"2001:db8::1\","
                "\"::ffff:10.0.0.1\",\"::ffff:9.9.9.9\",\"100.64.0.1\",\"224.0.0.1\",\"255.255.255.255\","
                "\"0.0.0.0\",\"192.0.2.7\",\"203.0.113.9\",\"198.18.0.1\",\"192.0.0.9\",\"01.2.3.4\",\"\",\"1.2.3.4 \","
                "\"9.9.9.9\"],"
                "\"target_domains\":[\"evil.example\",\"evil.example\",\"\",\"c2.example\"],\"other\":1},"
                "\"c_score\":50,\"t_score\":60,\"targets_key_asset\":true,\"triage_rule_id\":null,"
                "\"is_triaged\":false,\"tags\":[\"block\"]}");

        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->id, 14153);
        CU_ASSERT_STRING_EQUAL(d->category, "COMMAND & CONTROL");
        CU_ASSERT_STRING_EQUAL(d->detection_type, "Hidden HTTPS Tunnel");
        CU_ASSERT_STRING_EQUAL(d->state, "active");
        CU_ASSERT_STRING_EQUAL(d->src_ip, "10.0.0.5");
        CU_ASSERT_EQUAL(d->src_host_id, 2584);
        CU_ASSERT_EQUAL(d->src_account_id, 0);
        CU_ASSERT_EQUAL_FATAL(d->n_dst_ips, 4);
        CU_ASSERT_STRING_EQUAL(d->dst_ips[0], "8.8.8.8");
        CU_ASSERT_STRING_EQUAL(d->dst_ips[1], "2001:4860:4860::8888");
        CU_ASSERT_STRING_EQUAL(d->dst_ips[2], "9.9.9.9");
        CU_ASSERT_STRING_EQUAL(d->dst_ips[3], "192.0.0.9");
        CU_ASSERT_PTR_NULL(d->dst_ips[4]);
        CU_ASSERT_EQUAL_FATAL(d->n_dst_domains, 2);
        CU_ASSERT_STRING_EQUAL(d->dst_domains[0], "evil.example");
        CU_ASSERT_STRING_EQUAL(d->dst_domains[1], "c2.example");
        CU_ASSERT_EQUAL(d->c_score, 50);
        CU_ASSERT_EQUAL(d->t_score, 60);
        CU_ASSERT_TRUE(d->targets_key_asset);
        CU_ASSERT_EQUAL(d->triage_rule_id, 0);
        CU_ASSERT_FALSE(d->is_triaged);
        CU_ASSERT_FALSE(vectra_detection_is_info(d));
        CU_ASSERT_TRUE(vectra_tags_contain(d->tags, d->n_tags, "block"));
        CU_ASSERT_FALSE(vectra_tags_contain(d->tags, d->n_tags, "bloc"));
        vectra_detection_free(d);
}

static void test_detection_misc(void)
{
        VectraDetection *d;

        d = detection_ok("{\"id\":1,\"category\":\"info\",\"src_account\":{\"id\":337},\"triage_rule_id\":12,"
                         "\"is_triaged\":true}");
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_TRUE(vectra_detection_is_info(d));
        CU_ASSERT_EQUAL(d->src_account_id, 337);
        CU_ASSERT_EQUAL(d->src_host_id, 0);
        CU_ASSERT_EQUAL(d->triage_rule_id, 12);
        CU_ASSERT_TRUE(d->is_triaged);
        CU_ASSERT_EQUAL(d->n_dst_ips, 0);
        CU_ASSERT_PTR_NOT_NULL(d->dst_ips);
        CU_ASSERT_PTR_NOT_NULL(d->dst_domains);
        vectra_detection_free(d);

        CU_ASSERT_TRUE(vectra_ip_is_public("1.1.1.1"));
        CU_ASSERT_TRUE(vectra_ip_is_public("2606:4700::1111"));
        CU_ASSERT_FALSE(vectra_ip_is_public("10.0.0.1"));
        CU_ASSERT_FALSE(vectra_ip_is_public("fc00::1"));
        CU_ASSERT_FALSE(vectra_ip_is_public("2002::1"));
        CU_ASSERT_FALSE(vectra_ip_is_public("ff02::1"));
        CU_ASSERT_FALSE(vectra_ip_is_public("2001:2::1"));
        CU_ASSERT_TRUE(vectra_ip_is_public("2001:3::1"));
        CU_ASSERT_FALSE(vectra_ip_is_public("1.1.1.1/32"));
        CU_ASSERT_FALSE(vectra_ip_is_public(NULL));
        CU_ASSERT_FALSE(vectra_ip_is_public("fe80::1%eth0"));
}

static void test_detection_hostile(void)
{
        DETECTION_BAD("{\"id\":1,\"src_host\":5}", "src_host: expected an object, got a number");
        DETECTION_BAD("{\"id\":1,\"src_host\":{}}", "src_host.id: missing");
        DETECTION_BAD("{\"id\":1,\"src_account\":{\"id\":\"337\"}}", "src_account.id: expected an integer, got a string");
        DETECTION_BAD("{\"id\":1,\"summary\":[]}", "summary: expected an object, got a list");
        DETECTION_BAD("{\"id\":1,\"summary\":{\"dst_ips\":\"8.8.8.8\"}}", "summary.dst_ips: expected a list, got a string");
        DETECTION_BAD("{\"id\":1,\"summary\":{\"dst_ips\":[\"8.8.8.8\",8]}}",
                      "summary.dst_ips[1]: expected a string, got a number");
        DETECTION_BAD("{\"id\":1,\"summary\":{\"target_domains\":{}}}",
                      "summary.target_domains: expected a list, got an object");
        DETECTION_BAD("{\"id\":1,\"summary\":{\"target_domains\":[\"a\",null]}}",
                      "summary.target_domains[1]: expected a string, got null");
        DETECTION_BAD("{\"id\":1,\"c_score\":\"50\"}", "c_score: expected an integer, got a string");
        DETECTION_BAD("{\"id\":1,\"t_score\":1e400}", "t_score: value inf is out of range [0, 100]");
        DETECTION_BAD("{\"id\":1,\"triage_rule_id\":-3}", "triage_rule_id: value -3 is out of range [1, 9007199254740992]");
        DETECTION_BAD("{\"id\":1,\"is_triaged\":0}", "is_triaged: expected a boolean, got a number");
        DETECTION_BAD("{\"id\":1,\"state\":false}", "state: expected a string, got a boolean");
}

/* ---- groups, entities, pages, tags -------------------------------------- */

static void test_groups(void)
{
        VectraGroup *g = NULL;
        char *err = NULL;
        const char *hg = "{\"id\":3,\"name\":\"NoBlock\",\"type\":\"host\",\"members\":[{\"id\":12,\"name\":\"a\","
                         "\"url\":\"u\"},{\"id\":13}]}";
        const char *ag = "{\"id\":4,\"name\":\"Block\",\"type\":\"account\",\"members\":[{\"uid\":\"O365:u@d\"}]}";
        const char *ig = "{\"id\":5,\"name\":\"ips\",\"type\":\"ip\",\"members\":[\"10.0.0.1\",\"10.0.0.2\"]}";

        CU_ASSERT_EQUAL_FATAL(vectra_group_parse(hg, strlen(hg), &g, &err), 0);
        CU_ASSERT_STRING_EQUAL(g->name, "NoBlock");
        CU_ASSERT_STRING_EQUAL(g->type, "host");
        CU_ASSERT_EQUAL_FATAL(g->n_member_ids, 2);
        CU_ASSERT_EQUAL(g->member_ids[0], 12);
        CU_ASSERT_EQUAL(g->member_ids[1], 13);
        CU_ASSERT_EQUAL(g->n_member_uids, 0);
        g = vectra_group_free(g);
        CU_ASSERT_EQUAL_FATAL(vectra_group_parse(ag, strlen(ag), &g, &err), 0);
        CU_ASSERT_EQUAL_FATAL(g->n_member_uids, 1);
        CU_ASSERT_STRING_EQUAL(g->member_uids[0], "O365:u@d");
        CU_ASSERT_EQUAL(g->n_member_ids, 0);
        g = vectra_group_free(g);
        CU_ASSERT_EQUAL_FATAL(vectra_group_parse(ig, strlen(ig), &g, &err), 0);
        CU_ASSERT_EQUAL(g->n_member_ids, 0);
        CU_ASSERT_EQUAL(g->n_member_uids, 0);
        g = vectra_group_free(g);
        CU_ASSERT_PTR_NULL(err);

        GROUP_BAD("{\"id\":3,\"type\":\"host\",\"members\":[{\"id\":12},{\"uid\":\"x\"}]}", "members[1].id: missing");
        GROUP_BAD("{\"id\":3,\"type\":\"host\",\"members\":[{\"id\":\"12\"}]}",
                  "members[0].id: expected an integer, got a string");
        GROUP_BAD("{\"id\":3,\"type\":\"host\",\"members\":[12]}", "members[0]: expected an object, got a number");
        GROUP_BAD("{\"id\":3,\"type\":\"account\",\"members\":[{\"uid\":5}]}",
                  "members[0].uid: expected a string, got a number");
        GROUP_BAD("{\"id\":3,\"type\":\"host\",\"members\":{}}", "members: expected a list, got an object");
        GROUP_BAD("{\"id\":3,\"name\":7}", "name: expected a string, got a number");
}

static void test_entities_tokens(void)
{
        VectraEntity *e = NULL;
        VectraToken t;
        char *err = NULL;
        cJSON *j;

        j = json("{\"id\":334,\"type\":\"host\",\"urgency_score\":87.5,\"name\":\"h\"}");
        CU_ASSERT_EQUAL_FATAL(vectra_entity_from_json(j, &e, &err), 0);
        CU_ASSERT_EQUAL(e->id, 334);
        CU_ASSERT_STRING_EQUAL(e->type, "host");
        CU_ASSERT_DOUBLE_EQUAL(e->urgency_score, 87.5, 0.001);
        e = vectra_entity_free(e);
        cJSON_Delete(j);
        j = json("{\"id\":334,\"urgency_score\":\"high\"}");
        CU_ASSERT_EQUAL(vectra_entity_from_json(j, &e, &err), -EINVAL);
        CU_ASSERT_STRING_EQUAL(err, "urgency_score: expected a number, got a string");
        err = (free(err), NULL);
        cJSON_Delete(j);

        j = json("{\"access_token\":\"abc\",\"expires_in\":21600,\"refresh_token\":\"r1\","
                 "\"refresh_expires_in\":86400,\"token_type\":\"Bearer\"}");
        CU_ASSERT_EQUAL_FATAL(vectra_token_from_json(j, &t, &err), 0);
        CU_ASSERT_STRING_EQUAL(t.access_token, "abc");
        CU_ASSERT_EQUAL(t.expires_in, 21600);
        CU_ASSERT_STRING_EQUAL(t.refresh_token, "r1");
        CU_ASSERT_EQUAL(t.refresh_expires_in, 86400);
        vectra_token_done(&t);
        CU_ASSERT_PTR_NULL(t.access_token);
        cJSON_Delete(j);
        j = json("{\"access_token\":\"abc\",\"expires_in\":\"3600\"}");
        CU_ASSERT_EQUAL_FATAL(vectra_token_from_json(j, &t, &err), 0);
        CU_ASSERT_EQUAL(t.expires_in, 3600);
        CU_ASSERT_PTR_NULL(t.refresh_token);
        CU_ASSERT_EQUAL(t.refresh_expires_in, -1);
        vectra_token_done(&t);
        cJSON_Delete(j);

        static const struct {
                const char *in, *err;
        } bad[] = {
                { "{}", "access_token: missing" },
                { "{\"access_token\":\"\"}", "access_token: 0 bytes long" },
                { "{\"access_token\":5}", "access_token: expected a string, got a number" },
                { "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", "access_token: not a printable token" },
                { "{\"access_token\":\"a b\"}", "access_token: not a printable token" },
                { "{\"access_token\":\"a\",\"expires_in\":-1}", "expires_in: value -1 is out of range [0, 316224000]" },
                { "{\"access_token\":\"a\",\"expires_in\":\"1h\"}", "expires_in: '1h' is not a number of seconds" },
                { "{\"access_token\":\"a\",\"expires_in\":\"99999999999999999999999\"}",
                  "expires_in: '99999999999999999999999' is not a number of seconds" },
                { "{\"access_token\":\"a\",\"refresh_token\":[]}", "refresh_token: expected a string, got a list" },
                { "[\"access_token\"]", "expected an object, got a list" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                j = json(bad[i].in);
                t = (VectraToken) {};
                CU_ASSERT_EQUAL(vectra_token_from_json(j, &t, &err), -EINVAL);
                CU_ASSERT_PTR_NULL(t.access_token);
                if (!err || strcmp(err, bad[i].err) != 0)
                        printf("# token error %zu: got '%s', want '%s'\n", i, err, bad[i].err);
                CU_ASSERT_STRING_EQUAL(err ? err : "", bad[i].err);
                err = (free(err), NULL);
                cJSON_Delete(j);
        }
}

static void test_pages_tags(void)
{
        const cJSON *results = NULL;
        const char *next = NULL;
        char **tags = NULL, *err = NULL;
        int64_t *ids = NULL, id;
        size_t n = 0;
        cJSON *j;

        j = json("{\"count\":3,\"next\":\"https://b/api/v2.5/hosts?page=2\",\"previous\":null,\"results\":[{},{}]}");
        CU_ASSERT_EQUAL(vectra_page_from_json(j, &results, &next, &err), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(results), 2);
        CU_ASSERT_STRING_EQUAL(next, "https://b/api/v2.5/hosts?page=2");
        cJSON_Delete(j);
        j = json("{\"next\":null,\"results\":[]}");
        CU_ASSERT_EQUAL(vectra_page_from_json(j, &results, &next, &err), 0);
        CU_ASSERT_PTR_NULL(next);
        cJSON_Delete(j);
        j = json("{\"next\":\"\",\"results\":[]}");
        CU_ASSERT_EQUAL(vectra_page_from_json(j, &results, &next, &err), 0);
        CU_ASSERT_PTR_NULL(next);
        cJSON_Delete(j);

        static const struct {
                const char *in, *err;
        } bad[] = {
                { "[]", "expected an object, got a list" },
                { "{\"next\":null}", "results: missing" },
                { "{\"results\":{}}", "results: expected a list, got an object" },
                { "{\"results\":null}", "results: expected a list, got null" },
                { "{\"results\":[],\"next\":2}", "next: expected a URL or null, got a number" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                j = json(bad[i].in);
                CU_ASSERT_EQUAL(vectra_page_from_json(j, &results, &next, &err), -EINVAL);
                CU_ASSERT_STRING_EQUAL(err ? err : "", bad[i].err);
                err = (free(err), NULL);
                cJSON_Delete(j);
        }

        j = json("{\"tags\":[\"a\",\"VAR ID:X:aa:bb\"]}");
        CU_ASSERT_EQUAL_FATAL(vectra_tags_from_json(j, &tags, &n, &err), 0);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_STRING_EQUAL(tags[1], "VAR ID:X:aa:bb");
        tags = vectra_strv_free(tags);
        cJSON_Delete(j);
        j = json("[\"x\"]");
        CU_ASSERT_EQUAL_FATAL(vectra_tags_from_json(j, &tags, &n, &err), 0);
        CU_ASSERT_EQUAL(n, 1);
        tags = vectra_strv_free(tags);
        cJSON_Delete(j);
        j = json("{\"status\":\"success\"}");
        CU_ASSERT_EQUAL(vectra_tags_from_json(j, &tags, &n, &err), -EINVAL);
        CU_ASSERT_STRING_EQUAL(err, "tags: missing");
        err = (free(err), NULL);
        cJSON_Delete(j);
        j = json("[1]");
        CU_ASSERT_EQUAL(vectra_tags_from_json(j, &tags, &n, &err), -EINVAL);
        CU_ASSERT_STRING_EQUAL(err, "tags[0]: expected a string, got a number");
        err = (free(err), NULL);
        cJSON_Delete(j);

        j = json("{\"detection_set\":[\"https://b/api/v3.4/detections/9\",\"https://b/api/v3.4/detections/10\"]}");
        CU_ASSERT_EQUAL_FATAL(vectra_detection_set_from_json(j, &ids, &n, &err), 0);
        CU_ASSERT_EQUAL_FATAL(n, 2);
        CU_ASSERT_EQUAL(ids[1], 10);
        free(ids);
        cJSON_Delete(j);

        CU_ASSERT_EQUAL(vectra_id_from_url("https://b/api/v2.5/detections/13893", &id), 0);
        CU_ASSERT_EQUAL(id, 13893);
        CU_ASSERT_EQUAL(vectra_id_from_url("https://b/api/v2.5/detections/13893/?x=1", &id), 0);
        CU_ASSERT_EQUAL(id, 13893);
        CU_ASSERT_EQUAL(vectra_id_from_url("42", &id), 0);
        CU_ASSERT_EQUAL(id, 42);
        CU_ASSERT_EQUAL(vectra_id_from_url("https://b/api/v2.5/detections/abc", &id), -EINVAL);
        CU_ASSERT_EQUAL(vectra_id_from_url("https://b/api/v2.5/detections/0", &id), -EINVAL);
        CU_ASSERT_EQUAL(vectra_id_from_url("https://b/d/99999999999999999999", &id), -EINVAL);
        CU_ASSERT_EQUAL(vectra_id_from_url("", &id), -EINVAL);
        CU_ASSERT_EQUAL(vectra_id_from_url("/", &id), -EINVAL);
        CU_ASSERT_EQUAL(vectra_id_from_url(NULL, &id), -EINVAL);

        err = xstrdup("threat: expected an integer, got a string");
        vectra_error_prefix(&err, "results[%d]", 3);
        CU_ASSERT_STRING_EQUAL(err, "results[3].threat: expected an integer, got a string");
        free(err);
        err = xstrdup("expected an object, got a list");
        vectra_error_prefix(&err, "results[%d]", 0);
        CU_ASSERT_STRING_EQUAL(err, "results[0]: expected an object, got a list");
        free(err);
}

static void test_error_text(void)
{
        static const struct {
                long status;
                const char *body, *want;
        } cases[] = {
                { 404, "{\"detail\":\"Not found.\"}", "HTTP 404: Not found." },
                { 400, "{\"errors\":[{\"title\":\"Bad tag\"}],\"_meta\":{\"message\":\"m\"}}", "HTTP 400: Bad tag" },
                { 400, "{\"_meta\":{\"message\":\"meta msg\",\"level\":\"error\"}}", "HTTP 400: meta msg" },
                { 401, "{\"detail\":\"\",\"errors\":[],\"_meta\":{\"message\":\"expired\"}}", "HTTP 401: expired" },
                { 500, "Internal\r\nServer Error\n", "HTTP 500: Internal  Server Error" },
                { 502, "", "HTTP 502" },
                { 409, "{\"detail\":{\"x\":1}}", "HTTP 409: {\"detail\":{\"x\":1}}" },
                { 429, "{\"error\":\"slow down\"}", "HTTP 429: {\"error\":\"slow down\"}" },
        };
        char body[1000];
        char *t;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                t = vectra_error_text(cases[i].status, cases[i].body, strlen(cases[i].body));
                if (strcmp(t, cases[i].want) != 0)
                        printf("# error text %zu: got '%s', want '%s'\n", i, t, cases[i].want);
                CU_ASSERT_STRING_EQUAL(t, cases[i].want);
                free(t);
        }
        t = vectra_error_text(503, NULL, 0);
        CU_ASSERT_STRING_EQUAL(t, "HTTP 503");
        free(t);
        memset(body, 'x', sizeof(body));
        t = vectra_error_text(500, body, sizeof(body));
        CU_ASSERT_EQUAL(strlen(t), strlen("HTTP 500: ") + 200 + 3);
        CU_ASSERT_STRING_EQUAL(t + strlen(t) - 3, "...");
        free(t);
        /* Never cut inside a UTF-8 sequence. */
        for (size_t i = 0; i + 1 < sizeof(body); i += 2) {
                body[i] = (char) 0xc3;
                body[i + 1] = (char) 0xa9;
        }
        t = vectra_error_text(500, body + 1, sizeof(body) - 1);
        CU_ASSERT_EQUAL(strlen(t) - strlen("HTTP 500: ") - 3, 199);
        free(t);
}

/* Byte-level mutations of valid objects: whatever comes out, no crash,
 * no leak (ASan), and exactly one of object or error. */
static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        return rng_state;
}

static void test_mutations(void)
{
        static const char *const seeds[] = {
                full_host,
                "{\"id\":149,\"name\":\"O365:user@dom\",\"display_name\":\"O365:a@b\",\"account_type\":[\"k\"],"
                "\"tags\":[\"Context:x\"],\"ldap\":{\"email\":[\"e\"]},\"detection_set\":[\"https://b/d/5\"]}",
                "{\"id\":1,\"summary\":{\"dst_ips\":[\"8.8.8.8\",\"::1\"],\"target_domains\":[\"a\"]},"
                "\"src_host\":{\"id\":2},\"tags\":[\"x\"],\"c_score\":5}",
                "{\"id\":3,\"name\":\"g\",\"type\":\"host\",\"members\":[{\"id\":12}]}",
        };
        static const char alphabet[] = "{}[]\",:0123456789.-eE truefalsnul\\u";
        unsigned ok_count = 0, err_count = 0;

        for (unsigned iter = 0; iter < 4000; iter++) {
                const char *seed = seeds[iter % 4];
                size_t len = strlen(seed);
                char *buf = xmalloc(len + 1);
                unsigned edits = 1 + rng() % 4;
                void *obj = NULL;
                char *err = NULL;
                int r;

                memcpy(buf, seed, len + 1);
                for (unsigned e = 0; e < edits; e++) {
                        size_t at = rng() % len;

                        switch (rng() % 3) {
                        case 0:
                                buf[at] = alphabet[rng() % (sizeof(alphabet) - 1)];
                                break;
                        case 1:
                                buf[at] = (char) (rng() & 0xff);
                                break;
                        default:
                                len = at ? at : 1;      /* truncate */
                                break;
                        }
                }
                switch (iter % 4) {
                case 0:
                        r = vectra_host_parse(buf, len, (VectraHost **) &obj, &err);
                        vectra_host_free(obj);
                        break;
                case 1:
                        r = vectra_account_parse(buf, len, (VectraAccount **) &obj, &err);
                        vectra_account_free(obj);
                        break;
                case 2:
                        r = vectra_detection_parse(buf, len, (VectraDetection **) &obj, &err);
                        vectra_detection_free(obj);
                        break;
                default:
                        r = vectra_group_parse(buf, len, (VectraGroup **) &obj, &err);
                        vectra_group_free(obj);
                        break;
                }
                if (r == 0) {
                        ok_count++;
                        CU_ASSERT_PTR_NOT_NULL(obj);
                        CU_ASSERT_PTR_NULL(err);
                } else {
                        err_count++;
                        CU_ASSERT_EQUAL(r, -EINVAL);
                        CU_ASSERT_PTR_NOT_NULL(err);
                }
                free(err);
                free(buf);
        }
        CU_ASSERT_TRUE(ok_count > 0);
        CU_ASSERT_TRUE(err_count > 0);
}

void vectra_model_suite_add(void)
{
        UNIT_SUITE("vectra_model",
                   UNIT_TEST(test_host_full),
                   UNIT_TEST(test_host_defaults),
                   UNIT_TEST(test_host_full_name),
                   UNIT_TEST(test_host_last_seen),
                   UNIT_TEST(test_host_hostile),
                   UNIT_TEST(test_host_nesting),
                   UNIT_TEST(test_account_full),
                   UNIT_TEST(test_account_derived),
                   UNIT_TEST(test_account_hostile),
                   UNIT_TEST(test_detection_full),
                   UNIT_TEST(test_detection_misc),
                   UNIT_TEST(test_detection_hostile),
                   UNIT_TEST(test_groups),
                   UNIT_TEST(test_entities_tokens),
                   UNIT_TEST(test_pages_tags),
                   UNIT_TEST(test_error_text),
                   UNIT_TEST(test_mutations));
}
