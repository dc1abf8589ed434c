/* SPDX-License-Identifier: MIT */
/* src/daemon/jwt.c, every failure path; and the pure helpers of jwks.c
 * (host names, allow-list patterns).  Keys are made here (RSA 2048). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "common/xalloc.h"
#include "daemon/jwks.h"
#include "daemon/jwt.h"
#include "tests/unit/unit.h"

void jwt_suite_add(void);

#define T0 ((time_t) 1700000000)
#define AUD "http://localhost"
#define SECRET "legacy-shared-secret"

static const char *const auds[] = { AUD, NULL };

/* ---- keys and tokens ---------------------------------------------------- */

static EVP_PKEY *keys[2];

static EVP_PKEY *key(int i)
{
        if (!keys[i]) {
                keys[i] = EVP_RSA_gen(2048);
                if (!keys[i])
                        abort();
        }
        return keys[i];
}

static char *b64(const char *s)
{
        return jwt_base64url_encode(s, strlen(s));
}

static uint8_t *rs256_sign(EVP_PKEY *k, const char *input, size_t *ret_len)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t len = 0;
        uint8_t *sig;

        if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
            EVP_DigestSign(ctx, NULL, &len, (const uint8_t *) input, strlen(input)) != 1)
                abort();
        sig = xmalloc(len);
        if (EVP_DigestSign(ctx, sig, &len, (const uint8_t *) input, strlen(input)) != 1)
                abort();
        EVP_MD_CTX_free(ctx);
        *ret_len = len;
        return sig;
}

static uint8_t *hs256_sign(const char *secret, const char *input, size_t *ret_len)
{
        uint8_t *mac = xmalloc(EVP_MAX_MD_SIZE);
        unsigned len = 0;

        if (!HMAC(EVP_sha256(), secret, (int) strlen(secret), (const uint8_t *) input, strlen(input), mac, &len))
                abort();
        *ret_len = len;
        return mac;
}

typedef enum Signer { SIGN_NONE, SIGN_RS256, SIGN_HS256 } Signer;

/* header.payload.signature over the given JSON texts; the signature by
 * `how` with key k or the secret. */
static char *token_raw(const char *header, const char *payload, Signer how, EVP_PKEY *k, const char *secret)
{
        _cleanup_free_ char *h = b64(header), *p = b64(payload), *input = xasprintf("%s.%s", h, p);
        _cleanup_free_ char *s = NULL;
        uint8_t *sig = NULL;
        size_t sig_len = 0;

        if (how == SIGN_RS256)
                sig = rs256_sign(k, input, &sig_len);
        else if (how == SIGN_HS256)
                sig = hs256_sign(secret, input, &sig_len);
        s = jwt_base64url_encode(sig, sig_len);
        free(sig);
        return xasprintf("%s.%s", input, s);
}

static char *rs_token(int k, const char *payload)
{
        return token_raw("{\"alg\":\"RS256\",\"kid\":\"kid-1\",\"typ\":\"JWT\"}", payload, SIGN_RS256, key(k), NULL);
}

static char *hs_token(const char *secret, const char *payload)
{
        return token_raw("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, SIGN_HS256, NULL, secret);
}

static JwtVerifyOptions rs_opts(int k)
{
        return (JwtVerifyOptions) { .alg = JWT_ALG_RS256, .key = key(k), .audiences = auds, .now = T0,
                                    .leeway_sec = JWT_DEFAULT_LEEWAY_SEC };
}

static JwtVerifyOptions hs_opts(const char *secret)
{
        return (JwtVerifyOptions) { .alg = JWT_ALG_HS256, .secret = secret, .secret_len = secret ? strlen(secret) : 0,
                                    .now = T0, .leeway_sec = JWT_DEFAULT_LEEWAY_SEC };
}

/* jwt_decode(); returns the JwtError, checking that the errno goes with it. */
static JwtError decode(const char *token, const JwtVerifyOptions *o)
{
        JwtError e = _JWT_ERROR_MAX;
        cJSON *claims = NULL;
        int r;

        r = jwt_decode(token, strlen(token), o, &claims, &e);
        if (r == 0) {
                CU_ASSERT_EQUAL(e, JWT_OK);
                CU_ASSERT_PTR_NOT_NULL(claims);
        } else {
                CU_ASSERT(r < 0);
                CU_ASSERT_PTR_NULL(claims);
                if (e != JWT_ERR_KEY_INVALID)
                        CU_ASSERT_EQUAL(r, jwt_error_to_errno(e));
        }
        cJSON_Delete(claims);
        return e;
}

static JwtError parse_error(const char *token)
{
        JwtError e = _JWT_ERROR_MAX;
        JwtToken *t = NULL;
        int r = jwt_parse(token, strlen(token), &t, &e);

        CU_ASSERT((r == 0) == (t != NULL));
        jwt_token_free(t);
        return r == 0 ? JWT_OK : e;
}

static JwtError rs_payload(const char *payload, time_t now, unsigned leeway)
{
        _cleanup_free_ char *tok = rs_token(0, payload);
        JwtVerifyOptions o = rs_opts(0);

        o.now = now;
        o.leeway_sec = leeway;
        return decode(tok, &o);
}

/* ---- errors and messages ------------------------------------------------ */

static void test_error_table(void)
{
        CU_ASSERT_STRING_EQUAL(jwt_error_to_string(JWT_OK), "ok");
        CU_ASSERT_EQUAL(jwt_error_to_errno(JWT_OK), 0);
        CU_ASSERT_PTR_NULL(jwt_error_tr_message(JWT_OK, JWT_ALG_RS256));
        CU_ASSERT_PTR_NULL(jwt_error_to_string(_JWT_ERROR_MAX));
        CU_ASSERT_PTR_NULL(jwt_error_to_string(_JWT_ERROR_INVALID));
        CU_ASSERT_PTR_NULL(jwt_error_tr_message(_JWT_ERROR_MAX, JWT_ALG_RS256));
        CU_ASSERT_EQUAL(jwt_error_to_errno(_JWT_ERROR_MAX), -EINVAL);
        CU_ASSERT_STRING_EQUAL(JWT_TR_CODE, "authorization error");

        for (JwtError e = JWT_OK + 1; e < _JWT_ERROR_MAX; e++) {
                for (JwtAlg a = 0; a < _JWT_ALG_MAX; a++) {
                        const char *m = jwt_error_tr_message(e, a);
                        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
                        CU_ASSERT_EQUAL(strncmp(m, "Authorization failed: ", 22), 0);
                        CU_ASSERT(strlen(m) > 22);
                }
                CU_ASSERT(jwt_error_to_errno(e) < 0);
                CU_ASSERT_PTR_NOT_NULL_FATAL(jwt_error_to_string(e));
                /* names are distinct */
                for (JwtError f = JWT_OK; f < e; f++)
                        CU_ASSERT(strcmp(jwt_error_to_string(e), jwt_error_to_string(f)) != 0);
        }
}

static void test_tr_messages(void)
{
        static const struct {
                JwtError e;
                const char *rs, *hs;
        } m[] = {
                { JWT_ERR_HEADER_MISSING, "Authorization header is missing", NULL },
                { JWT_ERR_WRONG_TYPE, "Wrong authorization type", NULL },
                { JWT_ERR_MALFORMED, "Wrong JWT structure", NULL },
                { JWT_ERR_ALG_NOT_ALLOWED, "Failed to decode JWT with provided key. Make sure domain in "
                  "custom_jwks_host corresponds to your SecureX instance region.",
                  "Failed to decode JWT with provided key" },
                { JWT_ERR_BAD_SIGNATURE, "Failed to decode JWT with provided key. Make sure domain in "
                  "custom_jwks_host corresponds to your SecureX instance region.",
                  "Failed to decode JWT with provided key" },
                { JWT_ERR_CLAIM_INVALID, "Wrong JWT structure", NULL },
                { JWT_ERR_NOT_YET_VALID, "Wrong JWT structure", NULL },
                { JWT_ERR_EXPIRED, "JWT has expired", NULL },
                { JWT_ERR_AUD_MISSING, "Wrong configuration-token-audience", NULL },
                { JWT_ERR_AUD_MISMATCH, "Wrong configuration-token-audience", NULL },
                { JWT_ERR_JWKS_HOST_MISSING, "jwks_host is missing in JWT payload. Make sure custom_jwks_host "
                  "field is present in module_type", NULL },
                { JWT_ERR_JWKS_HOST_NOT_ALLOWED, "Wrong jwks_host in JWT payload. Make sure domain follows the "
                  "visibility.<region>.cisco.com structure", NULL },
                { JWT_ERR_JWKS_FETCH_FAILED, "Wrong jwks_host in JWT payload. Make sure domain follows the "
                  "visibility.<region>.cisco.com structure", NULL },
                { JWT_ERR_JWKS_MALFORMED, "Wrong jwks_host in JWT payload. Make sure domain follows the "
                  "visibility.<region>.cisco.com structure", NULL },
                { JWT_ERR_KID_MISSING, "kid from JWT header not found in API response", NULL },
                { JWT_ERR_KID_UNKNOWN, "kid from JWT header not found in API response", NULL },
                { JWT_ERR_SECRET_MISSING, "<SECRET_KEY> is missing", NULL },
                { JWT_ERR_PAYLOAD_STRUCTURE, "Wrong JWT payload structure", NULL },
        };

        for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
                char want[512];

                snprintf(want, sizeof(want), "Authorization failed: %s", m[i].rs);
                CU_ASSERT_STRING_EQUAL(jwt_error_tr_message(m[i].e, JWT_ALG_RS256), want);
                snprintf(want, sizeof(want), "Authorization failed: %s", m[i].hs ? m[i].hs : m[i].rs);
                CU_ASSERT_STRING_EQUAL(jwt_error_tr_message(m[i].e, JWT_ALG_HS256), want);
        }
}

