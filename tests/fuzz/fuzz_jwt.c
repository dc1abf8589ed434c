/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include "common/xalloc.h"
#include "daemon/jwks.h"
#include "daemon/jwt.h"
#include "tests/fuzz/fuzz.h"

/* The JWT and JWK parsers (src/daemon/jwt.c) and the jwks_host checks of
 * src/daemon/jwks.c.  Input: a token (or an Authorization header value)
 * up to the first NUL, then optionally a JWKS document after it; without
 * a NUL, the whole input is tried as both.  Invariants:
 *   jwt_authorization_token  the token lies inside the header, non-empty,
 *                            without blanks; failures are the two errors;
 *   jwt_prepare              succeeds exactly when the steps it stands for do;
 *   jwt_parse                MALFORMED is the only error; on success the
 *                            alg is a non-empty string, each segment is
 *                            canonical base64url (decode then encode gives
 *                            it back), jwt_check_alg agrees with the alg;
 *   jwt_verify               never MALFORMED after a parse; the same header
 *                            and payload re-signed with HS256 never fail
 *                            the signature (and any other result is one of
 *                            the claim errors); RS256 with the JWKS's keys
 *                            only ever answers signature or claim errors;
 *   JwtSigCache              (header and payload re-signed with RS256) a
 *                            token decoded again comes from the cache with
 *                            the same result and the same claims, and a
 *                            token one byte longer never does;
 *   jwk_set_parse            at most JWKS_KEYS_MAX keys, distinct non-empty
 *                            kids no longer than JWK_KID_MAX, each found by
 *                            jwk_set_find, each an RSA key of 2048-8192 bits;
 *   jwk_to_pkey              (the input as one JWK) the same key bounds;
 *                            a failure is JWT_ERR_KEY_INVALID and leaves
 *                            the outputs alone;
 *   jwks_host_normalize      idempotent, lower case, allowed iff the
 *                            original is (case-insensitive patterns). */

#define FUZZ_SECRET "fuzz-secret"

static bool claim_error(JwtError e)
{
        return e == JWT_OK || e == JWT_ERR_CLAIM_INVALID || e == JWT_ERR_NOT_YET_VALID || e == JWT_ERR_EXPIRED ||
               e == JWT_ERR_AUD_MISSING || e == JWT_ERR_AUD_MISMATCH;
}

static void check_key(EVP_PKEY *k)
{
        FUZZ_CHECK(k);
        FUZZ_CHECK(EVP_PKEY_is_a(k, "RSA"));
        FUZZ_CHECK(EVP_PKEY_get_bits(k) >= JWK_RSA_MIN_BITS && EVP_PKEY_get_bits(k) <= JWK_RSA_MAX_BITS);
}

static void check_segment(const char *s, size_t len)
{
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        char *again;

        FUZZ_CHECK(jwt_base64url_decode(s, len, &raw, &raw_len) == 0);
        again = jwt_base64url_encode(raw, raw_len);
        FUZZ_CHECK(strlen(again) == len && memcmp(again, s, len) == 0);
        free(again);
        free(raw);
}

/* The token's header and payload signed with HS256 by us. */
static void check_resigned(const char *token, size_t len)
{
        static const char *const auds[] = { "http://localhost", NULL };
        const char *dot2 = memrchr(token, '.', len);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        char *sig, *tok;
        JwtVerifyOptions o = { .alg = JWT_ALG_HS256, .secret = FUZZ_SECRET, .secret_len = strlen(FUZZ_SECRET),
                               .audiences = auds, .now = 1700000000, .leeway_sec = 60 };
        JwtError e = _JWT_ERROR_MAX;
        cJSON *claims = NULL;
        int r;

        FUZZ_CHECK(dot2);
        FUZZ_CHECK(HMAC(EVP_sha256(), FUZZ_SECRET, (int) strlen(FUZZ_SECRET), (const unsigned char *) token,
                        (size_t) (dot2 - token), mac, &mac_len));
        sig = jwt_base64url_encode(mac, mac_len);
        tok = xasprintf("%.*s.%s", (int) (dot2 - token), token, sig);
        r = jwt_decode(tok, strlen(tok), &o, &claims, &e);
        if (strlen(tok) > JWT_TOKEN_MAX) {
                FUZZ_CHECK(r < 0 && e == JWT_ERR_MALFORMED);
        } else if (r == 0) {
                FUZZ_CHECK(e == JWT_OK && cJSON_IsObject(claims));
        } else {
                FUZZ_CHECK(!claims);
                FUZZ_CHECK(r == jwt_error_to_errno(e));
                FUZZ_CHECK(claim_error(e));
        }
        cJSON_Delete(claims);
        free(tok);
        free(sig);
}

