/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include "common/retry.h"

void retry_suite_add(void);

/* The RFC 9110 example instant, Sun, 06 Nov 1994 08:49:37 GMT. */
#define T_1994 ((time_t) 784111777)

static void test_policy_validate(void)
{
        RetryPolicy p = RETRY_POLICY_DEFAULT;

        CU_ASSERT_EQUAL(retry_policy_validate(&p), 0);
        CU_ASSERT_EQUAL(retry_policy_validate(NULL), -EINVAL);

        p.max_attempts = 0;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), -EINVAL);
        p.max_attempts = 1;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), 0);

        p.jitter = -0.01;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), -EINVAL);
        p.jitter = 1.01;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), -EINVAL);
        p.jitter = NAN;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), -EINVAL);
        p.jitter = 0.0;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), 0);
        p.jitter = 1.0;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), 0);

        p.base_ms = 1000;
        p.max_ms = 999;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), -EINVAL);
        p.max_ms = 1000;
        CU_ASSERT_EQUAL(retry_policy_validate(&p), 0);
}

static void test_backoff_no_jitter(void)
{
        RetryPolicy p = { .max_attempts = 10, .base_ms = 100, .max_ms = 5000, .jitter = 0.0 };
        static const uint64_t expected[] = { 0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };

        for (unsigned a = 0; a < sizeof(expected) / sizeof(expected[0]); a++) {
                CU_ASSERT_EQUAL(retry_backoff_ms(&p, a, 0), expected[a]);
                /* Without jitter the random draw must not matter. */
                CU_ASSERT_EQUAL(retry_backoff_ms(&p, a, UINT32_MAX), expected[a]);
                CU_ASSERT_EQUAL(retry_backoff_ms(&p, a, 12345), expected[a]);
        }
        CU_ASSERT_EQUAL(retry_backoff_ms(NULL, 3, 0), 0);
}

static void test_backoff_saturates(void)
{
        RetryPolicy p = { .max_attempts = 10, .base_ms = 1, .max_ms = UINT64_MAX, .jitter = 0.0 };

        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 1, 0), 1);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 64, 0), UINT64_C(1) << 63);
        /* 2^64 and beyond: saturate at the cap, never wrap to small values. */
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 65, 0), UINT64_MAX);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 200, 0), UINT64_MAX);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, UINT32_MAX, 0), UINT64_MAX);

        p = (RetryPolicy) { .max_attempts = 10, .base_ms = 3000, .max_ms = 10000 };
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 2, 0), 6000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 3, 0), 10000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 40, 0), 10000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 1000, 0), 10000);

        p.base_ms = 0;
        CU_ASSERT_EQUAL(retry_backoff_ms(&p, 5, UINT32_MAX), 0);
}

static void test_backoff_jitter(void)
{
        RetryPolicy full = { .max_attempts = 5, .base_ms = 1000, .max_ms = 60000, .jitter = 1.0 };
        RetryPolicy half = { .max_attempts = 5, .base_ms = 1000, .max_ms = 60000, .jitter = 0.5 };
        uint64_t prev = 0;

        /* Full jitter: [0, d]. */
        CU_ASSERT_EQUAL(retry_backoff_ms(&full, 1, 0), 0);
        CU_ASSERT_EQUAL(retry_backoff_ms(&full, 1, UINT32_MAX), 1000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&full, 3, UINT32_MAX), 4000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&full, 3, UINT32_MAX / 2), 1999);

        /* Partial jitter: [d/2, d]. */
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 1, 0), 500);
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 1, UINT32_MAX), 1000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 2, 0), 1000);
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 2, UINT32_MAX), 2000);

        /* Jitter is applied after the cap, so it still spreads capped delays. */
        half.max_ms = 1500;
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 5, 0), 750);
        CU_ASSERT_EQUAL(retry_backoff_ms(&half, 5, UINT32_MAX), 1500);

        /* Monotonic in the random draw and always inside the window. */
        for (uint64_t r = 0; r <= UINT32_MAX; r += 0x00fffffb) {
                uint64_t d = retry_backoff_ms(&full, 4, (uint32_t) r);
                CU_ASSERT(d <= 8000);
                CU_ASSERT(d >= prev);
                prev = d;
        }

        /* Huge spans take the floating-point path and stay in range. */
        full.max_ms = UINT64_MAX;
        full.base_ms = UINT64_C(1) << 40;
        CU_ASSERT_EQUAL(retry_backoff_ms(&full, 1, 0), 0);
        CU_ASSERT(retry_backoff_ms(&full, 1, UINT32_MAX) <= UINT64_C(1) << 40);
        CU_ASSERT(retry_backoff_ms(&full, 1, UINT32_MAX) >= (UINT64_C(1) << 40) - (UINT64_C(1) << 20));
}