static void test_alg_names(void)
{
        CU_ASSERT_EQUAL(jwt_alg_from_string("RS256"), JWT_ALG_RS256);
        CU_ASSERT_EQUAL(jwt_alg_from_string("HS256"), JWT_ALG_HS256);
        CU_ASSERT_EQUAL(jwt_alg_from_string("rs256"), _JWT_ALG_INVALID);
        CU_ASSERT_EQUAL(jwt_alg_from_string("none"), _JWT_ALG_INVALID);
        CU_ASSERT_EQUAL(jwt_alg_from_string(NULL), _JWT_ALG_INVALID);
        CU_ASSERT_STRING_EQUAL(jwt_alg_to_string(JWT_ALG_RS256), "RS256");
        CU_ASSERT_PTR_NULL(jwt_alg_to_string(_JWT_ALG_MAX));
}

/* ---- Authorization header ----------------------------------------------- */

static void test_authorization_header(void)
{
        static const char *const good[] = { "Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi",
                                            "  Bearer\tabc.def.ghi \r\n", "bEaReR \x0b abc.def.ghi" };
        static const char *const wrong[] = { "Basic abc", "", "   ", "Bearer", "Bearer ", "abc.def.ghi",
                                             "Bearer a b", "Bearer a b c", "Bearerx abc", "Bear abc",
                                             "Token abc", "Bearer\x1f" "abc d" };
        const char *tok;
        size_t len;
        JwtError e;

        CU_ASSERT_EQUAL(jwt_authorization_token(NULL, &tok, &len, &e), -ENOENT);
        CU_ASSERT_EQUAL(e, JWT_ERR_HEADER_MISSING);
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                tok = NULL;
                len = 0;
                CU_ASSERT_EQUAL(jwt_authorization_token(good[i], &tok, &len, &e), 0);
                CU_ASSERT_EQUAL(len, 11);
                CU_ASSERT(tok && strncmp(tok, "abc.def.ghi", 11) == 0);
        }
        for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
                e = JWT_OK;
                CU_ASSERT_EQUAL(jwt_authorization_token(wrong[i], &tok, &len, &e), -EPROTONOSUPPORT);
                CU_ASSERT_EQUAL(e, JWT_ERR_WRONG_TYPE);
        }
        /* Python's str.split() separators */
        CU_ASSERT_EQUAL(jwt_authorization_token("Bearer\x1c" "tok", &tok, &len, &e), 0);
        CU_ASSERT_EQUAL(len, 3);
}

static void test_prepare(void)
{
        _cleanup_free_ char *rs = rs_token(0, "{\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *rs_nohost = rs_token(0, "{\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *rs_emptyhost = rs_token(0, "{\"jwks_host\":\"\"}");
        _cleanup_free_ char *hs = hs_token(SECRET, "{}");
        _cleanup_free_ char *none = token_raw("{\"alg\":\"none\"}", "{}", SIGN_NONE, NULL, NULL);
        _cleanup_free_ char *h_rs = xasprintf("Bearer %s", rs), *h_nohost = xasprintf("Bearer %s", rs_nohost);
        _cleanup_free_ char *h_empty = xasprintf("bearer %s", rs_emptyhost), *h_hs = xasprintf("Bearer %s", hs);
        _cleanup_free_ char *h_none = xasprintf("Bearer %s", none);
        static const struct {
                int header;
                JwtAlg mode;
                JwtError want;
        } v[] = {
                { 0, JWT_ALG_RS256, JWT_OK },
                { 1, JWT_ALG_RS256, JWT_ERR_JWKS_HOST_MISSING },
                { 2, JWT_ALG_RS256, JWT_ERR_JWKS_HOST_MISSING },
                { 3, JWT_ALG_RS256, JWT_ERR_ALG_NOT_ALLOWED },  /* before the missing jwks_host */
                { 4, JWT_ALG_RS256, JWT_ERR_ALG_NOT_ALLOWED },
                { 5, JWT_ALG_RS256, JWT_ERR_HEADER_MISSING },
                { 6, JWT_ALG_RS256, JWT_ERR_WRONG_TYPE },
                { 7, JWT_ALG_RS256, JWT_ERR_MALFORMED },
                { 3, JWT_ALG_HS256, JWT_OK },                   /* no jwks_host in legacy mode */
                { 0, JWT_ALG_HS256, JWT_ERR_ALG_NOT_ALLOWED },
                { 4, JWT_ALG_HS256, JWT_ERR_ALG_NOT_ALLOWED },
        };
        const char *headers[] = { h_rs, h_nohost, h_empty, h_hs, h_none, NULL, "Basic abc", "Bearer x.y.z" };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                JwtToken *t = (JwtToken *) 1;
                JwtError e = _JWT_ERROR_MAX;
                int r = jwt_prepare(headers[v[i].header], v[i].mode, &t, &e);

                CU_ASSERT_EQUAL(e, v[i].want);
                if (v[i].want == JWT_OK) {
                        CU_ASSERT_EQUAL(r, 0);
                        CU_ASSERT(t != NULL && t != (JwtToken *) 1);
                        if (r == 0)
                                jwt_token_free(t);
                } else {
                        CU_ASSERT_EQUAL(r, jwt_error_to_errno(v[i].want));
                        CU_ASSERT_PTR_EQUAL(t, (JwtToken *) 1);
                }
        }
        CU_ASSERT_EQUAL(jwt_prepare(h_rs, _JWT_ALG_MAX, &(JwtToken *) { NULL }, NULL), -EINVAL);
        CU_ASSERT_EQUAL(jwt_prepare(h_rs, JWT_ALG_RS256, NULL, NULL), -EINVAL);
}

/* ---- base64url ---------------------------------------------------------- */

static void test_base64url_vectors(void)
{
        static const struct {
                const char *plain, *enc;
        } v[] = {
                { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
                { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" }, { "\xfb\xef\xbe", "----" },
                { "\xff\xff\xff", "____" },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                _cleanup_free_ char *enc = jwt_base64url_encode(v[i].plain, strlen(v[i].plain));
                uint8_t *dec = NULL;
                size_t len = 99;

                CU_ASSERT_STRING_EQUAL(enc, v[i].enc);
                CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(v[i].enc, strlen(v[i].enc), &dec, &len), 0);
                CU_ASSERT_EQUAL(len, strlen(v[i].plain));
                CU_ASSERT(memcmp(dec, v[i].plain, len) == 0);
                CU_ASSERT_EQUAL(dec[len], 0);
                free(dec);
        }
}

static void test_base64url_roundtrip(void)
{
        uint8_t buf[300];

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 37 + 11);
        for (size_t n = 0; n <= sizeof(buf); n++) {
                _cleanup_free_ char *enc = jwt_base64url_encode(buf, n);
                uint8_t *dec = NULL;
                size_t len = 0;

                CU_ASSERT_EQUAL(strlen(enc), (n * 4 + 2) / 3);
                CU_ASSERT_EQUAL(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                                strlen(enc));
                CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(enc, strlen(enc), &dec, &len), 0);
                CU_ASSERT_EQUAL(len, n);
                CU_ASSERT(n == 0 || memcmp(dec, buf, n) == 0);
                free(dec);
        }
}

static void test_base64url_strict(void)
{
        static const char *const bad[] = {
                "Zg==", "Zm8=", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm9v Yg", "Zm9v\nYg", "Zm9v.Yg", "Zm9v%59",
                "Zh",           /* 'h' leaves non-zero trailing bits: not the canonical "Zg" */
                "Zm9",          /* "fo" is "Zm8" */
                "AB", "AAB",
                "\xc3\xa9" "AA",
        };
        uint8_t *dec = NULL;
        size_t len;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CU_ASSERT_EQUAL(jwt_base64url_decode(bad[i], strlen(bad[i]), &dec, &len), -EINVAL);
        }
        /* a NUL inside */
        CU_ASSERT_EQUAL(jwt_base64url_decode("Zm\0v", 4, &dec, &len), -EINVAL);
        /* length counts, not the NUL */
        CU_ASSERT_EQUAL(jwt_base64url_decode("Zm9vYmFy", 4, &dec, &len), 0);
        CU_ASSERT_EQUAL(len, 3);
        CU_ASSERT(memcmp(dec, "foo", 3) == 0);
        free(dec);
        CU_ASSERT_EQUAL(jwt_base64url_decode(NULL, 0, &dec, &len), 0);
        CU_ASSERT_EQUAL(len, 0);
        free(dec);
        CU_ASSERT_EQUAL(jwt_base64url_decode(NULL, 4, &dec, &len), -EINVAL);
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_good(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"" AUD "\","
                                                "\"key\":\"k\",\"CTR_ENTITIES_LIMIT\":5}");
        JwtError e = _JWT_ERROR_MAX;
        JwtToken *t = NULL;
        cJSON *claims;

        CU_ASSERT_EQUAL_FATAL(jwt_parse(tok, strlen(tok), &t, &e), 0);
        CU_ASSERT_EQUAL(e, JWT_OK);
        CU_ASSERT_STRING_EQUAL(jwt_token_alg(t), "RS256");
        CU_ASSERT_STRING_EQUAL(jwt_token_kid(t), "kid-1");
        CU_ASSERT_STRING_EQUAL(jwt_token_jwks_host(t), "visibility.amp.cisco.com");
        CU_ASSERT(cJSON_IsObject(jwt_token_header(t)));
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(jwt_token_claims(t), "CTR_ENTITIES_LIMIT")->valueint, 5);
        CU_ASSERT_EQUAL(jwt_check_alg(t, JWT_ALG_RS256, &e), 0);
        CU_ASSERT_EQUAL(jwt_check_alg(t, JWT_ALG_HS256, &e), -EOPNOTSUPP);
        CU_ASSERT_EQUAL(e, JWT_ERR_ALG_NOT_ALLOWED);
        claims = jwt_token_take_claims(t);
        CU_ASSERT_PTR_NOT_NULL(claims);
        CU_ASSERT_PTR_NULL(jwt_token_claims(t));
        CU_ASSERT_PTR_NULL(jwt_token_jwks_host(t));
        CU_ASSERT_PTR_NULL(jwt_claims_free(claims));
        CU_ASSERT_PTR_NULL(jwt_claims_free(NULL));
        CU_ASSERT_PTR_NULL(jwt_token_free(t));
        CU_ASSERT_PTR_NULL(jwt_token_free(NULL));

        /* the token need not be NUL-terminated: only len bytes are read */
        {
                size_t n = strlen(tok);
                char *copy = xmalloc(n);

                memcpy(copy, tok, n);
                CU_ASSERT_EQUAL(jwt_parse(copy, n, &t, &e), 0);
                jwt_token_free(t);
                free(copy);
        }
}

