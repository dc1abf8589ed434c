/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <curl/curl.h>  /* CURLcode values only: nothing here calls libcurl */
#include "common/retry.h"

int retry_policy_validate(const RetryPolicy *p)
{
        if (!p || p->max_attempts < 1)
                return -EINVAL;
        /* !(a >= b) also catches NaN. */
        if (!(p->jitter >= 0.0) || !(p->jitter <= 1.0))
                return -EINVAL;
        if (p->max_ms < p->base_ms)
                return -EINVAL;
        return 0;
}

uint64_t retry_backoff_ms(const RetryPolicy *p, unsigned attempt, uint32_t random)
{
        uint64_t d, span;
        double j;

        if (!p || attempt == 0 || p->base_ms == 0)
                return 0;

        /* base * 2^(attempt-1), saturating at the cap instead of overflowing. */
        if (attempt - 1 >= 64 || p->base_ms > (p->max_ms >> (attempt - 1)))
                d = p->max_ms;
        else
                d = p->base_ms << (attempt - 1);
        if (d > p->max_ms)
                d = p->max_ms;

        j = p->jitter;
        if (!(j > 0.0))
                return d;
        if (j > 1.0)
                j = 1.0;
        span = (uint64_t) ((double) d * j);
        if (span > d)
                span = d;
        if (span <= UINT32_MAX)
                /* Both factors < 2^32: exact, and random == UINT32_MAX gives d. */
                return d - span + span * random / UINT32_MAX;
        return d - span + (uint64_t) ((double) span * ((double) random / (double) UINT32_MAX));
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static int parse_digits(const char *s, size_t n, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

static const char *const month_names[12] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const day_names[7] = {
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};
static const char *const day_names_long[7] = {
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

static int parse_month(const char *s)
{
        for (int i = 0; i < 12; i++)
                if (strncmp(s, month_names[i], 3) == 0)
                        return i + 1;
        return -EINVAL;
}

/* Returns the length of the day name at s, or 0. */
static size_t match_day_name(const char *s, bool long_form)
{
        for (int i = 0; i < 7; i++) {
                const char *n = long_form ? day_names_long[i] : day_names[i];
                size_t l = strlen(n);
                if (strncmp(s, n, l) == 0)
                        return l;
        }
        return 0;
}

static bool is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned) (y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static int make_time(int year, int mon, int day, int h, int min, int sec, int64_t *ret)
{
        static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (mon < 1 || mon > 12 || day < 1)
                return -EINVAL;
        if (day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
                return -EINVAL;
        /* 60: a leap second is a legal time-of-day (RFC 5322). */
        if (h > 23 || min > 59 || sec > 60)
                return -EINVAL;
        *ret = days_from_civil(year, (unsigned) mon, (unsigned) day) * 86400 + h * 3600 + min * 60 + sec;
        return 0;
}

/* "HH:MM:SS" */
static int parse_clock(const char *s, int *h, int *m, int *sec)
{
        if (s[2] != ':' || s[5] != ':')
                return -EINVAL;
        if (parse_digits(s, 2, h) < 0 || parse_digits(s + 3, 2, m) < 0 || parse_digits(s + 6, 2, sec) < 0)
                return -EINVAL;
        return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static int parse_imf_fixdate(const char *s, size_t n, int64_t *ret)
{
        int day, mon, year, h, m, sec;

        if (n != 29 || match_day_name(s, false) != 3 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
            s[11] != ' ' || s[16] != ' ' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
                return -EINVAL;
        if (parse_digits(s + 5, 2, &day) < 0 || (mon = parse_month(s + 8)) < 0 ||
            parse_digits(s + 12, 4, &year) < 0 || parse_clock(s + 17, &h, &m, &sec) < 0)
                return -EINVAL;
        return make_time(year, mon, day, h, m, sec, ret);
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
static int parse_rfc850(const char *s, size_t n, time_t now, int64_t *ret)
{
        size_t l = match_day_name(s, true);
        int day, mon, yy, year, h, m, sec, cur_year;
        struct tm tm;
        const char *p;

        if (l == 0 || n != l + 24)
                return -EINVAL;
        p = s + l;
        if (p[0] != ',' || p[1] != ' ' || p[4] != '-' || p[8] != '-' || p[11] != ' ' ||
            p[20] != ' ' || memcmp(p + 21, "GMT", 3) != 0)
                return -EINVAL;
        if (parse_digits(p + 2, 2, &day) < 0 || (mon = parse_month(p + 5)) < 0 ||
            parse_digits(p + 9, 2, &yy) < 0 || parse_clock(p + 12, &h, &m, &sec) < 0)
                return -EINVAL;

        /* RFC 9110 §5.6.7: a two-digit year more than 50 years in the future
         * is the most recent past year with those digits. */
        if (!gmtime_r(&now, &tm))
                return -EINVAL;
        cur_year = tm.tm_year + 1900;
        year = cur_year - cur_year % 100 + yy;
        if (year > cur_year + 50)
                year -= 100;
        return make_time(year, mon, day, h, m, sec, ret);
}

/* asctime-date: "Sun Nov  6 08:49:37 1994" */
static int parse_asctime(const char *s, size_t n, int64_t *ret)
{
        int day, mon, year, h, m, sec;

        if (n != 24 || match_day_name(s, false) != 3 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
            s[19] != ' ')
                return -EINVAL;
        if ((mon = parse_month(s + 4)) < 0)
                return -EINVAL;
        if (s[8] == ' ') {
                if (parse_digits(s + 9, 1, &day) < 0)
                        return -EINVAL;
        } else if (parse_digits(s + 8, 2, &day) < 0)
                return -EINVAL;
        if (parse_clock(s + 11, &h, &m, &sec) < 0 || parse_digits(s + 20, 4, &year) < 0)
                return -EINVAL;
        return make_time(year, mon, day, h, m, sec, ret);
}

int retry_after_parse(const char *value, time_t now, uint64_t *ret_ms)
{
        const char *s;
        size_t n;
        int64_t t;

        if (!value)
                return -EINVAL;
        s = value;
        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                n--;
        if (n == 0)
                return -EINVAL;

        if (s[0] >= '0' && s[0] <= '9') {
                uint64_t v = 0;

                for (size_t i = 0; i < n; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return -EINVAL;
                        unsigned digit = (unsigned) (s[i] - '0');

                        /* v * 10 + digit must stay <= UINT64_MAX / 1000. */
                        if (v > (UINT64_MAX / 1000 - digit) / 10)
                                return -ERANGE;
                        v = v * 10 + digit;
                }
                *ret_ms = v * 1000;
                return 0;
        }

        if (parse_imf_fixdate(s, n, &t) < 0 && parse_rfc850(s, n, now, &t) < 0 && parse_asctime(s, n, &t) < 0)
                return -EINVAL;
        *ret_ms = t > (int64_t) now ? (uint64_t) (t - (int64_t) now) * 1000 : 0;
        return 0;
}

/* Curl failures that say nothing about the request itself: the network,
 * the peer or a timeout, so the same request may well work later. */
static bool curl_code_is_transient(int code)
{
        switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:   /* handshake cut short; verification failures have own codes */
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_AGAIN:
                return true;
        default:
                return false;
        }
}

HttpErrClass http_classify(long status, int curl_code)
{
        if (curl_code != CURLE_OK) {
                if (curl_code_is_transient(curl_code))
                        return HTTP_ERR_TRANSIENT;
                if (curl_code == CURLE_LOGIN_DENIED || curl_code == CURLE_REMOTE_ACCESS_DENIED)
                        return HTTP_ERR_AUTH;
                /* Including TLS verification, bad URLs, size limits and codes we
                 * do not know: retrying those would only hammer the vendor. */
                return HTTP_ERR_PERMANENT;
        }

        if (status >= 200 && status < 400)
                return HTTP_ERR_OK;
        if (status == 401 || status == 403)
                return HTTP_ERR_AUTH;
        if (status == 408 || status == 429)
                return HTTP_ERR_TRANSIENT;
        if (status >= 500 && status < 600)
                return status == 501 || status == 505 ? HTTP_ERR_PERMANENT : HTTP_ERR_TRANSIENT;
        /* Other 4xx, a 1xx as final answer, no status at all, nonsense. */
        return HTTP_ERR_PERMANENT;
}

int http_error_to_errno(long status, int curl_code)
{
        switch (curl_code) {
        case CURLE_OK:
                break;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
                return -ECONNRESET;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return -EKEYREJECTED;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EINVAL;
        case CURLE_FILESIZE_EXCEEDED:
                return -EFBIG;
        case CURLE_TOO_MANY_REDIRECTS:
                return -ELOOP;
        case CURLE_LOGIN_DENIED:
        case CURLE_REMOTE_ACCESS_DENIED:
                return -EACCES;
        case CURLE_AGAIN:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return -EAGAIN;
        case CURLE_WEIRD_SERVER_REPLY:
                return -EPROTO;
        default:
                return -EIO;
        }

        if (status >= 200 && status < 400)
                return 0;
        switch (status) {
        case 401:
        case 403:
                return -EACCES;
        case 404:
                return -ENOENT;
        case 408:
        case 504:
                return -ETIMEDOUT;
        case 429:
                return -EAGAIN;
        default:
                break;
        }
        if (status >= 500 && status < 600 && status != 501 && status != 505)
                return -EAGAIN;
        return -EPROTO;
}

bool retry_should_retry(const RetryPolicy *p, unsigned attempts_made, HttpErrClass c)
{
        if (!p || c != HTTP_ERR_TRANSIENT)
                return false;
        return attempts_made < p->max_attempts;
}

uint64_t retry_next_delay_ms(const RetryPolicy *p, unsigned attempt, uint32_t random,
                             long status, const char *retry_after, time_t now)
{
        uint64_t d = retry_backoff_ms(p, attempt, random), ra;

        if (!p)
                return 0;
        if ((status == 429 || status == 503) && retry_after &&
            retry_after_parse(retry_after, now, &ra) >= 0 && ra > d)
                d = ra;
        return d < p->max_ms ? d : p->max_ms;
}

const char *http_err_class_to_string(HttpErrClass c)
{
        static const char *const names[_HTTP_ERR_CLASS_MAX] = {
                [HTTP_ERR_OK] = "ok",
                [HTTP_ERR_TRANSIENT] = "transient",
                [HTTP_ERR_AUTH] = "auth",
                [HTTP_ERR_PERMANENT] = "permanent",
        };
        return c >= 0 && c < _HTTP_ERR_CLASS_MAX ? names[c] : NULL;
}
