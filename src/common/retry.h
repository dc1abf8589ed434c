/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Retry policy and HTTP failure classification. Pure: no I/O, no logging,
 * no clock and no randomness of its own (the caller injects both), so the
 * unit tests can pin every decision. */

typedef struct RetryPolicy {
        unsigned max_attempts;  /* total attempts, first one included; >= 1 */
        uint64_t base_ms;       /* delay after the first failed attempt */
        uint64_t max_ms;        /* cap on any delay, Retry-After included */
        double jitter;          /* 0 = none, 1 = full jitter: delay in [d*(1-jitter), d] */
} RetryPolicy;

/* 4 attempts, 0.5 s, 1 s, 2 s (each -50 % jitter at most), never more than 30 s. */
#define RETRY_POLICY_DEFAULT                                                    \
        ((RetryPolicy) { .max_attempts = 4, .base_ms = 500, .max_ms = 30000, .jitter = 0.5 })

typedef enum HttpErrClass {
        HTTP_ERR_OK,            /* final 2xx/3xx */
        HTTP_ERR_TRANSIENT,     /* worth retrying: 408, 429, 5xx (not 501/505), network */
        HTTP_ERR_AUTH,          /* 401/403: credentials, never retried */
        HTTP_ERR_PERMANENT,     /* other 4xx, TLS verification, bad URL, ...: never retried */
        _HTTP_ERR_CLASS_MAX,
        _HTTP_ERR_CLASS_INVALID = -EINVAL,
} HttpErrClass;

/* 0 when usable, -EINVAL otherwise (no attempt, jitter outside [0,1] or
 * NaN, max_ms below base_ms). */
int retry_policy_validate(const RetryPolicy *p);

/* Delay before the next attempt, after `attempt` attempts failed (1 for the
 * delay after the first failure; 0 returns 0). Exponential: base_ms *
 * 2^(attempt-1), capped at max_ms, then reduced by jitter: `random` (any
 * uint32_t, uniformly drawn by the caller) picks the point in
 * [d - d*jitter, d], 0 giving the low end and UINT32_MAX the high end. */
uint64_t retry_backoff_ms(const RetryPolicy *p, unsigned attempt, uint32_t random);

/* Parses a Retry-After value (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date (IMF-fixdate; the obsolete RFC 850 and asctime forms, which
 * RFC 9110 §5.6.7 says recipients must accept, too), surrounding blanks
 * allowed. A date at or before `now` gives 0. Returns 0, -EINVAL for
 * anything else (signs, fractions, garbage, impossible dates) or -ERANGE
 * for a delay too large to express in ms. */
int retry_after_parse(const char *value, time_t now, uint64_t *ret_ms);

/* `curl_code` is a CURLcode (0 = CURLE_OK); `status` is the final HTTP
 * status, 0 when there was none. Curl errors win over the status. */
HttpErrClass http_classify(long status, int curl_code);

/* The negative errno the HTTP client reports for such an outcome: 0,
 * -ETIMEDOUT (timeouts, 408, 504), -EAGAIN (429, other transient 5xx),
 * -ECONNREFUSED, -ECONNRESET (dropped, reset, empty reply),
 * -EHOSTUNREACH (DNS), -EACCES (401/403), -ENOENT (404), -EKEYREJECTED
 * (TLS peer verification), -EINVAL (malformed URL), -EFBIG (size limit),
 * -ELOOP (redirects), -EPROTO (other 4xx/5xx, broken replies), -EIO. */
int http_error_to_errno(long status, int curl_code);

/* Whether a failure of this class after `attempts_made` attempts gets
 * another one. */
bool retry_should_retry(const RetryPolicy *p, unsigned attempts_made, HttpErrClass c);

/* The delay before the next attempt: the backoff for `attempt`, raised to
 * the server's Retry-After (may be NULL) on 429 and 503, everything capped
 * at p->max_ms. An unparsable Retry-After is ignored. */
uint64_t retry_next_delay_ms(const RetryPolicy *p, unsigned attempt, uint32_t random,
                             long status, const char *retry_after, time_t now);

const char *http_err_class_to_string(HttpErrClass c);