static void test_parse_accessors(void)
{
        _cleanup_free_ char *a = token_raw("{\"alg\":\"RS256\"}", "{\"jwks_host\":\"\"}", SIGN_NONE, NULL, NULL);
        _cleanup_free_ char *b = token_raw("{\"alg\":\"RS256\",\"kid\":\"\"}", "{\"jwks_host\":5}", SIGN_NONE, NULL,
                                           NULL);
        _cleanup_free_ char *c = token_raw("{\"alg\":\"RS256\",\"kid\":7}", "{}", SIGN_NONE, NULL, NULL);
        JwtToken *t;

        CU_ASSERT_EQUAL_FATAL(jwt_parse(a, strlen(a), &t, NULL), 0);
        CU_ASSERT_PTR_NULL(jwt_token_kid(t));           /* absent */
        CU_ASSERT_PTR_NULL(jwt_token_jwks_host(t));     /* "" is missing: relays.md §9 row 9 */
        jwt_token_free(t);
        CU_ASSERT_EQUAL_FATAL(jwt_parse(b, strlen(b), &t, NULL), 0);
        CU_ASSERT_PTR_NULL(jwt_token_kid(t));           /* "" */
        CU_ASSERT_PTR_NULL(jwt_token_jwks_host(t));     /* not a string */
        jwt_token_free(t);
        CU_ASSERT_EQUAL_FATAL(jwt_parse(c, strlen(c), &t, NULL), 0);
        CU_ASSERT_PTR_NULL(jwt_token_kid(t));           /* not a string */
        jwt_token_free(t);
        CU_ASSERT_PTR_NULL(jwt_token_kid(NULL));
        CU_ASSERT_PTR_NULL(jwt_token_alg(NULL));
        CU_ASSERT_PTR_NULL(jwt_token_take_claims(NULL));
}

static void test_parse_structure(void)
{
        _cleanup_free_ char *good = rs_token(0, "{\"a\":1}");
        _cleanup_free_ char *two_dots = xasprintf("%s.", good), *lead_dot = xasprintf(".%s", good);
        const char *first_dot = strchr(good, '.'), *second_dot = strchr(first_dot + 1, '.');
        _cleanup_free_ char *no_sig = xstrndup(good, (size_t) (second_dot - good));
        _cleanup_free_ char *no_header = xasprintf("%s", first_dot);
        _cleanup_free_ char *no_payload = xasprintf("%.*s.%s", (int) (first_dot - good), good, second_dot);
        static const char *const bad[] = { "", "a", "a.b", "a.b.c.d", "..", "...", "abc", "Zm9v.Zm9v" };
        JwtToken *t = NULL;
        JwtError e;

        CU_ASSERT_EQUAL(parse_error(good), JWT_OK);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CU_ASSERT_EQUAL(parse_error(bad[i]), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(two_dots), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(lead_dot), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(no_sig), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(no_header), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(no_payload), JWT_ERR_MALFORMED);

        CU_ASSERT_EQUAL(jwt_parse(NULL, 5, &t, &e), -EBADMSG);
        CU_ASSERT_EQUAL(e, JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(jwt_parse(good, 0, &t, &e), -EBADMSG);
        CU_ASSERT_EQUAL(jwt_parse(good, strlen(good), NULL, &e), -EINVAL);
        /* len stops before the end: 342 base64url characters of a 2048-bit
         * signature less one is no base64url; less two is a shorter
         * signature, for jwt_verify to refuse */
        CU_ASSERT_EQUAL(jwt_parse(good, strlen(good) - 1, &t, &e), -EBADMSG);
        CU_ASSERT_EQUAL_FATAL(jwt_parse(good, strlen(good) - 2, &t, &e), 0);
        jwt_token_free(t);
}

static void test_parse_bad_segments(void)
{
        _cleanup_free_ char *h = b64("{\"alg\":\"RS256\"}"), *p = b64("{}");
        _cleanup_free_ char *pad_h = xasprintf("%s=.%s.AAAA", h, p);
        _cleanup_free_ char *plus_p = xasprintf("%s.%s+.AAAA", h, p);
        _cleanup_free_ char *bad_sig = xasprintf("%s.%s.AA/A", h, p);
        _cleanup_free_ char *pad_sig = xasprintf("%s.%s.AA==", h, p);
        _cleanup_free_ char *space = xasprintf("%s .%s.AAAA", h, p);
        _cleanup_free_ char *std_b64 = NULL;

        CU_ASSERT_EQUAL(parse_error(pad_h), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(plus_p), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(bad_sig), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(pad_sig), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(space), JWT_ERR_MALFORMED);
        /* a header whose base64 is the standard alphabet: '?' -> "Pz8/" */
        std_b64 = xasprintf("eyJhbGciOiJSUzI1NiIsIngiOiI/Pz8ifQ.%s.AAAA", p);
        CU_ASSERT_EQUAL(parse_error(std_b64), JWT_ERR_MALFORMED);
}

static void test_parse_json(void)
{
        static const struct {
                const char *header, *payload;
                JwtError want;
        } v[] = {
                { "{\"alg\":\"RS256\"}", "{}", JWT_OK },
                { " {\"alg\":\"RS256\"}\n", "\t{}\r\n", JWT_OK },
                { "[]", "{}", JWT_ERR_MALFORMED },
                { "\"RS256\"", "{}", JWT_ERR_MALFORMED },
                { "1", "{}", JWT_ERR_MALFORMED },
                { "null", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "[]", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "[{\"aud\":\"x\"}]", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "\"str\"", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "42", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "true", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "null", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "{", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "{\"a\":}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "not json", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "{}x", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "{}{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}x", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "{\"aud\":\"a\",\"aud\":\"b\"}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\",\"alg\":\"none\"}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\",\"kid\":\"a\",\"kid\":\"b\"}", "{}", JWT_ERR_MALFORMED },
                { "{}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":null}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":256}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"\"}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":[\"RS256\"]}", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", "{}", JWT_ERR_MALFORMED },
                /* nested duplicates are not the claims' business */
                { "{\"alg\":\"RS256\"}", "{\"o\":{\"a\":1,\"a\":2}}", JWT_OK },
                { "", "{}", JWT_ERR_MALFORMED },
                { "{\"alg\":\"RS256\"}", "", JWT_ERR_MALFORMED },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                _cleanup_free_ char *tok = token_raw(v[i].header, v[i].payload, SIGN_NONE, NULL, NULL);
                JwtError got = parse_error(tok);

                if (got != v[i].want)
                        fprintf(stderr, "parse_json case %zu: got %s\n", i, jwt_error_to_string(got));
                CU_ASSERT_EQUAL(got, v[i].want);
        }
}

static void test_parse_nul_inside(void)
{
        /* {"alg":"RS256"}\0 as the header: a NUL inside the decoded JSON */
        static const char hdr[] = "{\"alg\":\"RS256\"}\0";
        _cleanup_free_ char *h = jwt_base64url_encode(hdr, sizeof(hdr) - 1), *p = b64("{}");
        _cleanup_free_ char *tok = xasprintf("%s.%s.", h, p);
        static const char pl[] = "{\"a\":\"x\0y\"}";
        _cleanup_free_ char *h2 = b64("{\"alg\":\"RS256\"}"), *p2 = jwt_base64url_encode(pl, sizeof(pl) - 1);
        _cleanup_free_ char *tok2 = xasprintf("%s.%s.", h2, p2);

        CU_ASSERT_EQUAL(parse_error(tok), JWT_ERR_MALFORMED);
        CU_ASSERT_EQUAL(parse_error(tok2), JWT_ERR_MALFORMED);
}

static void test_parse_limits(void)
{
        char *payload, *p, *tok;
        size_t n;

        /* exactly JWT_TOKEN_MAX passes the size check, one more does not */
        tok = rs_token(0, "{}");
        n = strlen(tok);
        free(tok);
        payload = xmalloc(JWT_TOKEN_MAX);
        p = payload;
        p += sprintf(p, "{\"pad\":\"");
        /* base64 of the payload adds a third; aim a little over the limit */
        for (size_t i = 0; i < (JWT_TOKEN_MAX - n) * 3 / 4 + 8; i++)
                *p++ = 'x';
        strcpy(p, "\"}");
        tok = rs_token(0, payload);
        CU_ASSERT(strlen(tok) > JWT_TOKEN_MAX);
        CU_ASSERT_EQUAL(parse_error(tok), JWT_ERR_MALFORMED);
        free(tok);
        /* shorter by 20 bytes of payload: under the limit */
        p -= 20;
        strcpy(p, "\"}");
        tok = rs_token(0, payload);
        CU_ASSERT(strlen(tok) <= JWT_TOKEN_MAX);
        CU_ASSERT_EQUAL(parse_error(tok), JWT_OK);
        free(tok);

        /* 256 members at the top level pass, 257 do not */
        for (int count = 256; count <= 257; count++) {
                p = payload;
                *p++ = '{';
                for (int i = 0; i < count; i++)
                        p += sprintf(p, "%s\"m%d\":%d", i ? "," : "", i, i);
                strcpy(p, "}");
                tok = rs_token(0, payload);
                CU_ASSERT_EQUAL(parse_error(tok), count == 256 ? JWT_OK : JWT_ERR_MALFORMED);
                free(tok);
        }
        free(payload);
}

/* ---- algorithms and signatures ------------------------------------------ */

static void test_rs256_good(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\",\"exp\":1700000100,\"jwks_host\":\"h\","
                                                "\"key\":\"spycloud-key\"}");
        JwtVerifyOptions o = rs_opts(0);
        JwtError e = _JWT_ERROR_MAX;
        cJSON *claims = NULL;

        CU_ASSERT_EQUAL_FATAL(jwt_decode(tok, strlen(tok), &o, &claims, &e), 0);
        CU_ASSERT_EQUAL(e, JWT_OK);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(claims, "key")), "spycloud-key");
        cJSON_Delete(claims);
        /* claims may be dropped */
        CU_ASSERT_EQUAL(jwt_decode(tok, strlen(tok), &o, NULL, &e), 0);
        CU_ASSERT_EQUAL(jwt_decode(tok, strlen(tok), &o, NULL, NULL), 0);
}