static void test_retry_after_delta(void)
{
        uint64_t ms = 77;

        CU_ASSERT_EQUAL(retry_after_parse("0", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 0);
        CU_ASSERT_EQUAL(retry_after_parse("1", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 1000);
        CU_ASSERT_EQUAL(retry_after_parse("120", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 120000);
        CU_ASSERT_EQUAL(retry_after_parse(" \t 30 \t", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 30000);
        CU_ASSERT_EQUAL(retry_after_parse("007", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 7000);
        CU_ASSERT_EQUAL(retry_after_parse("18446744073709551", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, UINT64_C(18446744073709551000));

        ms = 77;
        CU_ASSERT_EQUAL(retry_after_parse("18446744073709552", T_1994, &ms), -ERANGE);
        CU_ASSERT_EQUAL(retry_after_parse("99999999999999999999999999", T_1994, &ms), -ERANGE);
        CU_ASSERT_EQUAL(ms, 77);
}

static void test_retry_after_garbage(void)
{
        static const char *const bad[] = {
                "", " ", "\t", "-1", "-0", "+5", "1.5", "1e3", "0x10", "5s", "5 s", "five", "1,2",
                "5\n", "\n5", "abc",
                /* Dates that are almost right. */
                "Sun, 06 Nov 1994 08:49:37 UTC",
                "Sun, 06 Nov 1994 08:49:37 gmt",
                "Sun, 06 Nov 1994 08:49:37",
                "Sun, 6 Nov 1994 08:49:37 GMT",
                "Sun, 06 Nov 94 08:49:37 GMT",
                "Sun, 06 Foo 1994 08:49:37 GMT",
                "Xyz, 06 Nov 1994 08:49:37 GMT",
                "Sun 06 Nov 1994 08:49:37 GMT",
                "Sun, 06 Nov 1994 08-49-37 GMT",
                "Sun, 06 Nov 1994 8:49:37 GMT ",
                "Sun, 31 Nov 1994 08:49:37 GMT",
                "Sun, 00 Nov 1994 08:49:37 GMT",
                "Sun, 29 Feb 1900 08:49:37 GMT",
                "Sun, 30 Feb 2000 08:49:37 GMT",
                "Sun, 06 Nov 1994 24:00:00 GMT",
                "Sun, 06 Nov 1994 23:60:00 GMT",
                "Sun, 06 Nov 1994 23:59:61 GMT",
                "Sun, 06 Nov 1994 08:49:37 GMTX",
                "Sun, 06 Nov 19x4 08:49:37 GMT",
                "Sunday, 06-Nov-94 08:49:37 UTC",
                "Sunday, 06 Nov 94 08:49:37 GMT",
                "Sundax, 06-Nov-94 08:49:37 GMT",
                "Sun Nov 6 08:49:37 1994",
                "Sun Nov  6 08:49:37 94",
                "Sun Nov 36 08:49:37 1994",
        };
        uint64_t ms = 77;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = retry_after_parse(bad[i], T_1994, &ms);
                if (r != -EINVAL)
                        fprintf(stderr, "retry_after_parse('%s') = %d\n", bad[i], r);
                CU_ASSERT_EQUAL(r, -EINVAL);
        }
        CU_ASSERT_EQUAL(retry_after_parse(NULL, T_1994, &ms), -EINVAL);
        /* ret_* untouched on failure. */
        CU_ASSERT_EQUAL(ms, 77);
}

static void test_retry_after_date(void)
{
        uint64_t ms = 77;

        /* IMF-fixdate, RFC 9110's own example, seen from various "now"s. */
        CU_ASSERT_EQUAL(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", T_1994 - 90, &ms), 0);
        CU_ASSERT_EQUAL(ms, 90000);
        CU_ASSERT_EQUAL(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", T_1994, &ms), 0);
        CU_ASSERT_EQUAL(ms, 0);
        CU_ASSERT_EQUAL(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", T_1994 + 3600, &ms), 0);
        CU_ASSERT_EQUAL(ms, 0);
        CU_ASSERT_EQUAL(retry_after_parse("  Sun, 06 Nov 1994 08:49:37 GMT ", T_1994 - 1, &ms), 0);
        CU_ASSERT_EQUAL(ms, 1000);

        /* Year, month and leap-day boundaries. */
        CU_ASSERT_EQUAL(retry_after_parse("Thu, 01 Jan 1970 00:00:10 GMT", 0, &ms), 0);
        CU_ASSERT_EQUAL(ms, 10000);
        CU_ASSERT_EQUAL(retry_after_parse("Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 5, &ms), 0);
        CU_ASSERT_EQUAL(ms, 5000);
        CU_ASSERT_EQUAL(retry_after_parse("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 - 2, &ms), 0);
        CU_ASSERT_EQUAL(ms, 2000);
        CU_ASSERT_EQUAL(retry_after_parse("Fri, 31 Dec 2038 23:59:59 GMT", 2177452799 - 1, &ms), 0);
        CU_ASSERT_EQUAL(ms, 1000);
        CU_ASSERT_EQUAL(retry_after_parse("Sat, 01 Jan 2000 00:00:00 GMT", 946684800 - 60, &ms), 0);
        CU_ASSERT_EQUAL(ms, 60000);

        /* Obsolete forms that RFC 9110 §5.6.7 says recipients must accept. */
        CU_ASSERT_EQUAL(retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", T_1994 - 3, &ms), 0);
        CU_ASSERT_EQUAL(ms, 3000);
        CU_ASSERT_EQUAL(retry_after_parse("Sun Nov  6 08:49:37 1994", T_1994 - 4, &ms), 0);
        CU_ASSERT_EQUAL(ms, 4000);
        CU_ASSERT_EQUAL(retry_after_parse("Sun Nov 16 08:49:37 1994", T_1994 - 4, &ms), 0);
        CU_ASSERT_EQUAL(ms, (10 * 86400 + 4) * UINT64_C(1000));

        /* RFC 850 two-digit years: "70" seen from 1970 is 1970... */
        CU_ASSERT_EQUAL(retry_after_parse("Thursday, 01-Jan-70 00:01:00 GMT", 0, &ms), 0);
        CU_ASSERT_EQUAL(ms, 60000);
        /* ... "99" seen from 2050 is 2099, but "95" seen from 2044 is 1995 (past). */
        CU_ASSERT_EQUAL(retry_after_parse("Thursday, 01-Jan-99 00:00:00 GMT", 2524608000, &ms), 0);
        CU_ASSERT(ms > 0);
        CU_ASSERT_EQUAL(retry_after_parse("Sunday, 01-Jan-95 00:00:00 GMT", 2335219200, &ms), 0);
        CU_ASSERT_EQUAL(ms, 0);
        /* Exactly 50 years ahead is still the future. */
        CU_ASSERT_EQUAL(retry_after_parse("Friday, 01-Jan-94 00:00:00 GMT", 2335219200, &ms), 0);
        CU_ASSERT_EQUAL(ms, (UINT64_C(3913142400) - UINT64_C(2335219200)) * 1000);
}

static void test_classify_status(void)
{
        for (long s = 0; s < 700; s++) {
                HttpErrClass want;

                if (s >= 200 && s < 400)
                        want = HTTP_ERR_OK;
                else if (s == 401 || s == 403)
                        want = HTTP_ERR_AUTH;
                else if (s == 408 || s == 429)
                        want = HTTP_ERR_TRANSIENT;
                else if (s >= 500 && s < 600 && s != 501 && s != 505)
                        want = HTTP_ERR_TRANSIENT;
                else
                        want = HTTP_ERR_PERMANENT;
                if (http_classify(s, CURLE_OK) != want)
                        fprintf(stderr, "http_classify(%ld) = %d, want %d\n", s, http_classify(s, CURLE_OK), want);
                CU_ASSERT_EQUAL(http_classify(s, CURLE_OK), want);
        }
        /* Spot checks written out, so the table above cannot drift with the code. */
        CU_ASSERT_EQUAL(http_classify(200, 0), HTTP_ERR_OK);
        CU_ASSERT_EQUAL(http_classify(204, 0), HTTP_ERR_OK);
        CU_ASSERT_EQUAL(http_classify(304, 0), HTTP_ERR_OK);
        CU_ASSERT_EQUAL(http_classify(400, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(401, 0), HTTP_ERR_AUTH);
        CU_ASSERT_EQUAL(http_classify(403, 0), HTTP_ERR_AUTH);
        CU_ASSERT_EQUAL(http_classify(404, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(409, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(422, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(429, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(500, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(501, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(502, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(503, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(504, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(505, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(599, 0), HTTP_ERR_TRANSIENT);
        CU_ASSERT_EQUAL(http_classify(100, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(0, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(-1, 0), HTTP_ERR_PERMANENT);
        CU_ASSERT_EQUAL(http_classify(600, 0), HTTP_ERR_PERMANENT);
}

static void test_classify_curl(void)
{
        static const struct {
                int code;
                HttpErrClass cls;
                int err;
        } table[] = {
                { CURLE_OPERATION_TIMEDOUT, HTTP_ERR_TRANSIENT, -ETIMEDOUT },
                { CURLE_COULDNT_CONNECT, HTTP_ERR_TRANSIENT, -ECONNREFUSED },
                { CURLE_COULDNT_RESOLVE_HOST, HTTP_ERR_TRANSIENT, -EHOSTUNREACH },
                { CURLE_COULDNT_RESOLVE_PROXY, HTTP_ERR_TRANSIENT, -EHOSTUNREACH },
                { CURLE_GOT_NOTHING, HTTP_ERR_TRANSIENT, -ECONNRESET },
                { CURLE_RECV_ERROR, HTTP_ERR_TRANSIENT, -ECONNRESET },
                { CURLE_SEND_ERROR, HTTP_ERR_TRANSIENT, -ECONNRESET },
                { CURLE_PARTIAL_FILE, HTTP_ERR_TRANSIENT, -ECONNRESET },
                { CURLE_SSL_CONNECT_ERROR, HTTP_ERR_TRANSIENT, -ECONNRESET },
                { CURLE_HTTP2, HTTP_ERR_TRANSIENT, -EAGAIN },
                { CURLE_HTTP2_STREAM, HTTP_ERR_TRANSIENT, -EAGAIN },
                { CURLE_AGAIN, HTTP_ERR_TRANSIENT, -EAGAIN },
                { CURLE_PEER_FAILED_VERIFICATION, HTTP_ERR_PERMANENT, -EKEYREJECTED },
                { CURLE_SSL_CACERT_BADFILE, HTTP_ERR_PERMANENT, -EKEYREJECTED },
                { CURLE_SSL_CERTPROBLEM, HTTP_ERR_PERMANENT, -EKEYREJECTED },
                { CURLE_SSL_ISSUER_ERROR, HTTP_ERR_PERMANENT, -EKEYREJECTED },
                { CURLE_SSL_PINNEDPUBKEYNOTMATCH, HTTP_ERR_PERMANENT, -EKEYREJECTED },
                { CURLE_URL_MALFORMAT, HTTP_ERR_PERMANENT, -EINVAL },
                { CURLE_UNSUPPORTED_PROTOCOL, HTTP_ERR_PERMANENT, -EINVAL },
                { CURLE_FILESIZE_EXCEEDED, HTTP_ERR_PERMANENT, -EFBIG },
                { CURLE_TOO_MANY_REDIRECTS, HTTP_ERR_PERMANENT, -ELOOP },
                { CURLE_WEIRD_SERVER_REPLY, HTTP_ERR_PERMANENT, -EPROTO },
                { CURLE_LOGIN_DENIED, HTTP_ERR_AUTH, -EACCES },
                { CURLE_REMOTE_ACCESS_DENIED, HTTP_ERR_AUTH, -EACCES },
                { CURLE_WRITE_ERROR, HTTP_ERR_PERMANENT, -EIO },
                { CURLE_ABORTED_BY_CALLBACK, HTTP_ERR_PERMANENT, -EIO },
                { CURLE_OUT_OF_MEMORY, HTTP_ERR_PERMANENT, -EIO },
                { 9999, HTTP_ERR_PERMANENT, -EIO },
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                /* A curl failure wins over whatever status was seen before it. */
                CU_ASSERT_EQUAL(http_classify(0, table[i].code), table[i].cls);
                CU_ASSERT_EQUAL(http_classify(200, table[i].code), table[i].cls);
                CU_ASSERT_EQUAL(http_error_to_errno(0, table[i].code), table[i].err);
                CU_ASSERT_EQUAL(http_error_to_errno(200, table[i].code), table[i].err);
        }
}

static void test_errno_status(void)
{
        CU_ASSERT_EQUAL(http_error_to_errno(200, 0), 0);
        CU_ASSERT_EQUAL(http_error_to_errno(201, 0), 0);
        CU_ASSERT_EQUAL(http_error_to_errno(302, 0), 0);
        CU_ASSERT_EQUAL(http_error_to_errno(400, 0), -EPROTO);
        CU_ASSERT_EQUAL(http_error_to_errno(401, 0), -EACCES);
        CU_ASSERT_EQUAL(http_error_to_errno(403, 0), -EACCES);
        CU_ASSERT_EQUAL(http_error_to_errno(404, 0), -ENOENT);
        CU_ASSERT_EQUAL(http_error_to_errno(408, 0), -ETIMEDOUT);
        CU_ASSERT_EQUAL(http_error_to_errno(409, 0), -EPROTO);
        CU_ASSERT_EQUAL(http_error_to_errno(429, 0), -EAGAIN);
        CU_ASSERT_EQUAL(http_error_to_errno(500, 0), -EAGAIN);
        CU_ASSERT_EQUAL(http_error_to_errno(501, 0), -EPROTO);
        CU_ASSERT_EQUAL(http_error_to_errno(503, 0), -EAGAIN);
        CU_ASSERT_EQUAL(http_error_to_errno(504, 0), -ETIMEDOUT);
        CU_ASSERT_EQUAL(http_error_to_errno(505, 0), -EPROTO);
        CU_ASSERT_EQUAL(http_error_to_errno(0, 0), -EPROTO);
        CU_ASSERT_EQUAL(http_error_to_errno(100, 0), -EPROTO);

        /* The errno always agrees with the class on "success or not". */
        for (long s = 0; s < 700; s++)
                CU_ASSERT_EQUAL(http_error_to_errno(s, 0) == 0, http_classify(s, 0) == HTTP_ERR_OK);
}

static void test_should_retry(void)
{
        RetryPolicy p = { .max_attempts = 3, .base_ms = 10, .max_ms = 100 };

        CU_ASSERT_TRUE(retry_should_retry(&p, 1, HTTP_ERR_TRANSIENT));
        CU_ASSERT_TRUE(retry_should_retry(&p, 2, HTTP_ERR_TRANSIENT));
        CU_ASSERT_FALSE(retry_should_retry(&p, 3, HTTP_ERR_TRANSIENT));
        CU_ASSERT_FALSE(retry_should_retry(&p, 4, HTTP_ERR_TRANSIENT));
        CU_ASSERT_FALSE(retry_should_retry(&p, 1, HTTP_ERR_OK));
        CU_ASSERT_FALSE(retry_should_retry(&p, 1, HTTP_ERR_AUTH));
        CU_ASSERT_FALSE(retry_should_retry(&p, 1, HTTP_ERR_PERMANENT));
        CU_ASSERT_FALSE(retry_should_retry(&p, 1, _HTTP_ERR_CLASS_INVALID));
        CU_ASSERT_FALSE(retry_should_retry(NULL, 1, HTTP_ERR_TRANSIENT));
        p.max_attempts = 1;
        CU_ASSERT_FALSE(retry_should_retry(&p, 1, HTTP_ERR_TRANSIENT));
}

static void test_next_delay(void)
{
        RetryPolicy p = { .max_attempts = 5, .base_ms = 100, .max_ms = 10000, .jitter = 0.0 };

        /* No Retry-After: plain backoff. */
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 503, NULL, T_1994), 100);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 3, 0, 0, NULL, T_1994), 400);

        /* Honoured on 429 and 503, in both forms. */
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 429, "2", T_1994), 2000);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 503, "3", T_1994), 3000);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 503, "Sun, 06 Nov 1994 08:49:37 GMT", T_1994 - 4), 4000);

        /* Never shorter than the backoff: a server saying "0" does not make us hammer it. */
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 3, 0, 429, "0", T_1994), 400);

        /* Capped by the policy. */
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 429, "3600", T_1994), 10000);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 429, "99999999999999999999", T_1994), 100);

        /* Ignored on other statuses and when unparsable. */
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 500, "5", T_1994), 100);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 502, "5", T_1994), 100);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 0, "5", T_1994), 100);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 429, "soon", T_1994), 100);
        CU_ASSERT_EQUAL(retry_next_delay_ms(&p, 1, 0, 429, "-5", T_1994), 100);

        CU_ASSERT_EQUAL(retry_next_delay_ms(NULL, 1, 0, 429, "5", T_1994), 0);
}

static void test_class_names(void)
{
        CU_ASSERT_STRING_EQUAL(http_err_class_to_string(HTTP_ERR_OK), "ok");
        CU_ASSERT_STRING_EQUAL(http_err_class_to_string(HTTP_ERR_TRANSIENT), "transient");
        CU_ASSERT_STRING_EQUAL(http_err_class_to_string(HTTP_ERR_AUTH), "auth");
        CU_ASSERT_STRING_EQUAL(http_err_class_to_string(HTTP_ERR_PERMANENT), "permanent");
        CU_ASSERT_PTR_NULL(http_err_class_to_string(_HTTP_ERR_CLASS_MAX));
        CU_ASSERT_PTR_NULL(http_err_class_to_string(_HTTP_ERR_CLASS_INVALID));
}

void retry_suite_add(void)
{
        CU_pSuite s = CU_add_suite("retry", NULL, NULL);

        CU_add_test(s, "policy_validate", test_policy_validate);
        CU_add_test(s, "backoff_no_jitter", test_backoff_no_jitter);
        CU_add_test(s, "backoff_saturates", test_backoff_saturates);
        CU_add_test(s, "backoff_jitter", test_backoff_jitter);
        CU_add_test(s, "retry_after_delta", test_retry_after_delta);
        CU_add_test(s, "retry_after_garbage", test_retry_after_garbage);
        CU_add_test(s, "retry_after_date", test_retry_after_date);
        CU_add_test(s, "classify_status", test_classify_status);
        CU_add_test(s, "classify_curl", test_classify_curl);
        CU_add_test(s, "errno_status", test_errno_status);
        CU_add_test(s, "should_retry", test_should_retry);
        CU_add_test(s, "next_delay", test_next_delay);
        CU_add_test(s, "class_names", test_class_names);
}
