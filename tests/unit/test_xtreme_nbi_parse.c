/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/jwt.h"
#include "responders/xtreme_nbi_parse.h"
#include "tests/unit/unit.h"

static void test_lifetime(void)
{
        char *h = jwt_base64url_encode("{\"alg\":\"HS256\"}", 15);
        char *p = jwt_base64url_encode("{\"iat\":1000,\"exp\":4600}", 23);
        char *t = NULL;

        t = malloc(strlen(h) + strlen(p) + 8);
        sprintf(t, "%s.%s.sig", h, p);
        CU_ASSERT_EQUAL(nbi_jwt_lifetime(t), 3600);
        CU_ASSERT_EQUAL(nbi_jwt_lifetime("opaque-token"), 0);
        CU_ASSERT_EQUAL(nbi_jwt_lifetime("a.!!!.c"), 0);
        CU_ASSERT_EQUAL(nbi_jwt_lifetime(NULL), 0);
        free(h);
        free(p);
        free(t);
}

static void test_queries(void)
{
        char *q = nbi_query_mac_by_ip("10.0.0.1");
        CU_ASSERT_STRING_EQUAL(q, "{\"query\":\"query { accessControl { endSystemByIp(ipAddress: \\\"10.0.0.1\\\") "
                               "{ endSystem { ipAddress macAddress } } } }\"}");
        free(q);
        q = nbi_mutation_blacklist("AA:BB:CC:DD:EE:FF", false);
        CU_ASSERT_PTR_NOT_NULL(strstr(q, "removeMACFromBlacklist(input: { value: \\\"AA:BB:CC:DD:EE:FF\\\", "
                                         "reauthenticate: true })"));
        free(q);
        /* a quote cannot end the literal */
        q = nbi_mutation_blacklist("x\") { evil }", true);
        CU_ASSERT_PTR_NOT_NULL(strstr(q, "value: \\\"x\\\\\\\") { evil }\\\""));
        free(q);
}

static void test_parse(void)
{
        const char *ok = "{\"data\":{\"accessControl\":{\"endSystemByIp\":{\"endSystem\":{\"ipAddress\":\"10.0.0.1\","
                         "\"macAddress\":\"00-11-22-33-44-01\"}}}}}";
        const char *none = "{\"data\":{\"accessControl\":{\"endSystemByIp\":{\"endSystem\":null}}}}";
        const char *err = "{\"errors\":[{\"message\":\"boom\"}],\"data\":null}";
        char *mac = NULL, *e = NULL;

        CU_ASSERT_EQUAL(nbi_parse_mac(ok, strlen(ok), &mac, &e), 0);
        CU_ASSERT_STRING_EQUAL(mac, "00:11:22:33:44:01");
        free(mac);
        CU_ASSERT_EQUAL(nbi_parse_mac(none, strlen(none), &mac, &e), 0);
        CU_ASSERT_PTR_NULL(mac);
        CU_ASSERT_EQUAL(nbi_parse_mac(err, strlen(err), &mac, &e), -EPROTO);
        CU_ASSERT_STRING_EQUAL(e, "boom");
        free(e);
        CU_ASSERT_EQUAL(nbi_parse_mac("[]", 2, &mac, NULL), -EBADMSG);
}

static void test_blacklist(void)
{
        const char *ok = "{\"data\":{\"accessControl\":{\"addMACToBlacklist\":{\"status\":\"SUCCESS\",\"errorCode\":0}}}}";
        const char *already = "{\"data\":{\"accessControl\":{\"addMACToBlacklist\":{\"status\":\"ERROR\",\"errorCode\":2,"
                              "\"results\":\"MAC is already blacklisted\"}}}}";
        const char *bad = "{\"data\":{\"accessControl\":{\"removeMACFromBlacklist\":{\"status\":\"ERROR\",\"errorCode\":5,"
                          "\"results\":\"denied\"}}}}";
        const char *gone = "{\"data\":{\"accessControl\":{\"removeMACFromBlacklist\":{\"status\":\"ERROR\",\"errorCode\":4,"
                           "\"results\":\"MAC not found in blacklist\"}}}}";
        char *e = NULL;

        CU_ASSERT_EQUAL(nbi_parse_blacklist(ok, strlen(ok), true, &e), 0);
        CU_ASSERT_EQUAL(nbi_parse_blacklist(ok, strlen(ok), false, &e), -EBADMSG);
        CU_ASSERT_EQUAL(nbi_parse_blacklist(already, strlen(already), true, &e), 0);
        CU_ASSERT_EQUAL(nbi_parse_blacklist(gone, strlen(gone), false, &e), 0);
        CU_ASSERT_EQUAL(nbi_parse_blacklist(bad, strlen(bad), false, &e), -EPROTO);
        CU_ASSERT_STRING_EQUAL(e, "errorCode 5: denied");
        free(e);
}

void xtreme_nbi_parse_suite_add(void)
{
        UNIT_SUITE("xtreme_nbi_parse", UNIT_TEST(test_lifetime), UNIT_TEST(test_queries), UNIT_TEST(test_parse),
                   UNIT_TEST(test_blacklist));
}