static void test_alg_none(void)
{
        static const char *const headers[] = {
                "{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}", "{\"alg\":\"nOnE\",\"kid\":\"kid-1\"}",
        };
        JwtVerifyOptions rs = rs_opts(0), hs = hs_opts(SECRET);

        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
                _cleanup_free_ char *tok = token_raw(headers[i], "{\"aud\":\"" AUD "\"}", SIGN_NONE, NULL, NULL);
                _cleanup_free_ char *tok2 = xasprintf("%sAAAA", tok);      /* a signature that is not */

                CU_ASSERT_EQUAL(parse_error(tok), JWT_OK);
                CU_ASSERT_EQUAL(decode(tok, &rs), JWT_ERR_ALG_NOT_ALLOWED);
                CU_ASSERT_EQUAL(decode(tok, &hs), JWT_ERR_ALG_NOT_ALLOWED);
                CU_ASSERT_EQUAL(decode(tok2, &rs), JWT_ERR_ALG_NOT_ALLOWED);
        }
}

static void test_other_algs(void)
{
        static const char *const headers[] = {
                "{\"alg\":\"RS512\"}", "{\"alg\":\"PS256\"}", "{\"alg\":\"ES256\"}", "{\"alg\":\"rs256\"}",
                "{\"alg\":\"RS256 \"}", "{\"alg\":\"HS512\"}", "{\"alg\":\"EdDSA\"}",
        };
        JwtVerifyOptions rs = rs_opts(0), hs = hs_opts(SECRET);

        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
                _cleanup_free_ char *tok = token_raw(headers[i], "{}", SIGN_RS256, key(0), NULL);

                CU_ASSERT_EQUAL(decode(tok, &rs), JWT_ERR_ALG_NOT_ALLOWED);
                CU_ASSERT_EQUAL(decode(tok, &hs), JWT_ERR_ALG_NOT_ALLOWED);
        }
}

/* The classic confusion: an HS256 token whose HMAC key is the RSA public
 * key's encoding, sent to an RS256 relay. */
static void test_hs256_against_rs256(void)
{
        unsigned char *der = NULL;
        int der_len = i2d_PUBKEY(key(0), &der);
        _cleanup_free_ char *h = b64("{\"alg\":\"HS256\",\"kid\":\"kid-1\"}"), *p = b64("{\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *input = xasprintf("%s.%s", h, p), *s = NULL, *tok = NULL, *tok2 = NULL;
        JwtVerifyOptions rs = rs_opts(0), hs;
        uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;

        CU_ASSERT_FATAL(der_len > 0);
        HMAC(EVP_sha256(), der, der_len, (const uint8_t *) input, strlen(input), mac, &mac_len);
        s = jwt_base64url_encode(mac, mac_len);
        tok = xasprintf("%s.%s", input, s);
        CU_ASSERT_EQUAL(decode(tok, &rs), JWT_ERR_ALG_NOT_ALLOWED);
        /* the token is genuine for whoever holds the "secret" */
        hs = (JwtVerifyOptions) { .alg = JWT_ALG_HS256, .secret = der, .secret_len = (size_t) der_len,
                                  .audiences = auds, .now = T0 };
        CU_ASSERT_EQUAL(decode(tok, &hs), JWT_OK);
        OPENSSL_free(der);

        tok2 = hs_token(SECRET, "{\"aud\":\"" AUD "\"}");
        CU_ASSERT_EQUAL(decode(tok2, &rs), JWT_ERR_ALG_NOT_ALLOWED);
        /* and jwt_check_alg refuses it before any key is looked up */
        {
                JwtToken *t;
                JwtError e;

                CU_ASSERT_EQUAL_FATAL(jwt_parse(tok2, strlen(tok2), &t, NULL), 0);
                CU_ASSERT_EQUAL(jwt_check_alg(t, JWT_ALG_RS256, &e), -EOPNOTSUPP);
                CU_ASSERT_EQUAL(e, JWT_ERR_ALG_NOT_ALLOWED);
                CU_ASSERT_EQUAL(jwt_check_alg(t, JWT_ALG_HS256, &e), 0);
                CU_ASSERT_EQUAL(jwt_check_alg(t, _JWT_ALG_MAX, &e), -EINVAL);
                jwt_token_free(t);
        }
}

static void test_rs256_against_hs256(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{}");
        JwtVerifyOptions hs = hs_opts(SECRET);

        CU_ASSERT_EQUAL(decode(tok, &hs), JWT_ERR_ALG_NOT_ALLOWED);
        CU_ASSERT_STRING_EQUAL(jwt_error_tr_message(JWT_ERR_ALG_NOT_ALLOWED, JWT_ALG_HS256),
                               "Authorization failed: Failed to decode JWT with provided key");
}

static void test_rs256_bad_signature(void)
{
        _cleanup_free_ char *tok = rs_token(1, "{\"aud\":\"" AUD "\"}");        /* signed by the other key */
        _cleanup_free_ char *good = rs_token(0, "{\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *other = rs_token(0, "{\"aud\":\"" AUD "\",\"x\":1}");
        JwtVerifyOptions o = rs_opts(0);
        char *flipped, *spliced, *truncated;
        const char *sig = strrchr(good, '.') + 1, *other_sig = strrchr(other, '.') + 1;

        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_BAD_SIGNATURE);
        CU_ASSERT_EQUAL(decode(good, &o), JWT_OK);

        /* one bit of the signature */
        flipped = xstrdup(good);
        flipped[strlen(flipped) - 3] = flipped[strlen(flipped) - 3] == 'A' ? 'B' : 'A';
        CU_ASSERT_EQUAL(decode(flipped, &o), JWT_ERR_BAD_SIGNATURE);
        free(flipped);

        /* the signature of another payload */
        spliced = xasprintf("%.*s%s", (int) (sig - good), good, other_sig);
        CU_ASSERT_EQUAL(decode(spliced, &o), JWT_ERR_BAD_SIGNATURE);
        free(spliced);

        /* a signature shorter than the modulus */
        {
                uint8_t *raw = NULL;
                size_t raw_len = 0;
                _cleanup_free_ char *shorter = NULL;

                CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(sig, strlen(sig), &raw, &raw_len), 0);
                CU_ASSERT_EQUAL(raw_len, 256);
                shorter = jwt_base64url_encode(raw, raw_len - 1);
                truncated = xasprintf("%.*s%s", (int) (sig - good), good, shorter);
                CU_ASSERT_EQUAL(decode(truncated, &o), JWT_ERR_BAD_SIGNATURE);
                free(truncated);
                free(raw);
        }
        truncated = xasprintf("%.*s", (int) (sig - good), good);       /* empty signature */
        CU_ASSERT_EQUAL(decode(truncated, &o), JWT_ERR_BAD_SIGNATURE);
        free(truncated);
        /* longer than the modulus */
        truncated = xasprintf("%sAAAA", good);
        CU_ASSERT_EQUAL(decode(truncated, &o), JWT_ERR_BAD_SIGNATURE);
        free(truncated);

        /* a payload changed after signing: the header and payload bytes as sent are signed */
        {
                _cleanup_free_ char *p2 = b64("{\"aud\":\"" AUD "\" }");
                const char *d1 = strchr(good, '.');
                char *swapped = xasprintf("%.*s.%s%s", (int) (d1 - good), good, p2, strrchr(good, '.'));

                CU_ASSERT_EQUAL(decode(swapped, &o), JWT_ERR_BAD_SIGNATURE);
                free(swapped);
        }
}

/* The signature cache: a hit spares RSA but not the claims; a bad signature,
 * another key object or an old entry is verified again. */
static void test_sig_cache(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\",\"exp\":1700000100}");
        _cleanup_free_ char *other = rs_token(1, "{\"aud\":\"" AUD "\",\"exp\":1700000100}");
        JwtSigCache *c = jwt_sig_cache_new(8, 600);
        JwtVerifyOptions o = rs_opts(0);
        uint64_t hits, misses;
        EVP_PKEY *same = NULL;
        BIO *bio;

        o.sig_cache = c;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        jwt_sig_cache_stats(c, &hits, &misses);
        CU_ASSERT_EQUAL(hits, 1);
        CU_ASSERT_EQUAL(misses, 1);

        /* claims are checked on a hit: expired, wrong audience */
        o.now = 1700000100 + JWT_DEFAULT_LEEWAY_SEC + 1;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_EXPIRED);
        o.now = T0;
        {
                static const char *const elsewhere[] = { "https://elsewhere.example", NULL };
                JwtVerifyOptions o2 = o;

                o2.audiences = elsewhere;
                CU_ASSERT_EQUAL(decode(tok, &o2), JWT_ERR_AUD_MISMATCH);
        }

        /* signed by another key: verified, refused, never remembered */
        CU_ASSERT_EQUAL(decode(other, &o), JWT_ERR_BAD_SIGNATURE);
        CU_ASSERT_EQUAL(decode(other, &o), JWT_ERR_BAD_SIGNATURE);
        jwt_sig_cache_stats(c, &hits, &misses);
        CU_ASSERT_EQUAL(misses, 3);

        /* the same key material in another object (a JWKS refetch): verified again */
        bio = BIO_new(BIO_s_mem());
        CU_ASSERT_FATAL(PEM_write_bio_PUBKEY(bio, key(0)) == 1);
        same = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        CU_ASSERT_FATAL(same != NULL);
        {
                JwtVerifyOptions o2 = o;

                o2.key = same;
                jwt_sig_cache_stats(c, &hits, &misses);
                CU_ASSERT_EQUAL(decode(tok, &o2), JWT_OK);
                jwt_sig_cache_stats(c, &hits, &misses);
                CU_ASSERT_EQUAL(misses, 4);
                /* the cache holds its own reference: freeing the caller's is safe */
                EVP_PKEY_free(same);
                o2.key = key(0);
                CU_ASSERT_EQUAL(decode(tok, &o2), JWT_OK);
        }

        /* an entry older than the TTL is verified again */
        {
                _cleanup_free_ char *noexp = rs_token(0, "{\"aud\":\"" AUD "\"}");
                uint64_t h2, m2;

                CU_ASSERT_EQUAL(decode(noexp, &o), JWT_OK);
                jwt_sig_cache_stats(c, &hits, &misses);
                o.now = T0 + 599;
                CU_ASSERT_EQUAL(decode(noexp, &o), JWT_OK);
                o.now = T0 + 600;
                CU_ASSERT_EQUAL(decode(noexp, &o), JWT_OK);
                jwt_sig_cache_stats(c, &h2, &m2);
                CU_ASSERT_EQUAL(h2, hits + 1);
                CU_ASSERT_EQUAL(m2, misses + 1);
        }
        c = jwt_sig_cache_free(c);
        CU_ASSERT_PTR_NULL(c);
}