/* The token's header and payload signed with RS256 by us, decoded twice
 * through a signature cache. */
static void check_cached(const char *token, size_t len)
{
        static const char *const auds[] = { "http://localhost", NULL };
        static EVP_PKEY *key;
        const char *dot2 = memrchr(token, '.', len);
        unsigned char sig[512];
        size_t sig_len = sizeof(sig);
        EVP_MD_CTX *md;
        char *b64, *tok, *longer;
        JwtSigCache *cache;
        JwtVerifyOptions o = { .alg = JWT_ALG_RS256, .audiences = auds, .now = 1700000000, .leeway_sec = 60 };
        JwtError e1 = _JWT_ERROR_MAX, e2 = _JWT_ERROR_MAX, e3 = _JWT_ERROR_MAX;
        cJSON *c1 = NULL, *c2 = NULL;
        uint64_t hits, misses;
        int r1, r2;

        if (!key)
                key = EVP_RSA_gen(2048);
        FUZZ_CHECK(key && dot2);
        md = EVP_MD_CTX_new();
        FUZZ_CHECK(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
        FUZZ_CHECK(EVP_DigestSign(md, sig, &sig_len, (const unsigned char *) token, (size_t) (dot2 - token)) == 1);
        EVP_MD_CTX_free(md);
        b64 = jwt_base64url_encode(sig, sig_len);
        tok = xasprintf("%.*s.%s", (int) (dot2 - token), token, b64);
        cache = jwt_sig_cache_new(4, 600);
        o.key = key;
        o.sig_cache = cache;
        r1 = jwt_decode(tok, strlen(tok), &o, &c1, &e1);
        r2 = jwt_decode(tok, strlen(tok), &o, &c2, &e2);
        jwt_sig_cache_stats(cache, &hits, &misses);
        FUZZ_CHECK(r1 == r2 && e1 == e2);
        FUZZ_CHECK(r1 == 0 ? cJSON_Compare(c1, c2, true) : !c1 && !c2);
        /* remembered exactly when the signature verified: an RS256 token
         * within the length limit */
        if (r1 == 0 || claim_error(e1))
                FUZZ_CHECK(hits == 1 && misses == 1);
        else
                FUZZ_CHECK(hits == 0);
        /* a longer text never matches the remembered one */
        longer = xasprintf("%sA", tok);
        (void) jwt_decode(longer, strlen(longer), &o, NULL, &e3);
        FUZZ_CHECK(e3 != JWT_OK);
        jwt_sig_cache_stats(cache, &hits, &misses);
        FUZZ_CHECK(hits <= 1);
        jwt_sig_cache_free(cache);
        jwt_claims_free(c1);
        jwt_claims_free(c2);
        free(longer);
        free(tok);
        free(b64);
}

static void check_token(const char *token, size_t len, const JwkSet *set)
{
        static const char *const auds[] = { "http://localhost", NULL };
        const char *dot1, *dot2, *alg;
        JwtError e = _JWT_ERROR_MAX;
        JwtToken *t = NULL;
        int r;

        r = jwt_parse(token, len, &t, &e);
        if (r < 0) {
                FUZZ_CHECK(e == JWT_ERR_MALFORMED && !t);
                FUZZ_CHECK(r == -EBADMSG);
                return;
        }
        FUZZ_CHECK(t && e == JWT_OK && len <= JWT_TOKEN_MAX);
        alg = jwt_token_alg(t);
        FUZZ_CHECK(alg && alg[0]);
        FUZZ_CHECK(cJSON_IsObject(jwt_token_header(t)) && cJSON_IsObject(jwt_token_claims(t)));
        for (JwtAlg a = 0; a < _JWT_ALG_MAX; a++)
                FUZZ_CHECK((jwt_check_alg(t, a, NULL) == 0) == (strcmp(alg, jwt_alg_to_string(a)) == 0));
        if (jwt_token_kid(t))
                FUZZ_CHECK(jwt_token_kid(t)[0]);
        if (jwt_token_jwks_host(t)) {
                char *n = NULL;
                if (jwks_host_normalize(jwt_token_jwks_host(t), &n) == 0)
                        FUZZ_CHECK(n[0]);
                free(n);
        }

        dot1 = memchr(token, '.', len);
        dot2 = memchr(dot1 + 1, '.', (size_t) (token + len - dot1 - 1));
        check_segment(token, (size_t) (dot1 - token));
        check_segment(dot1 + 1, (size_t) (dot2 - dot1 - 1));
        check_segment(dot2 + 1, (size_t) (token + len - dot2 - 1));

        /* HS256 with a secret that almost surely did not sign it */
        {
                JwtVerifyOptions o = { .alg = JWT_ALG_HS256, .secret = FUZZ_SECRET,
                                       .secret_len = strlen(FUZZ_SECRET), .audiences = auds, .now = 1700000000 };
                r = jwt_verify(t, &o, &e);
                FUZZ_CHECK(r == 0 ? e == JWT_OK : r == jwt_error_to_errno(e));
                FUZZ_CHECK(e != JWT_ERR_MALFORMED);
                if (strcmp(alg, "HS256") != 0)
                        FUZZ_CHECK(e == JWT_ERR_ALG_NOT_ALLOWED);
        }
        /* RS256 with every key of the document */
        for (size_t i = 0; i < jwk_set_size(set); i++) {
                JwtVerifyOptions o = { .alg = JWT_ALG_RS256, .key = jwk_set_key(set, i), .audiences = auds,
                                       .now = 1700000000, .leeway_sec = 60 };
                r = jwt_verify(t, &o, &e);
                FUZZ_CHECK(r == 0 ? e == JWT_OK : r == jwt_error_to_errno(e));
                if (strcmp(alg, "RS256") != 0)
                        FUZZ_CHECK(e == JWT_ERR_ALG_NOT_ALLOWED);
                else
                        FUZZ_CHECK(e == JWT_ERR_BAD_SIGNATURE || claim_error(e));
        }
        if (strcmp(alg, "HS256") == 0)
                check_resigned(token, len);
        if (strcmp(alg, "RS256") == 0)
                check_cached(token, len);

        /* handing the claims over leaves none behind */
        {
                cJSON *c = jwt_token_take_claims(t);
                FUZZ_CHECK(cJSON_IsObject(c) && !jwt_token_claims(t) && !jwt_token_jwks_host(t));
                cJSON_Delete(c);
        }
        jwt_token_free(t);
}

static void check_header(const char *s)
{
        const char *tok = NULL;
        size_t len = 0;
        JwtError e = JWT_OK;
        int r = jwt_authorization_token(s, &tok, &len, &e);

        if (r < 0) {
                FUZZ_CHECK(e == JWT_ERR_WRONG_TYPE && r == -EPROTONOSUPPORT);
                return;
        }
        FUZZ_CHECK(tok >= s && tok + len <= s + strlen(s) && len > 0);
        for (size_t i = 0; i < len; i++)
                FUZZ_CHECK(tok[i] != ' ' && tok[i] != '\t' && tok[i] != '\n');
        check_token(tok, len, NULL);

        /* jwt_prepare() agrees with the steps it stands for */
        for (JwtAlg a = 0; a < _JWT_ALG_MAX; a++) {
                JwtToken *t = NULL, *t2 = NULL;
                bool want;

                r = jwt_prepare(s, a, &t, &e);
                want = jwt_parse(tok, len, &t2, NULL) == 0 && jwt_check_alg(t2, a, NULL) == 0 &&
                       (a != JWT_ALG_RS256 || jwt_token_jwks_host(t2));
                FUZZ_CHECK((r == 0) == want);
                FUZZ_CHECK((r == 0) == (t != NULL));
                FUZZ_CHECK(r == 0 ? e == JWT_OK : r == jwt_error_to_errno(e));
                jwt_token_free(t);
                jwt_token_free(t2);
        }
}

static JwkSet *check_jwks(const char *doc, size_t len)
{
        JwtError e = JWT_OK;
        JwkSet *s = NULL;
        int r = jwk_set_parse(doc, len, &s, &e);

        if (r < 0) {
                FUZZ_CHECK(e == JWT_ERR_JWKS_MALFORMED && !s);
                return NULL;
        }
        FUZZ_CHECK(s && jwk_set_size(s) <= JWKS_KEYS_MAX);
        for (size_t i = 0; i < jwk_set_size(s); i++) {
                const char *kid = jwk_set_kid(s, i);

                FUZZ_CHECK(kid && kid[0] && strlen(kid) <= JWK_KID_MAX);
                FUZZ_CHECK(jwk_set_find(s, kid) == jwk_set_key(s, i));
                check_key(jwk_set_key(s, i));
        }
        FUZZ_CHECK(!jwk_set_kid(s, jwk_set_size(s)));
        return s;
}

static void check_jwk(const char *doc, size_t len)
{
        cJSON *j = cJSON_ParseWithLength(doc, len);
        EVP_PKEY *k = NULL;
        char *kid = (char *) "untouched";
        JwtError e = JWT_OK;
        int r;

        if (!j)
                return;
        r = jwk_to_pkey(j, &k, &kid, &e);
        if (r == 0) {
                check_key(k);
                FUZZ_CHECK(e == JWT_OK);
                FUZZ_CHECK(!kid || fuzz_streq(kid, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kid"))));
                EVP_PKEY_free(k);
                free(kid);
        } else {
                FUZZ_CHECK(r == -EINVAL || r == -ERANGE || r == -EPROTONOSUPPORT);
                FUZZ_CHECK(e == JWT_ERR_KEY_INVALID && !k && strcmp(kid, "untouched") == 0);
        }
        cJSON_Delete(j);
}

static void check_host(const char *s)
{
        char *n = NULL, *n2 = NULL;

        if (jwks_host_normalize(s, &n) < 0) {
                FUZZ_CHECK(!jwks_host_allowed(jwks_default_allowed_hosts, s));
                return;
        }
        FUZZ_CHECK(jwks_host_normalize(n, &n2) == 0 && strcmp(n, n2) == 0);
        FUZZ_CHECK(strlen(n) == strlen(s) && strlen(n) <= JWKS_HOST_MAX);
        for (const char *p = n; *p; p++)
                FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        FUZZ_CHECK(jwks_host_allowed(jwks_default_allowed_hosts, n) == jwks_host_allowed(jwks_default_allowed_hosts, s));
        FUZZ_CHECK(jwks_pattern_check(n) == 0);
        FUZZ_CHECK(jwks_host_allowed((const char *const[]) { n, NULL }, s));
        free(n);
        free(n2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_strndup(data, size);
        size_t first = strlen(s);
        const char *doc = first < size ? s + first + 1 : s;
        size_t doc_len = first < size ? size - first - 1 : size;
        JwkSet *set;

        /* a copy of exactly the document's bytes, for reads past its end */
        _cleanup_free_ char *d = fuzz_strndup((const uint8_t *) doc, doc_len);

        set = check_jwks(d, doc_len);
        check_jwk(d, doc_len);
        check_token(s, first, set);
        check_header(s);
        check_host(s);
        jwk_set_free(set);
        return 0;
}