/* The parse comes from the cache only for the very text verified before;
 * the claims and header are the same as parsing gives, and a token from
 * the cache verified with another key has its signature checked for real. */
static void test_token_cache(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\",\"exp\":1700000100,\"jwks_host\":\"h\","
                                                "\"n\":[1,{\"a\":null}]}");
        _cleanup_free_ char *bearer = xasprintf("Bearer %s", tok);
        _cleanup_free_ char *other = rs_token(0, "{\"aud\":\"" AUD "\",\"exp\":1700000100,\"jwks_host\":\"h\","
                                                  "\"n\":[2,{\"a\":null}]}");
        _cleanup_free_ char *forged = NULL;
        JwtSigCache *c = jwt_sig_cache_new(1, 600);
        JwtVerifyOptions o = rs_opts(0);
        JwtToken *fresh = NULL, *cached = NULL;
        JwtError e;
        uint64_t hits, misses;

        o.sig_cache = c;
        CU_ASSERT_EQUAL_FATAL(jwt_prepare_cached(c, bearer, JWT_ALG_RS256, &fresh, &e), 0);
        CU_ASSERT_EQUAL(jwt_verify(fresh, &o, &e), 0);
        CU_ASSERT_EQUAL_FATAL(jwt_prepare_cached(c, bearer, JWT_ALG_RS256, &cached, &e), 0);
        CU_ASSERT(cJSON_Compare(jwt_token_claims(fresh), jwt_token_claims(cached), true));
        CU_ASSERT(cJSON_Compare(jwt_token_header(fresh), jwt_token_header(cached), true));
        CU_ASSERT_PTR_NOT_EQUAL(jwt_token_claims(fresh), jwt_token_claims(cached));
        CU_ASSERT_STRING_EQUAL(jwt_token_jwks_host(cached), "h");
        CU_ASSERT_EQUAL(jwt_verify(cached, &o, &e), 0);
        jwt_sig_cache_stats(c, &hits, &misses);
        CU_ASSERT_EQUAL(hits, 1);
        CU_ASSERT_EQUAL(misses, 1);
        /* the same text from the cache, another key: a real check, refused */
        {
                JwtVerifyOptions o1 = rs_opts(1);

                o1.sig_cache = c;
                CU_ASSERT(jwt_verify(cached, &o1, &e) < 0);
                CU_ASSERT_EQUAL(e, JWT_ERR_BAD_SIGNATURE);
        }
        fresh = jwt_token_free(fresh);
        cached = jwt_token_free(cached);

        /* another payload under the good token's signature: parsed anew, refused */
        forged = xasprintf("%.*s%s", (int) (strrchr(other, '.') - other), other, strrchr(tok, '.'));
        CU_ASSERT_EQUAL(decode(forged, &o), JWT_ERR_BAD_SIGNATURE);
        /* a 1-slot cache: the forged token's miss did not evict the good one */
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        jwt_sig_cache_stats(c, &hits, &misses);
        CU_ASSERT_EQUAL(hits, 2);
        /* a token cut short is malformed, cache or not */
        CU_ASSERT_EQUAL(jwt_prepare_cached(c, "Bearer abc.def", JWT_ALG_RS256, &fresh, &e), -EBADMSG);
        CU_ASSERT_EQUAL(e, JWT_ERR_MALFORMED);
        jwt_sig_cache_free(c);
}

static void test_rs256_key_checks(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{}");
        JwtVerifyOptions o = rs_opts(0);
        EVP_PKEY *ec = EVP_EC_gen("P-256");
        JwtToken *t;
        JwtError e;

        CU_ASSERT_FATAL(ec != NULL);
        CU_ASSERT_EQUAL_FATAL(jwt_parse(tok, strlen(tok), &t, NULL), 0);
        o.key = NULL;
        CU_ASSERT_EQUAL(jwt_verify(t, &o, &e), -EINVAL);
        CU_ASSERT_EQUAL(e, JWT_ERR_KEY_INVALID);
        o.key = ec;
        CU_ASSERT_EQUAL(jwt_verify(t, &o, &e), -EINVAL);
        CU_ASSERT_EQUAL(e, JWT_ERR_KEY_INVALID);
        CU_ASSERT_EQUAL(jwt_verify(NULL, &o, &e), -EINVAL);
        CU_ASSERT_EQUAL(jwt_verify(t, NULL, &e), -EINVAL);
        jwt_token_free(t);
        EVP_PKEY_free(ec);
}

static void test_hs256(void)
{
        _cleanup_free_ char *tok = hs_token(SECRET, "{\"application_id\":\"a\",\"tenant_id\":\"t\","
                                                   "\"client_secret\":\"s\"}");
        _cleanup_free_ char *wrong = hs_token("another-secret", "{}");
        JwtVerifyOptions o = hs_opts(SECRET);
        JwtError e;
        cJSON *claims = NULL;

        CU_ASSERT_EQUAL_FATAL(jwt_decode(tok, strlen(tok), &o, &claims, &e), 0);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(claims, "tenant_id")), "t");
        cJSON_Delete(claims);
        CU_ASSERT_EQUAL(decode(wrong, &o), JWT_ERR_BAD_SIGNATURE);

        /* a secret that is a prefix, or longer */
        o = hs_opts("legacy-shared-secre");
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_BAD_SIGNATURE);
        o = hs_opts(SECRET "x");
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_BAD_SIGNATURE);

        /* no secret configured */
        o = hs_opts(NULL);
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_SECRET_MISSING);
        o = hs_opts("");
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_SECRET_MISSING);

        /* binary secrets with NULs work by length */
        {
                static const char bin[] = "a\0b";
                _cleanup_free_ char *h = b64("{\"alg\":\"HS256\"}"), *p = b64("{}");
                _cleanup_free_ char *input = xasprintf("%s.%s", h, p), *s = NULL, *t = NULL;
                uint8_t mac[EVP_MAX_MD_SIZE];
                unsigned mac_len;

                HMAC(EVP_sha256(), bin, 3, (const uint8_t *) input, strlen(input), mac, &mac_len);
                s = jwt_base64url_encode(mac, mac_len);
                t = xasprintf("%s.%s", input, s);
                o = (JwtVerifyOptions) { .alg = JWT_ALG_HS256, .secret = bin, .secret_len = 3, .now = T0 };
                CU_ASSERT_EQUAL(decode(t, &o), JWT_OK);
                o.secret_len = 1;
                CU_ASSERT_EQUAL(decode(t, &o), JWT_ERR_BAD_SIGNATURE);
        }
}

/* Every byte position of the MAC, and every length around 32, fails the
 * same way through the constant-time comparison. */
static void test_hs256_constant_time_path(void)
{
        _cleanup_free_ char *tok = hs_token(SECRET, "{}");
        JwtVerifyOptions o = hs_opts(SECRET);
        const char *dot = strrchr(tok, '.');
        uint8_t *mac = NULL;
        size_t mac_len = 0;

        CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(dot + 1, strlen(dot + 1), &mac, &mac_len), 0);
        CU_ASSERT_EQUAL_FATAL(mac_len, 32);
        for (size_t i = 0; i < mac_len; i++) {
                _cleanup_free_ char *s = NULL, *t = NULL;

                mac[i] ^= 0x01;
                s = jwt_base64url_encode(mac, mac_len);
                t = xasprintf("%.*s.%s", (int) (dot - tok), tok, s);
                CU_ASSERT_EQUAL(decode(t, &o), JWT_ERR_BAD_SIGNATURE);
                mac[i] ^= 0x01;
        }
        for (size_t len = 0; len <= 40; len++) {
                _cleanup_free_ char *s = NULL, *t = NULL;
                uint8_t buf[40] = {};

                if (len == 32)
                        continue;
                memcpy(buf, mac, len < 32 ? len : 32);
                s = jwt_base64url_encode(buf, len);
                t = xasprintf("%.*s.%s", (int) (dot - tok), tok, s);
                CU_ASSERT_EQUAL(decode(t, &o), JWT_ERR_BAD_SIGNATURE);
        }
        free(mac);
}

/* ---- claims ------------------------------------------------------------- */

static void test_aud(void)
{
        static const struct {
                const char *payload;
                JwtError want;
        } v[] = {
                { "{\"aud\":\"" AUD "\"}", JWT_OK },
                { "{\"aud\":[\"" AUD "\"]}", JWT_OK },
                { "{\"aud\":[\"https://other\",\"" AUD "\"]}", JWT_OK },
                { "{}", JWT_ERR_AUD_MISSING },
                { "{\"aud\":\"https://other\"}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":\"" AUD "/\"}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":\"HTTP://localhost\"}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":\"http://localhost \"}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":\"\"}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":[]}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":[\"https://a\",\"https://b\"]}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":[\"" AUD "\",5]}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":[[\"" AUD "\"]]}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":5}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":null}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":true}", JWT_ERR_AUD_MISMATCH },
                { "{\"aud\":{\"" AUD "\":1}}", JWT_ERR_AUD_MISMATCH },
                { "{\"Aud\":\"" AUD "\"}", JWT_ERR_AUD_MISSING },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                JwtError got = rs_payload(v[i].payload, T0, 60);

                if (got != v[i].want)
                        fprintf(stderr, "aud case %zu: got %s\n", i, jwt_error_to_string(got));
                CU_ASSERT_EQUAL(got, v[i].want);
        }
}

static void test_aud_options(void)
{
        static const char *const two[] = { "https://relay.example", AUD, NULL };
        static const char *const none[] = { NULL };
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *no_aud = rs_token(0, "{}");
        _cleanup_free_ char *hs = hs_token(SECRET, "{}");
        JwtVerifyOptions o = rs_opts(0);

        o.audiences = two;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        o.audiences = none;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_AUD_MISMATCH);
        /* NULL: not checked at all (legacy HS256 had no aud) */
        o.audiences = NULL;
        CU_ASSERT_EQUAL(decode(no_aud, &o), JWT_OK);
        o = hs_opts(SECRET);
        CU_ASSERT_EQUAL(decode(hs, &o), JWT_OK);
        o.audiences = auds;
        CU_ASSERT_EQUAL(decode(hs, &o), JWT_ERR_AUD_MISSING);
}

static void test_exp(void)
{
        char p[128];

        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":1700003600}", T0, 60), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":1600000000}", T0, 60), JWT_ERR_EXPIRED);
        /* PyJWT: expired when exp <= now - leeway */
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld}", (long long) T0 - 60);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_ERR_EXPIRED);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld}", (long long) T0 - 59);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_OK);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld.5}", (long long) T0 - 60);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_OK);
        /* no leeway */
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld}", (long long) T0);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 0), JWT_ERR_EXPIRED);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld}", (long long) T0 + 1);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 0), JWT_OK);
        /* a bigger leeway */
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"exp\":%lld}", (long long) T0 - 299);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 300), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 298), JWT_ERR_EXPIRED);

        /* not a number */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":\"1700003600\"}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":null}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":true}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":[1]}", T0, 60), JWT_ERR_CLAIM_INVALID);
        /* 1e999 reads as infinity: never expiring is not a date */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":1e999}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":1e300}", T0, 60), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"exp\":-1e300}", T0, 60), JWT_ERR_EXPIRED);

        /* expired beats a wrong aud (PyJWT order), a bad signature beats both */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"x\",\"exp\":1}", T0, 60), JWT_ERR_EXPIRED);
        {
                _cleanup_free_ char *tok = rs_token(1, "{\"aud\":\"x\",\"exp\":1}");
                JwtVerifyOptions o = rs_opts(0);
                CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_BAD_SIGNATURE);
        }
}

static void test_exp_required(void)
{
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\"}");
        _cleanup_free_ char *with = rs_token(0, "{\"aud\":\"" AUD "\",\"exp\":1700000100}");
        JwtVerifyOptions o = rs_opts(0);

        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        o.require_exp = true;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(decode(with, &o), JWT_OK);
}

static void test_nbf_iat(void)
{
        char p[128];

        /* PyJWT: immature when nbf > now + leeway */
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"nbf\":%lld}", (long long) T0 + 60);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_OK);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"nbf\":%lld}", (long long) T0 + 61);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_ERR_NOT_YET_VALID);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"nbf\":%lld.5}", (long long) T0 + 60);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 60), JWT_ERR_NOT_YET_VALID);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"nbf\":%lld}", (long long) T0 + 1);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 0), JWT_ERR_NOT_YET_VALID);
        snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"nbf\":%lld}", (long long) T0);
        CU_ASSERT_EQUAL(rs_payload(p, T0, 0), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"nbf\":\"0\"}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"nbf\":1e999}", T0, 60), JWT_ERR_CLAIM_INVALID);
        /* nbf is checked before exp, as PyJWT does */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"nbf\":1800000000,\"exp\":1}", T0, 60),
                        JWT_ERR_NOT_YET_VALID);

        /* iat: a number, any value (PyJWT 2.1) */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"iat\":1800000000}", T0, 60), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"iat\":0}", T0, 60), JWT_OK);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"iat\":\"now\"}", T0, 60), JWT_ERR_CLAIM_INVALID);
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"iat\":{}}", T0, 60), JWT_ERR_CLAIM_INVALID);
        /* a bad iat comes first */
        CU_ASSERT_EQUAL(rs_payload("{\"aud\":\"" AUD "\",\"iat\":\"x\",\"exp\":1}", T0, 60), JWT_ERR_CLAIM_INVALID);
}

/* ---- JWK ---------------------------------------------------------------- */

static char *bn_b64(EVP_PKEY *k, const char *param)
{
        BIGNUM *bn = NULL;
        uint8_t buf[1100];
        int n;

        if (!EVP_PKEY_get_bn_param(k, param, &bn))
                abort();
        n = BN_bn2bin(bn, buf);
        BN_free(bn);
        return jwt_base64url_encode(buf, (size_t) n);
}

static cJSON *jwk_of(EVP_PKEY *k, const char *kid)
{
        _cleanup_free_ char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E);
        cJSON *j = cJSON_CreateObject();

        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "n", n);
        cJSON_AddStringToObject(j, "e", e);
        cJSON_AddStringToObject(j, "alg", "RS256");
        if (kid)
                cJSON_AddStringToObject(j, "kid", kid);
        cJSON_AddStringToObject(j, "use", "sig");
        return j;
}

static int jwk_error(const cJSON *jwk)
{
        EVP_PKEY *k = NULL;
        JwtError e = JWT_OK;
        char *kid = NULL;
        int r = jwk_to_pkey(jwk, &k, &kid, &e);

        if (r == 0) {
                CU_ASSERT_PTR_NOT_NULL(k);
                CU_ASSERT_EQUAL(e, JWT_OK);
        } else {
                CU_ASSERT_PTR_NULL(k);
                CU_ASSERT_EQUAL(e, JWT_ERR_KEY_INVALID);
        }
        EVP_PKEY_free(k);
        free(kid);
        return r;
}

static void test_jwk_good(void)
{
        cJSON *j = jwk_of(key(0), "kid-1");
        _cleanup_free_ char *tok = rs_token(0, "{\"aud\":\"" AUD "\"}");
        EVP_PKEY *k = NULL;
        char *kid = NULL;
        JwtError e;
        JwtVerifyOptions o = rs_opts(0);

        CU_ASSERT_EQUAL_FATAL(jwk_to_pkey(j, &k, &kid, &e), 0);
        CU_ASSERT_STRING_EQUAL(kid, "kid-1");
        CU_ASSERT_EQUAL(EVP_PKEY_eq(k, key(0)), 1);
        CU_ASSERT_EQUAL(EVP_PKEY_get_bits(k), 2048);
        /* a token signed by the private key verifies with the JWK's key */
        o.key = k;
        CU_ASSERT_EQUAL(decode(tok, &o), JWT_OK);
        EVP_PKEY_free(k);
        free(kid);

        /* without kid, alg, use: still a key; kid NULL */
        cJSON_DeleteItemFromObject(j, "kid");
        cJSON_DeleteItemFromObject(j, "alg");
        cJSON_DeleteItemFromObject(j, "use");
        kid = (char *) "sentinel";
        CU_ASSERT_EQUAL_FATAL(jwk_to_pkey(j, &k, &kid, NULL), 0);
        CU_ASSERT_PTR_NULL(kid);
        EVP_PKEY_free(k);
        /* ret_kid may be NULL */
        CU_ASSERT_EQUAL_FATAL(jwk_to_pkey(j, &k, NULL, NULL), 0);
        EVP_PKEY_free(k);
        CU_ASSERT_EQUAL(jwk_to_pkey(j, NULL, NULL, NULL), -EINVAL);

        /* a leading zero octet in n (some producers add it) */
        {
                BIGNUM *bn = NULL;
                uint8_t buf[300] = {};
                _cleanup_free_ char *n = NULL;

                EVP_PKEY_get_bn_param(key(0), OSSL_PKEY_PARAM_RSA_N, &bn);
                BN_bn2bin(bn, buf + 1);
                n = jwt_base64url_encode(buf, 257);
                BN_free(bn);
                cJSON_ReplaceItemInObject(j, "n", cJSON_CreateString(n));
                CU_ASSERT_EQUAL_FATAL(jwk_to_pkey(j, &k, NULL, NULL), 0);
                CU_ASSERT_EQUAL(EVP_PKEY_eq(k, key(0)), 1);
                EVP_PKEY_free(k);
        }
        cJSON_Delete(j);
}

static void set_str(cJSON *j, const char *name, const char *v)
{
        cJSON_DeleteItemFromObject(j, name);
        if (v)
                cJSON_AddStringToObject(j, name, v);
}

static void test_jwk_bad(void)
{
        cJSON *j = jwk_of(key(0), "kid-1"), *c;
        _cleanup_free_ char *n = cJSON_GetStringValue(cJSON_GetObjectItem(j, "n")) ?
                                         xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "n"))) : NULL;

        CU_ASSERT_EQUAL(jwk_error(j), 0);

#define CASE(field, value, want)                                        \
        do {                                                            \
                c = cJSON_Duplicate(j, true);                           \
                set_str(c, (field), (value));                           \
                CU_ASSERT_EQUAL(jwk_error(c), (want));                  \
                cJSON_Delete(c);                                        \
        } while (0)

        CASE("kty", "EC", -EPROTONOSUPPORT);
        CASE("kty", "oct", -EPROTONOSUPPORT);
        CASE("kty", "rsa", -EPROTONOSUPPORT);
        CASE("kty", NULL, -EINVAL);
        CASE("alg", "RS512", -EPROTONOSUPPORT);
        CASE("alg", "HS256", -EPROTONOSUPPORT);
        CASE("use", "enc", -EPROTONOSUPPORT);
        CASE("n", NULL, -EINVAL);
        CASE("n", "", -EINVAL);
        CASE("e", NULL, -EINVAL);
        CASE("e", "", -EINVAL);
        CASE("e", "AQAB=", -EINVAL);
        CASE("e", "AQ+B", -EINVAL);
        CASE("e", "AA", -ERANGE);               /* 0 */
        CASE("e", "AQ", -ERANGE);               /* 1 */
        CASE("e", "Ag", -ERANGE);               /* 2 */
        CASE("e", "AQA", -ERANGE);              /* 256: even */
        CASE("e", "Aw", 0);                     /* 3 */
        CASE("e", "AQAAAAAAAAAB", -ERANGE);     /* 9 octets */
        CASE("e", "_________w", 0);             /* 2^64 - 1 */
        CASE("n", "AQAB", -ERANGE);             /* far too small */
        {
                _cleanup_free_ char *padded = xasprintf("%s=", n);
                _cleanup_free_ char *std = xstrdup(n);

                CASE("n", padded, -EINVAL);
                for (char *p = std; *p; p++)
                        if (*p == '-' || *p == '_')
                                *p = *p == '-' ? '+' : '/';
                if (strcmp(std, n) != 0)
                        CASE("n", std, -EINVAL);
        }
#undef CASE

        /* non-string members */
        c = cJSON_Duplicate(j, true);
        cJSON_ReplaceItemInObject(c, "n", cJSON_CreateNumber(5));
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        c = cJSON_Duplicate(j, true);
        cJSON_ReplaceItemInObject(c, "kty", cJSON_CreateTrue());
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        c = cJSON_Duplicate(j, true);
        cJSON_ReplaceItemInObject(c, "kid", cJSON_CreateNumber(1));
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        c = cJSON_Duplicate(j, true);
        cJSON_ReplaceItemInObject(c, "alg", cJSON_CreateNull());
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        c = cJSON_Duplicate(j, true);
        cJSON_ReplaceItemInObject(c, "use", cJSON_CreateArray());
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);

        /* not objects */
        c = cJSON_CreateArray();
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        c = cJSON_CreateString("RSA");
        CU_ASSERT_EQUAL(jwk_error(c), -EINVAL);
        cJSON_Delete(c);
        CU_ASSERT_EQUAL(jwk_error(NULL), -EINVAL);
        cJSON_Delete(j);
}

/* Moduli made of bytes: the size checks come before any key is built. */
static void test_jwk_modulus_size(void)
{
        static const struct {
                size_t bits;
                int want;
        } v[] = {
                { 1024, -ERANGE }, { 2047, -ERANGE }, { 8193, -ERANGE }, { 16384, -ERANGE }, { 65536, -ERANGE },
        };
        cJSON *j = cJSON_CreateObject();

        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "e", "AQAB");
        cJSON_AddStringToObject(j, "n", "x");
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                size_t len = (v[i].bits + 7) / 8;
                uint8_t *buf = xmalloc(len);
                _cleanup_free_ char *n = NULL;

                memset(buf, 0xab, len);
                buf[0] = (uint8_t) (v[i].bits % 8 ? (1u << (v[i].bits % 8)) - 1 : 0xff);
                n = jwt_base64url_encode(buf, len);
                free(buf);
                cJSON_ReplaceItemInObject(j, "n", cJSON_CreateString(n));
                CU_ASSERT_EQUAL(jwk_error(j), v[i].want);
        }
        /* a huge string of zeros: refused for its length, before decoding */
        {
                char *zeros = xmalloc(100001);

                memset(zeros, 'A', 100000);
                zeros[100000] = '\0';
                cJSON_ReplaceItemInObject(j, "n", cJSON_CreateString(zeros));
                CU_ASSERT_EQUAL(jwk_error(j), -ERANGE);
                free(zeros);
        }
        /* 2048 bits, even: no RSA modulus */
        {
                uint8_t buf[256];
                _cleanup_free_ char *n = NULL;

                memset(buf, 0xc4, sizeof(buf));
                n = jwt_base64url_encode(buf, sizeof(buf));
                cJSON_ReplaceItemInObject(j, "n", cJSON_CreateString(n));
                CU_ASSERT_EQUAL(jwk_error(j), -EINVAL);
        }
        cJSON_Delete(j);
}

/* The biggest key accepted works end to end. */
static void test_jwk_8192(void)
{
        uint8_t buf[1024];
        _cleanup_free_ char *n = NULL;
        cJSON *j = cJSON_CreateObject();

        /* any odd number of 8192 bits makes a public key OpenSSL accepts */
        memset(buf, 0xb7, sizeof(buf));
        n = jwt_base64url_encode(buf, sizeof(buf));
        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "n", n);
        cJSON_AddStringToObject(j, "e", "AQAB");
        CU_ASSERT_EQUAL(jwk_error(j), 0);
        cJSON_Delete(j);
}

/* ---- JWKS --------------------------------------------------------------- */

static char *jwks_doc(cJSON *keys_array)
{
        cJSON *doc = cJSON_CreateObject();
        char *s;

        cJSON_AddItemToObject(doc, "keys", keys_array);
        s = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        return s;
}

static void test_jwks_parse(void)
{
        cJSON *arr = cJSON_CreateArray(), *x;
        _cleanup_free_ char *doc = NULL;
        JwkSet *s = NULL;
        JwtError e;

        cJSON_AddItemToArray(arr, jwk_of(key(0), "kid-1"));
        cJSON_AddItemToArray(arr, cJSON_Parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"x\":\"AA\",\"y\":\"AA\"}"));
        cJSON_AddItemToArray(arr, jwk_of(key(1), "kid-2"));
        cJSON_AddItemToArray(arr, jwk_of(key(0), NULL));                /* no kid */
        cJSON_AddItemToArray(arr, jwk_of(key(1), "kid-1"));             /* duplicate kid: the first wins */
        cJSON_AddItemToArray(arr, jwk_of(key(0), ""));                  /* empty kid */
        x = jwk_of(key(1), "enc");
        set_str(x, "use", "enc");
        cJSON_AddItemToArray(arr, x);
        cJSON_AddItemToArray(arr, cJSON_CreateString("junk"));
        cJSON_AddItemToArray(arr, cJSON_Parse("{\"kty\":\"RSA\",\"kid\":\"broken\",\"n\":\"AQAB\",\"e\":\"AQAB\"}"));
        doc = jwks_doc(arr);

        CU_ASSERT_EQUAL_FATAL(jwk_set_parse(doc, strlen(doc), &s, &e), 0);
        CU_ASSERT_EQUAL(e, JWT_OK);
        CU_ASSERT_EQUAL(jwk_set_size(s), 2);
        CU_ASSERT_EQUAL(jwk_set_skipped(s), 7);
        CU_ASSERT_STRING_EQUAL(jwk_set_kid(s, 0), "kid-1");
        CU_ASSERT_STRING_EQUAL(jwk_set_kid(s, 1), "kid-2");
        CU_ASSERT_PTR_NULL(jwk_set_kid(s, 2));
        CU_ASSERT_PTR_NULL(jwk_set_key(s, 2));
        CU_ASSERT_EQUAL(EVP_PKEY_eq(jwk_set_find(s, "kid-1"), key(0)), 1);
        CU_ASSERT_EQUAL(EVP_PKEY_eq(jwk_set_find(s, "kid-2"), key(1)), 1);
        CU_ASSERT_PTR_EQUAL(jwk_set_key(s, 1), jwk_set_find(s, "kid-2"));
        CU_ASSERT_PTR_NULL(jwk_set_find(s, "ec"));
        CU_ASSERT_PTR_NULL(jwk_set_find(s, "enc"));
        CU_ASSERT_PTR_NULL(jwk_set_find(s, "KID-1"));
        CU_ASSERT_PTR_NULL(jwk_set_find(s, NULL));
        CU_ASSERT_PTR_NULL(jwk_set_free(s));
        CU_ASSERT_PTR_NULL(jwk_set_free(NULL));
        CU_ASSERT_EQUAL(jwk_set_size(NULL), 0);
}

static void test_jwks_malformed(void)
{
        static const char *const bad[] = {
                "", "not json", "[]", "null", "\"keys\"", "{}", "{\"keys\":{}}", "{\"keys\":null}",
                "{\"keys\":\"x\"}", "{\"keys\":[]}x", "{\"keys\":[],\"keys\":[]}", "{\"Keys\":[]}", "{\"keys\":[",
        };
        JwkSet *s = NULL;
        JwtError e;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                e = JWT_OK;
                CU_ASSERT_EQUAL(jwk_set_parse(bad[i], strlen(bad[i]), &s, &e), -EPROTO);
                CU_ASSERT_EQUAL(e, JWT_ERR_JWKS_MALFORMED);
        }
        CU_ASSERT_EQUAL(jwk_set_parse(NULL, 0, &s, &e), -EPROTO);
        CU_ASSERT_EQUAL(jwk_set_parse("{}", 2, NULL, &e), -EINVAL);

        /* an empty set is a set */
        CU_ASSERT_EQUAL_FATAL(jwk_set_parse("{\"keys\":[]}", 11, &s, &e), 0);
        CU_ASSERT_EQUAL(jwk_set_size(s), 0);
        jwk_set_free(s);
        /* other members are ignored */
        CU_ASSERT_EQUAL_FATAL(jwk_set_parse(" {\"x\":1,\"keys\":[1,2]} ", 22, &s, &e), 0);
        CU_ASSERT_EQUAL(jwk_set_skipped(s), 2);
        jwk_set_free(s);
}

static void test_jwks_limits(void)
{
        cJSON *arr = cJSON_CreateArray(), *proto = jwk_of(key(0), "x");
        char *doc, *big;
        JwkSet *s = NULL;
        size_t len;

        for (int i = 0; i < JWKS_KEYS_MAX + 6; i++) {
                cJSON *k = cJSON_Duplicate(proto, true);
                char kid[16];

                snprintf(kid, sizeof(kid), "k%d", i);
                set_str(k, "kid", kid);
                cJSON_AddItemToArray(arr, k);
        }
        cJSON_Delete(proto);
        doc = jwks_doc(arr);
        CU_ASSERT_EQUAL_FATAL(jwk_set_parse(doc, strlen(doc), &s, NULL), 0);
        CU_ASSERT_EQUAL(jwk_set_size(s), JWKS_KEYS_MAX);
        CU_ASSERT_EQUAL(jwk_set_skipped(s), 6);
        CU_ASSERT_PTR_NOT_NULL(jwk_set_find(s, "k63"));
        CU_ASSERT_PTR_NULL(jwk_set_find(s, "k64"));
        jwk_set_free(s);
        free(doc);

        /* a kid longer than JWK_KID_MAX is skipped */
        {
                char kid[JWK_KID_MAX + 2];
                cJSON *a = cJSON_CreateArray(), *k = jwk_of(key(0), NULL);

                memset(kid, 'k', sizeof(kid) - 1);
                kid[sizeof(kid) - 1] = '\0';
                cJSON_AddStringToObject(k, "kid", kid);
                cJSON_AddItemToArray(a, k);
                k = jwk_of(key(0), NULL);
                kid[JWK_KID_MAX] = '\0';
                cJSON_AddStringToObject(k, "kid", kid);
                cJSON_AddItemToArray(a, k);
                doc = jwks_doc(a);
                CU_ASSERT_EQUAL_FATAL(jwk_set_parse(doc, strlen(doc), &s, NULL), 0);
                CU_ASSERT_EQUAL(jwk_set_size(s), 1);
                CU_ASSERT_EQUAL(strlen(jwk_set_kid(s, 0)), JWK_KID_MAX);
                jwk_set_free(s);
                free(doc);
        }

        /* JWKS_DOC_MAX bytes pass the size check, one more does not */
        len = JWKS_DOC_MAX + 1;
        big = xmalloc(len + 1);
        memset(big, ' ', len);
        memcpy(big, "{\"keys\":[]}", 11);
        big[len] = '\0';
        CU_ASSERT_EQUAL(jwk_set_parse(big, len, &s, NULL), -EPROTO);
        CU_ASSERT_EQUAL_FATAL(jwk_set_parse(big, len - 1, &s, NULL), 0);
        jwk_set_free(s);
        free(big);
}

/* ---- jwks.c pure helpers ------------------------------------------------ */

static void test_jwks_host_normalize(void)
{
        static const char *const bad[] = {
                "", ".", "a..b", ".a", "a.", "visibility.amp.cisco.com.", "a:443", "visibility.amp.cisco.com:443",
                "a/b", "a b", "-a.com", "a-.com", "a_b.com", "*.cisco.com", "user@host", "h%2e", "[::1]", "a\tb",
                "caf\xc3\xa9.com",
        };
        char label64[80], long_name[300];
        char *n = NULL;

        CU_ASSERT_EQUAL_FATAL(jwks_host_normalize("Visibility.AMP.Cisco.COM", &n), 0);
        CU_ASSERT_STRING_EQUAL(n, "visibility.amp.cisco.com");
        free(n);
        CU_ASSERT_EQUAL_FATAL(jwks_host_normalize("127.0.0.1", &n), 0);     /* a name, as far as syntax goes */
        free(n);
        CU_ASSERT_EQUAL_FATAL(jwks_host_normalize("x-1.y2", &n), 0);
        free(n);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CU_ASSERT_EQUAL(jwks_host_normalize(bad[i], &n), -EINVAL);
        CU_ASSERT_EQUAL(jwks_host_normalize(NULL, &n), -EINVAL);

        memset(label64, 'a', 64);
        label64[64] = '\0';
        CU_ASSERT_EQUAL(jwks_host_normalize(label64, &n), -EINVAL);
        label64[63] = '\0';
        CU_ASSERT_EQUAL_FATAL(jwks_host_normalize(label64, &n), 0);
        free(n);
        /* 253 bytes pass, 254 do not */
        memset(long_name, 0, sizeof(long_name));
        for (int i = 0; i < 63; i++)
                strcat(long_name, "abc.");
        strcat(long_name, "a");
        CU_ASSERT_EQUAL(strlen(long_name), 253);
        CU_ASSERT_EQUAL_FATAL(jwks_host_normalize(long_name, &n), 0);
        free(n);
        strcat(long_name, "b");
        CU_ASSERT_EQUAL(jwks_host_normalize(long_name, &n), -EINVAL);
}

static void test_jwks_patterns(void)
{
        static const char *const good_hosts[] = {
                "visibility.amp.cisco.com", "visibility.eu.amp.cisco.com", "visibility.apjc.amp.cisco.com",
                "VISIBILITY.EU.AMP.CISCO.COM", "visibility.in.amp.cisco.com", "visibility.int.cisco.com",
        };
        static const char *const bad_hosts[] = {
                "evil.example.com", "visibility.amp.cisco.com.evil.com", "xvisibility.amp.cisco.com",
                "visibility.a.b.amp.cisco.com", "cisco.com", "visibility.cisco.com", "amp.cisco.com",
                "visibility.amp.cisco.co", "visibility.amp.cisco.com.", "visibility..cisco.com",
                "visibility.eu.amp.cisco.com:443", "evil.com/visibility.amp.cisco.com", "127.0.0.1", "",
                "visibility.amp.ciscoxcom",
        };
        static const char *const custom[] = { "*.example.test", "jwks.example.org", NULL };
        static const char *const empty[] = { NULL };

        for (size_t i = 0; i < sizeof(good_hosts) / sizeof(good_hosts[0]); i++)
                CU_ASSERT(jwks_host_allowed(jwks_default_allowed_hosts, good_hosts[i]));
        for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++)
                CU_ASSERT(!jwks_host_allowed(jwks_default_allowed_hosts, bad_hosts[i]));

        CU_ASSERT(jwks_host_allowed(custom, "a.example.test"));
        CU_ASSERT(jwks_host_allowed(custom, "JWKS.example.org"));
        CU_ASSERT(!jwks_host_allowed(custom, "example.test"));
        CU_ASSERT(!jwks_host_allowed(custom, "a.b.example.test"));
        CU_ASSERT(!jwks_host_allowed(custom, "visibility.amp.cisco.com"));
        CU_ASSERT(!jwks_host_allowed(empty, "visibility.amp.cisco.com"));
        CU_ASSERT(!jwks_host_allowed(NULL, "visibility.amp.cisco.com"));
        CU_ASSERT(!jwks_host_allowed(custom, NULL));

        CU_ASSERT_EQUAL(jwks_pattern_check("visibility.*.cisco.com"), 0);
        CU_ASSERT_EQUAL(jwks_pattern_check("*"), 0);
        CU_ASSERT_EQUAL(jwks_pattern_check("*.*"), 0);
        CU_ASSERT_EQUAL(jwks_pattern_check("vis*.cisco.com"), -EINVAL);
        CU_ASSERT_EQUAL(jwks_pattern_check("**.cisco.com"), -EINVAL);
        CU_ASSERT_EQUAL(jwks_pattern_check("*..com"), -EINVAL);
        CU_ASSERT_EQUAL(jwks_pattern_check("a.com:443"), -EINVAL);
        CU_ASSERT_EQUAL(jwks_pattern_check(""), -EINVAL);
        CU_ASSERT_EQUAL(jwks_pattern_check(NULL), -EINVAL);
        for (const char *const *p = jwks_default_allowed_hosts; *p; p++)
                CU_ASSERT_EQUAL(jwks_pattern_check(*p), 0);
}

static void test_cleanup(void)
{
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                EVP_PKEY_free(keys[i]);
                keys[i] = NULL;
        }
}

void jwt_suite_add(void)
{
        UNIT_SUITE("jwt",
                   UNIT_TEST(test_error_table),
                   UNIT_TEST(test_tr_messages),
                   UNIT_TEST(test_alg_names),
                   UNIT_TEST(test_authorization_header),
                   UNIT_TEST(test_prepare),
                   UNIT_TEST(test_base64url_vectors),
                   UNIT_TEST(test_base64url_roundtrip),
                   UNIT_TEST(test_base64url_strict),
                   UNIT_TEST(test_parse_good),
                   UNIT_TEST(test_parse_accessors),
                   UNIT_TEST(test_parse_structure),
                   UNIT_TEST(test_parse_bad_segments),
                   UNIT_TEST(test_parse_json),
                   UNIT_TEST(test_parse_nul_inside),
                   UNIT_TEST(test_parse_limits),
                   UNIT_TEST(test_rs256_good),
                   UNIT_TEST(test_alg_none),
                   UNIT_TEST(test_other_algs),
                   UNIT_TEST(test_hs256_against_rs256),
                   UNIT_TEST(test_rs256_against_hs256),
                   UNIT_TEST(test_rs256_bad_signature),
                   UNIT_TEST(test_sig_cache), UNIT_TEST(test_token_cache),
                   UNIT_TEST(test_rs256_key_checks),
                   UNIT_TEST(test_hs256),
                   UNIT_TEST(test_hs256_constant_time_path),
                   UNIT_TEST(test_aud),
                   UNIT_TEST(test_aud_options),
                   UNIT_TEST(test_exp),
                   UNIT_TEST(test_exp_required),
                   UNIT_TEST(test_nbf_iat),
                   UNIT_TEST(test_jwk_good),
                   UNIT_TEST(test_jwk_bad),
                   UNIT_TEST(test_jwk_modulus_size),
                   UNIT_TEST(test_jwk_8192),
                   UNIT_TEST(test_jwks_parse),
                   UNIT_TEST(test_jwks_malformed),
                   UNIT_TEST(test_jwks_limits),
                   UNIT_TEST(test_jwks_host_normalize),
                   UNIT_TEST(test_jwks_patterns),
                   UNIT_TEST(test_cleanup));
}
