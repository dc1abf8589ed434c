/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include "common/xalloc.h"
#include "daemon/jwt.h"

#if OPENSSL_VERSION_MAJOR < 3
#error "jwt.c needs OpenSSL 3 (EVP_PKEY_fromdata, EVP_PKEY_is_a)"
#endif

#define SHA256_LEN 32

/* ---- errors ------------------------------------------------------------- */

static const struct {
        const char *name;
        int err;
} jwt_errors[_JWT_ERROR_MAX] = {
        [JWT_OK]                        = { "ok", 0 },
        [JWT_ERR_HEADER_MISSING]        = { "header-missing", -ENOENT },
        [JWT_ERR_WRONG_TYPE]            = { "wrong-type", -EPROTONOSUPPORT },
        [JWT_ERR_MALFORMED]             = { "malformed", -EBADMSG },
        [JWT_ERR_ALG_NOT_ALLOWED]       = { "alg-not-allowed", -EOPNOTSUPP },
        [JWT_ERR_BAD_SIGNATURE]         = { "bad-signature", -EKEYREJECTED },
        [JWT_ERR_CLAIM_INVALID]         = { "claim-invalid", -EBADMSG },
        [JWT_ERR_NOT_YET_VALID]         = { "not-yet-valid", -ETIME },
        [JWT_ERR_EXPIRED]               = { "expired", -EKEYEXPIRED },
        [JWT_ERR_AUD_MISSING]           = { "aud-missing", -EACCES },
        [JWT_ERR_AUD_MISMATCH]          = { "aud-mismatch", -EACCES },
        [JWT_ERR_JWKS_HOST_MISSING]     = { "jwks-host-missing", -EDESTADDRREQ },
        [JWT_ERR_JWKS_HOST_NOT_ALLOWED] = { "jwks-host-not-allowed", -EPERM },
        [JWT_ERR_JWKS_FETCH_FAILED]     = { "jwks-fetch-failed", -EHOSTUNREACH },
        [JWT_ERR_JWKS_MALFORMED]        = { "jwks-malformed", -EPROTO },
        [JWT_ERR_KID_MISSING]           = { "kid-missing", -ENOKEY },
        [JWT_ERR_KID_UNKNOWN]           = { "kid-unknown", -ENOKEY },
        [JWT_ERR_KEY_INVALID]           = { "key-invalid", -EINVAL },
        [JWT_ERR_SECRET_MISSING]        = { "secret-missing", -ENOKEY },
        [JWT_ERR_PAYLOAD_STRUCTURE]     = { "payload-structure", -EBADMSG },
};

/* The TR messages (relays.md §4.1-§4.4 and the fixes of §9):
 *   alg not allowed: §9 row 4, the bad-signature text;
 *   claim invalid, nbf in the future: §9 row 5;
 *   expired: §9 row 2 (secresp wording);
 *   aud missing: §9 row 3;
 *   jwks_host empty: §9 row 9;
 *   host not allowed, fetch failed, JWKS malformed: §4.2 step 3 and §9 row 7,
 *   the text upstream gives, which implies the host check of §4.5;
 *   kid missing: §9 row 7;
 *   key invalid: never reaches a relay (jwk_set_parse skips such keys, §9
 *   row 8); the bad-JWKS text. */
#define PREFIX "Authorization failed: "
static const char *const tr_messages[_JWT_ERROR_MAX] = {
        [JWT_ERR_HEADER_MISSING]        = PREFIX "Authorization header is missing",
        [JWT_ERR_WRONG_TYPE]            = PREFIX "Wrong authorization type",
        [JWT_ERR_MALFORMED]             = PREFIX "Wrong JWT structure",
        [JWT_ERR_ALG_NOT_ALLOWED]       = PREFIX "Failed to decode JWT with provided key. "
                                          "Make sure domain in custom_jwks_host corresponds to your SecureX instance region.",
        [JWT_ERR_BAD_SIGNATURE]         = PREFIX "Failed to decode JWT with provided key. "
                                          "Make sure domain in custom_jwks_host corresponds to your SecureX instance region.",
        [JWT_ERR_CLAIM_INVALID]         = PREFIX "Wrong JWT structure",
        [JWT_ERR_NOT_YET_VALID]         = PREFIX "Wrong JWT structure",
        [JWT_ERR_EXPIRED]               = PREFIX "JWT has expired",
        [JWT_ERR_AUD_MISSING]           = PREFIX "Wrong configuration-token-audience",
        [JWT_ERR_AUD_MISMATCH]          = PREFIX "Wrong configuration-token-audience",
        [JWT_ERR_JWKS_HOST_MISSING]     = PREFIX "jwks_host is missing in JWT payload. "
                                          "Make sure custom_jwks_host field is present in module_type",
        [JWT_ERR_JWKS_HOST_NOT_ALLOWED] = PREFIX "Wrong jwks_host in JWT payload. "
                                          "Make sure domain follows the visibility.<region>.cisco.com structure",
        [JWT_ERR_JWKS_FETCH_FAILED]     = PREFIX "Wrong jwks_host in JWT payload. "
                                          "Make sure domain follows the visibility.<region>.cisco.com structure",
        [JWT_ERR_JWKS_MALFORMED]        = PREFIX "Wrong jwks_host in JWT payload. "
                                          "Make sure domain follows the visibility.<region>.cisco.com structure",
        [JWT_ERR_KID_MISSING]           = PREFIX "kid from JWT header not found in API response",
        [JWT_ERR_KID_UNKNOWN]           = PREFIX "kid from JWT header not found in API response",
        [JWT_ERR_KEY_INVALID]           = PREFIX "Wrong jwks_host in JWT payload. "
                                          "Make sure domain follows the visibility.<region>.cisco.com structure",
        [JWT_ERR_SECRET_MISSING]        = PREFIX "<SECRET_KEY> is missing",
        [JWT_ERR_PAYLOAD_STRUCTURE]     = PREFIX "Wrong JWT payload structure",
};
static const char tr_legacy_decode[] = PREFIX "Failed to decode JWT with provided key";
#undef PREFIX

const char *jwt_error_to_string(JwtError e)
{
        if (e < 0 || e >= _JWT_ERROR_MAX)
                return NULL;
        return jwt_errors[e].name;
}

int jwt_error_to_errno(JwtError e)
{
        if (e < 0 || e >= _JWT_ERROR_MAX)
                return -EINVAL;
        return jwt_errors[e].err;
}

const char *jwt_error_tr_message(JwtError e, JwtAlg mode)
{
        if (e <= JWT_OK || e >= _JWT_ERROR_MAX)
                return NULL;
        if (mode == JWT_ALG_HS256 && (e == JWT_ERR_BAD_SIGNATURE || e == JWT_ERR_ALG_NOT_ALLOWED))
                return tr_legacy_decode;
        return tr_messages[e];
}

static const char *const alg_names[_JWT_ALG_MAX] = {
        [JWT_ALG_RS256] = "RS256",
        [JWT_ALG_HS256] = "HS256",
};

const char *jwt_alg_to_string(JwtAlg a)
{
        if (a < 0 || a >= _JWT_ALG_MAX)
                return NULL;
        return alg_names[a];
}

JwtAlg jwt_alg_from_string(const char *s)
{
        if (!s)
                return _JWT_ALG_INVALID;
        for (int a = 0; a < _JWT_ALG_MAX; a++)
                if (strcmp(alg_names[a], s) == 0)
                        return a;
        return _JWT_ALG_INVALID;
}

/* Sets *reterr and returns the errno that goes with it. */
static int fail(JwtError *reterr, JwtError e)
{
        if (reterr)
                *reterr = e;
        return jwt_errors[e].err;
}

/* Same, with an errno of the caller's choice. */
static int fail_errno(JwtError *reterr, JwtError e, int r)
{
        if (reterr)
                *reterr = e;
        return r;
}

/* ---- Authorization header ----------------------------------------------- */

/* Python's str.split() on ASCII: space, \t, \n, \v, \f, \r and the
 * separators \x1c-\x1f. */
static bool is_py_space(char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

int jwt_authorization_token(const char *header, const char **ret_token, size_t *ret_len, JwtError *reterr)
{
        const char *parts[3];
        size_t lens[3], n = 0;
        const char *p;

        if (!header)
                return fail(reterr, JWT_ERR_HEADER_MISSING);
        for (p = header; *p;) {
                const char *start;

                while (*p && is_py_space(*p))
                        p++;
                if (!*p)
                        break;
                start = p;
                while (*p && !is_py_space(*p))
                        p++;
                if (n == 3)
                        return fail(reterr, JWT_ERR_WRONG_TYPE);
                parts[n] = start;
                lens[n] = (size_t) (p - start);
                n++;
        }
        if (n != 2 || lens[0] != 6 || strncasecmp(parts[0], "bearer", 6) != 0)
                return fail(reterr, JWT_ERR_WRONG_TYPE);
        if (ret_token)
                *ret_token = parts[1];
        if (ret_len)
                *ret_len = lens[1];
        return 0;
}

/* ---- base64url ---------------------------------------------------------- */

/* Each base64url character's value plus one, 0 elsewhere (a table: the
 * token's thousand characters are decoded on every relay request). */
static const uint8_t b64url_values[256] = {
        ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
        ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
        ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
        ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
        ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
        ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
        ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
        ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

static int b64url_value(unsigned char c)
{
        return (int) b64url_values[c] - 1;
}

int jwt_base64url_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len)
{
        uint8_t *out;
        size_t o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if (!s && len > 0)
                return -EINVAL;
        if (len % 4 == 1 || len > SIZE_MAX / 3)
                return -EINVAL;
        out = xmalloc(len / 4 * 3 + 3);
        for (size_t i = 0; i < len; i++) {
                int v = b64url_value((unsigned char) s[i]);

                if (v < 0) {
                        free(out);
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t) (acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        /* 2 or 4 bits left over must be zero: one encoding per byte string */
        if (acc != 0) {
                free(out);
                return -EINVAL;
        }
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
}

char *jwt_base64url_encode(const void *data, size_t len)
{
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const uint8_t *d = data;
        char *out = xmalloc(len / 3 * 4 + 4 + 1), *p = out;
        size_t i;

        for (i = 0; i + 3 <= len; i += 3) {
                uint32_t v = (uint32_t) d[i] << 16 | (uint32_t) d[i + 1] << 8 | d[i + 2];
                *p++ = alphabet[v >> 18];
                *p++ = alphabet[(v >> 12) & 63];
                *p++ = alphabet[(v >> 6) & 63];
                *p++ = alphabet[v & 63];
        }
        if (len - i == 1) {
                uint32_t v = (uint32_t) d[i] << 16;
                *p++ = alphabet[v >> 18];
                *p++ = alphabet[(v >> 12) & 63];
        } else if (len - i == 2) {
                uint32_t v = (uint32_t) d[i] << 16 | (uint32_t) d[i + 1] << 8;
                *p++ = alphabet[v >> 18];
                *p++ = alphabet[(v >> 12) & 63];
                *p++ = alphabet[(v >> 6) & 63];
        }
        *p = '\0';
        return out;
}

/* ---- JSON --------------------------------------------------------------- */

static void wipe_json(cJSON *j)
{
        for (; j; j = j->next) {
                if (j->valuestring)
                        explicit_bzero(j->valuestring, strlen(j->valuestring));
                if (j->string)
                        explicit_bzero(j->string, strlen(j->string));
                j->valuedouble = 0;
                j->valueint = 0;
                wipe_json(j->child);
        }
}

static cJSON *json_delete_wiped(cJSON *j)
{
        wipe_json(j);
        cJSON_Delete(j);
        return NULL;
}

cJSON *jwt_claims_free(cJSON *claims)
{
        return json_delete_wiped(claims);
}

#define JSON_MEMBERS_MAX 256

/* Also refuses objects too large to check cheaply. */
static bool has_duplicate_members(const cJSON *obj)
{
        size_t n = 0;

        for (const cJSON *a = obj->child; a; a = a->next)
                if (++n > JSON_MEMBERS_MAX)
                        return true;
        for (const cJSON *a = obj->child; a; a = a->next)
                for (const cJSON *b = a->next; b; b = b->next)
                        if (strcmp(a->string, b->string) == 0)
                                return true;
        return false;
}

/* A JSON object filling exactly buf[0..len) (blanks around it allowed);
 * no NUL inside, no duplicate member names at the top level. */
static cJSON *parse_object(const char *buf, size_t len)
{
        const char *end = NULL;
        cJSON *j;

        if (len == 0 || memchr(buf, '\0', len))
                return NULL;
        j = cJSON_ParseWithLengthOpts(buf, len, &end, false);
        if (!j)
                return NULL;
        while (end && end < buf + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
                end++;
        if (!cJSON_IsObject(j) || end != buf + len || has_duplicate_members(j))
                return json_delete_wiped(j);
        return j;
}

/* ---- tokens ------------------------------------------------------------- */

struct JwtToken {
        cJSON *header;
        cJSON *claims;
        char *text;                     /* the compact JWS as received, NUL-terminated */
        size_t len;
        size_t signing_input_len;       /* "<header>.<payload>": the first bytes of text */
        uint8_t *signature;             /* decoded; NULL for a token from the cache until needed */
        size_t signature_len;
        bool signature_decoded;
};

JwtToken *jwt_token_free(JwtToken *t)
{
        if (!t)
                return NULL;
        cJSON_Delete(t->header);
        json_delete_wiped(t->claims);
        if (t->text) {
                explicit_bzero(t->text, t->len);
                free(t->text);
        }
        free(t->signature);
        free(t);
        return NULL;
}

static char *memdup_nul(const char *s, size_t len)
{
        char *p = xmalloc(len + 1);

        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

/* Decodes one base64url segment and parses it as a JSON object. */
static cJSON *segment_object(const char *s, size_t len)
{
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        cJSON *j;

        if (len == 0 || jwt_base64url_decode(s, len, &raw, &raw_len) < 0)
                return NULL;
        j = parse_object((const char *) raw, raw_len);
        explicit_bzero(raw, raw_len);
        free(raw);
        return j;
}

static int token_signature(JwtToken *t)
{
        if (t->signature_decoded)
                return 0;
        if (jwt_base64url_decode(t->text + t->signing_input_len + 1, t->len - t->signing_input_len - 1,
                                 &t->signature, &t->signature_len) < 0)
                return -EBADMSG;
        t->signature_decoded = true;
        return 0;
}

/* A token verified before: its text (compared whole, in constant time),
 * what parsing it gave, and the key that verified its signature. */
typedef struct SigEntry {
        char *text;                     /* NULL when the slot is free */
        size_t len;
        cJSON *header, *claims;
        EVP_PKEY *key;                  /* a reference */
        time_t expires;
} SigEntry;

static SigEntry *sig_slot(JwtSigCache *c, const char *token, size_t len);
static bool sig_entry_is(const SigEntry *e, const char *token, size_t len);

static int parse_token(JwtSigCache *cache, const char *token, size_t len, JwtToken **ret, JwtError *reterr)
{
        const char *dot1, *dot2, *alg;
        JwtToken *t;
        const cJSON *a;

        if (!ret)
                return fail_errno(reterr, JWT_ERR_MALFORMED, -EINVAL);
        if (!token || len == 0 || len > JWT_TOKEN_MAX)
                return fail(reterr, JWT_ERR_MALFORMED);
        dot1 = memchr(token, '.', len);
        if (!dot1)
                return fail(reterr, JWT_ERR_MALFORMED);
        dot2 = memchr(dot1 + 1, '.', (size_t) (token + len - dot1 - 1));
        if (!dot2 || memchr(dot2 + 1, '.', (size_t) (token + len - dot2 - 1)))
                return fail(reterr, JWT_ERR_MALFORMED);

        t = xnew(JwtToken, 1);
        t->text = memdup_nul(token, len);
        t->len = len;
        t->signing_input_len = (size_t) (dot2 - token);
        if (cache) {
                /* The same text parsed and checked before: copies of the
                 * result, without base64 and JSON again. */
                const SigEntry *e = sig_slot(cache, token, len);

                if (sig_entry_is(e, token, len)) {
                        t->header = cJSON_Duplicate(e->header, true);
                        t->claims = cJSON_Duplicate(e->claims, true);
                        if (!t->header || !t->claims)
                                abort();        /* OOM, as xmalloc */
                        *ret = t;
                        if (reterr)
                                *reterr = JWT_OK;
                        return 0;
                }
        }
        t->header = segment_object(token, (size_t) (dot1 - token));
        if (!t->header)
                goto malformed;
        a = cJSON_GetObjectItemCaseSensitive(t->header, "alg");
        alg = cJSON_GetStringValue(a);
        if (!alg || !alg[0])
                goto malformed;
        /* RFC 7515 §4.1.11: no critical extension is understood here */
        if (cJSON_GetObjectItemCaseSensitive(t->header, "crit"))
                goto malformed;
        t->claims = segment_object(dot1 + 1, (size_t) (dot2 - dot1 - 1));
        if (!t->claims)
                goto malformed;
        if (token_signature(t) < 0)
                goto malformed;
        *ret = t;
        if (reterr)
                *reterr = JWT_OK;
        return 0;

malformed:
        jwt_token_free(t);
        return fail(reterr, JWT_ERR_MALFORMED);
}

int jwt_parse(const char *token, size_t len, JwtToken **ret, JwtError *reterr)
{
        return parse_token(NULL, token, len, ret, reterr);
}

const cJSON *jwt_token_header(const JwtToken *t)
{
        return t ? t->header : NULL;
}

const cJSON *jwt_token_claims(const JwtToken *t)
{
        return t ? t->claims : NULL;
}

const char *jwt_token_alg(const JwtToken *t)
{
        return t ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t->header, "alg")) : NULL;
}

static const char *nonempty_string(const cJSON *obj, const char *name)
{
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
        return s && s[0] ? s : NULL;
}

const char *jwt_token_kid(const JwtToken *t)
{
        return t ? nonempty_string(t->header, "kid") : NULL;
}

const char *jwt_token_jwks_host(const JwtToken *t)
{
        return t ? nonempty_string(t->claims, "jwks_host") : NULL;
}

cJSON *jwt_token_take_claims(JwtToken *t)
{
        cJSON *c;

        if (!t)
                return NULL;
        c = t->claims;
        t->claims = NULL;
        return c;
}

int jwt_check_alg(const JwtToken *t, JwtAlg alg, JwtError *reterr)
{
        const char *name = jwt_alg_to_string(alg), *a;

        if (!t || !name)
                return fail_errno(reterr, JWT_ERR_ALG_NOT_ALLOWED, -EINVAL);
        a = jwt_token_alg(t);
        if (!a || strcmp(a, name) != 0)
                return fail(reterr, JWT_ERR_ALG_NOT_ALLOWED);
        if (reterr)
                *reterr = JWT_OK;
        return 0;
}

int jwt_prepare_cached(JwtSigCache *cache, const char *authorization, JwtAlg mode, JwtToken **ret,
                       JwtError *reterr)
{
        const char *tok = NULL;
        JwtToken *t = NULL;
        size_t len = 0;
        int r;

        if (!ret || !jwt_alg_to_string(mode))
                return fail_errno(reterr, JWT_ERR_MALFORMED, -EINVAL);
        r = jwt_authorization_token(authorization, &tok, &len, reterr);
        if (r < 0)
                return r;
        r = parse_token(cache, tok, len, &t, reterr);
        if (r < 0)
                return r;
        r = jwt_check_alg(t, mode, reterr);
        if (r >= 0 && mode == JWT_ALG_RS256 && !jwt_token_jwks_host(t))
                r = fail(reterr, JWT_ERR_JWKS_HOST_MISSING);
        if (r < 0) {
                jwt_token_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

int jwt_prepare(const char *authorization, JwtAlg mode, JwtToken **ret, JwtError *reterr)
{
        return jwt_prepare_cached(NULL, authorization, mode, ret, reterr);
}

struct JwtSigCache {
        SigEntry *slots;
        size_t n;
        unsigned ttl_sec;
        uint64_t hits, misses;
};

JwtSigCache *jwt_sig_cache_new(size_t slots, unsigned ttl_sec)
{
        JwtSigCache *c = xnew(JwtSigCache, 1);

        c->n = slots ? slots : 1;
        c->slots = xnew(SigEntry, c->n);
        c->ttl_sec = ttl_sec;
        return c;
}

static void sig_entry_clear(SigEntry *e)
{
        if (e->text) {
                explicit_bzero(e->text, e->len);
                free(e->text);
        }
        cJSON_Delete(e->header);
        json_delete_wiped(e->claims);
        EVP_PKEY_free(e->key);
        *e = (SigEntry) {};
}

JwtSigCache *jwt_sig_cache_free(JwtSigCache *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++)
                sig_entry_clear(&c->slots[i]);
        free(c->slots);
        free(c);
        return NULL;
}

void jwt_sig_cache_stats(const JwtSigCache *c, uint64_t *ret_hits, uint64_t *ret_misses)
{
        *ret_hits = c ? c->hits : 0;
        *ret_misses = c ? c->misses : 0;
}

/* The slot by the token's last bytes, its signature: a token made to
 * collide only evicts, it never matches, the whole text is compared. */
static SigEntry *sig_slot(JwtSigCache *c, const char *token, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */
        size_t from = len > 32 ? len - 32 : 0;

        for (size_t i = from; i < len; i++)
                h = (h ^ (unsigned char) token[i]) * 0x100000001b3ULL;
        return &c->slots[h % c->n];
}

/* Constant time as CRYPTO_memcmp(), a word at a time: it runs twice a
 * request over a kilobyte or more. */
static bool equal_ct(const char *a, const char *b, size_t n)
{
        uint64_t d = 0;
        size_t i = 0;

        for (; i + 8 <= n; i += 8) {
                uint64_t x, y;

                memcpy(&x, a + i, 8);
                memcpy(&y, b + i, 8);
                d |= x ^ y;
        }
        for (; i < n; i++)
                d |= (uint64_t) (unsigned char) (a[i] ^ b[i]);
        return d == 0;
}

static bool sig_entry_is(const SigEntry *e, const char *token, size_t len)
{
        return e->text && e->len == len && equal_ct(e->text, token, len);
}

static int verify_rs256(JwtToken *t, EVP_PKEY *key, JwtSigCache *cache, time_t now, JwtError *reterr)
{
        SigEntry *slot = NULL;
        EVP_MD_CTX *ctx;
        int v;

        if (!key || !EVP_PKEY_is_a(key, "RSA"))
                return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
        if (cache) {
                /* looked up again, not taken from the parse: a JWKS fetch may
                 * have run since, and the slot may hold another token now */
                slot = sig_slot(cache, t->text, t->len);
                if (sig_entry_is(slot, t->text, t->len) && slot->key == key && now < slot->expires) {
                        cache->hits++;
                        return 0;
                }
                cache->misses++;
        }
        if (token_signature(t) < 0)
                return fail(reterr, JWT_ERR_MALFORMED);
        /* length is public: the modulus size, nothing else can verify */
        if (t->signature_len == 0 || t->signature_len != (size_t) EVP_PKEY_get_size(key))
                return fail(reterr, JWT_ERR_BAD_SIGNATURE);
        ctx = EVP_MD_CTX_new();
        if (!ctx)
                abort();
        v = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL);
        if (v == 1)
                v = EVP_DigestVerify(ctx, t->signature, t->signature_len, (const unsigned char *) t->text,
                                     t->signing_input_len);
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
        if (v != 1)
                return fail(reterr, JWT_ERR_BAD_SIGNATURE);
        if (slot && EVP_PKEY_up_ref(key) == 1) {
                sig_entry_clear(slot);
                slot->text = memdup_nul(t->text, t->len);
                slot->len = t->len;
                slot->header = cJSON_Duplicate(t->header, true);
                slot->claims = cJSON_Duplicate(t->claims, true);
                if (!slot->header || !slot->claims)
                        abort();
                slot->key = key;
                slot->expires = now + (time_t) cache->ttl_sec;
        }
        return 0;
}

static int verify_hs256(JwtToken *t, const void *secret, size_t secret_len, JwtError *reterr)
{
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        int r = 0;

        if (!secret || secret_len == 0 || secret_len > INT32_MAX)
                return fail(reterr, JWT_ERR_SECRET_MISSING);
        if (token_signature(t) < 0)
                return fail(reterr, JWT_ERR_MALFORMED);
        if (!HMAC(EVP_sha256(), secret, (int) secret_len, (const unsigned char *) t->text,
                  t->signing_input_len, mac, &mac_len) || mac_len != SHA256_LEN) {
                ERR_clear_error();
                return fail_errno(reterr, JWT_ERR_BAD_SIGNATURE, -EIO);
        }
        /* the length is public (always 32 for a genuine token); the bytes
         * are compared in constant time */
        if (t->signature_len != SHA256_LEN || CRYPTO_memcmp(mac, t->signature, SHA256_LEN) != 0)
                r = fail(reterr, JWT_ERR_BAD_SIGNATURE);
        OPENSSL_cleanse(mac, sizeof(mac));
        return r;
}

/* A NumericDate claim: absent (false), or a number in *ret; -EBADMSG for
 * anything else. */
static int numeric_claim(const cJSON *claims, const char *name, double *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(claims, name);

        if (!v)
                return 0;
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return -EBADMSG;
        *ret = v->valuedouble;
        return 1;
}

static bool audience_expected(const char *const *audiences, const char *aud)
{
        for (const char *const *a = audiences; *a; a++)
                if (strcmp(*a, aud) == 0)
                        return true;
        return false;
}

static int check_aud(const cJSON *claims, const char *const *audiences, JwtError *reterr)
{
        const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud"), *e;
        bool match = false;

        if (!aud)
                return fail(reterr, JWT_ERR_AUD_MISSING);
        if (cJSON_IsString(aud)) {
                if (!audience_expected(audiences, aud->valuestring))
                        return fail(reterr, JWT_ERR_AUD_MISMATCH);
                return 0;
        }
        if (!cJSON_IsArray(aud))
                return fail(reterr, JWT_ERR_AUD_MISMATCH);
        /* as PyJWT: every element a string, any one may match */
        cJSON_ArrayForEach(e, aud) {
                if (!cJSON_IsString(e))
                        return fail(reterr, JWT_ERR_AUD_MISMATCH);
                if (audience_expected(audiences, e->valuestring))
                        match = true;
        }
        if (!match)
                return fail(reterr, JWT_ERR_AUD_MISMATCH);
        return 0;
}

int jwt_verify(JwtToken *t, const JwtVerifyOptions *o, JwtError *reterr)
{
        double iat, nbf, exp, now, leeway;
        int r, has_exp, has_nbf;

        if (!t || !o)
                return fail_errno(reterr, JWT_ERR_MALFORMED, -EINVAL);
        r = jwt_check_alg(t, o->alg, reterr);
        if (r < 0)
                return r;
        if (o->alg == JWT_ALG_RS256)
                r = verify_rs256(t, o->key, o->sig_cache, o->now, reterr);
        else
                r = verify_hs256(t, o->secret, o->secret_len, reterr);
        if (r < 0)
                return r;

        now = (double) o->now;
        leeway = (double) o->leeway_sec;
        if (numeric_claim(t->claims, "iat", &iat) < 0)
                return fail(reterr, JWT_ERR_CLAIM_INVALID);
        has_nbf = numeric_claim(t->claims, "nbf", &nbf);
        if (has_nbf < 0)
                return fail(reterr, JWT_ERR_CLAIM_INVALID);
        if (has_nbf && nbf > now + leeway)
                return fail(reterr, JWT_ERR_NOT_YET_VALID);
        has_exp = numeric_claim(t->claims, "exp", &exp);
        if (has_exp < 0 || (!has_exp && o->require_exp))
                return fail(reterr, JWT_ERR_CLAIM_INVALID);
        if (has_exp && exp <= now - leeway)
                return fail(reterr, JWT_ERR_EXPIRED);
        if (o->audiences) {
                r = check_aud(t->claims, o->audiences, reterr);
                if (r < 0)
                        return r;
        }
        if (reterr)
                *reterr = JWT_OK;
        return 0;
}

int jwt_decode(const char *token, size_t len, const JwtVerifyOptions *o, cJSON **ret_claims, JwtError *reterr)
{
        JwtToken *t = NULL;
        int r;

        r = parse_token(o ? o->sig_cache : NULL, token, len, &t, reterr);
        if (r < 0)
                return r;
        r = jwt_verify(t, o, reterr);
        if (r >= 0 && ret_claims)
                *ret_claims = jwt_token_take_claims(t);
        jwt_token_free(t);
        return r;
}

/* ---- JSON Web Keys ------------------------------------------------------ */

/* A big-endian unsigned integer member in strict base64url; leading zero
 * octets dropped.  *ret_len may be 0 (the value zero). */
static int b64url_uint(const cJSON *jwk, const char *name, uint8_t **ret, size_t *ret_len)
{
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, name));
        uint8_t *raw;
        size_t len, skip = 0;

        if (!s || !s[0])
                return -EINVAL;
        /* a modulus of JWK_RSA_MAX_BITS plus a few zero octets, no more */
        if (strlen(s) > (JWK_RSA_MAX_BITS / 8 + 16) * 4 / 3 + 4)
                return -ERANGE;
        if (jwt_base64url_decode(s, strlen(s), &raw, &len) < 0)
                return -EINVAL;
        while (skip < len && raw[skip] == 0)
                skip++;
        memmove(raw, raw + skip, len - skip);
        *ret = raw;
        *ret_len = len - skip;
        return 0;
}

static int rsa_pkey_from(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len, EVP_PKEY **ret)
{
        OSSL_PARAM_BLD *bld = NULL;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        BIGNUM *bn_n = NULL, *bn_e = NULL;
        EVP_PKEY *key = NULL;
        int r = -EINVAL;

        bn_n = BN_bin2bn(n, (int) n_len, NULL);
        bn_e = BN_bin2bn(e, (int) e_len, NULL);
        bld = OSSL_PARAM_BLD_new();
        if (!bn_n || !bn_e || !bld)
                goto out;
        if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
                goto out;
        params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        if (!params || !ctx)
                goto out;
        if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
                goto out;
        *ret = key;
        key = NULL;
        r = 0;
out:
        EVP_PKEY_free(key);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(bn_n);
        BN_free(bn_e);
        ERR_clear_error();
        return r;
}

/* The bit length of a big-endian number without leading zero octets. */
static size_t bit_length(const uint8_t *v, size_t len)
{
        size_t bits;
        uint8_t top;

        if (len == 0)
                return 0;
        bits = (len - 1) * 8;
        for (top = v[0]; top; top >>= 1)
                bits++;
        return bits;
}

int jwk_to_pkey(const cJSON *jwk, EVP_PKEY **ret_key, char **ret_kid, JwtError *reterr)
{
        const cJSON *kid_item;
        const char *kty, *alg, *use, *kid = NULL;
        uint8_t *n = NULL, *e = NULL;
        size_t n_len = 0, e_len = 0, n_bits;
        EVP_PKEY *key = NULL;
        int r;

        if (!ret_key)
                return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
        if (!cJSON_IsObject(jwk))
                return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
        kty = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "kty"));
        if (!kty)
                return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
        if (strcmp(kty, "RSA") != 0)
                return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EPROTONOSUPPORT);
        if (cJSON_GetObjectItemCaseSensitive(jwk, "alg")) {
                alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "alg"));
                if (!alg)
                        return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
                if (strcmp(alg, "RS256") != 0)
                        return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EPROTONOSUPPORT);
        }
        if (cJSON_GetObjectItemCaseSensitive(jwk, "use")) {
                use = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "use"));
                if (!use)
                        return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
                if (strcmp(use, "sig") != 0)
                        return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EPROTONOSUPPORT);
        }
        kid_item = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
        if (kid_item) {
                kid = cJSON_GetStringValue(kid_item);
                if (!kid)
                        return fail_errno(reterr, JWT_ERR_KEY_INVALID, -EINVAL);
        }

        r = b64url_uint(jwk, "n", &n, &n_len);
        if (r < 0)
                goto fail;
        r = b64url_uint(jwk, "e", &e, &e_len);
        if (r < 0)
                goto fail;
        n_bits = bit_length(n, n_len);
        if (n_bits < JWK_RSA_MIN_BITS || n_bits > JWK_RSA_MAX_BITS) {
                r = -ERANGE;
                goto fail;
        }
        /* odd, at least 3, at most 64 bits */
        if (e_len == 0 || e_len > 8 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] < 3)) {
                r = -ERANGE;
                goto fail;
        }
        /* an even modulus is no RSA modulus */
        if (!(n[n_len - 1] & 1)) {
                r = -EINVAL;
                goto fail;
        }
        r = rsa_pkey_from(n, n_len, e, e_len, &key);
        if (r < 0)
                goto fail;
        free(n);
        free(e);
        if (ret_kid)
                *ret_kid = kid ? xstrdup(kid) : NULL;
        *ret_key = key;
        if (reterr)
                *reterr = JWT_OK;
        return 0;

fail:
        free(n);
        free(e);
        return fail_errno(reterr, JWT_ERR_KEY_INVALID, r);
}

typedef struct JwkEntry {
        char *kid;
        EVP_PKEY *key;
} JwkEntry;

struct JwkSet {
        JwkEntry *keys;
        size_t n_keys;
        size_t skipped;
};

JwkSet *jwk_set_free(JwkSet *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_keys; i++) {
                free(s->keys[i].kid);
                EVP_PKEY_free(s->keys[i].key);
        }
        free(s->keys);
        free(s);
        return NULL;
}

EVP_PKEY *jwk_set_find(const JwkSet *s, const char *kid)
{
        if (!s || !kid)
                return NULL;
        for (size_t i = 0; i < s->n_keys; i++)
                if (strcmp(s->keys[i].kid, kid) == 0)
                        return s->keys[i].key;
        return NULL;
}

int jwk_set_parse(const char *json, size_t len, JwkSet **ret, JwtError *reterr)
{
        const cJSON *keys, *k;
        cJSON *doc;
        JwkSet *s;

        if (!ret)
                return fail_errno(reterr, JWT_ERR_JWKS_MALFORMED, -EINVAL);
        if (!json || len > JWKS_DOC_MAX)
                return fail(reterr, JWT_ERR_JWKS_MALFORMED);
        doc = parse_object(json, len);
        if (!doc)
                return fail(reterr, JWT_ERR_JWKS_MALFORMED);
        keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
        if (!cJSON_IsArray(keys)) {
                cJSON_Delete(doc);
                return fail(reterr, JWT_ERR_JWKS_MALFORMED);
        }

        s = xnew(JwkSet, 1);
        s->keys = xnew(JwkEntry, JWKS_KEYS_MAX);
        cJSON_ArrayForEach(k, keys) {
                EVP_PKEY *key = NULL;
                char *kid = NULL;

                if (s->n_keys == JWKS_KEYS_MAX || jwk_to_pkey(k, &key, &kid, NULL) < 0) {
                        s->skipped++;
                        continue;
                }
                if (!kid || !kid[0] || strlen(kid) > JWK_KID_MAX || jwk_set_find(s, kid)) {
                        free(kid);
                        EVP_PKEY_free(key);
                        s->skipped++;
                        continue;
                }
                s->keys[s->n_keys++] = (JwkEntry) { .kid = kid, .key = key };
        }
        cJSON_Delete(doc);
        *ret = s;
        if (reterr)
                *reterr = JWT_OK;
        return 0;
}

size_t jwk_set_size(const JwkSet *s)
{
        return s ? s->n_keys : 0;
}

size_t jwk_set_skipped(const JwkSet *s)
{
        return s ? s->skipped : 0;
}

const char *jwk_set_kid(const JwkSet *s, size_t i)
{
        return s && i < s->n_keys ? s->keys[i].kid : NULL;
}

EVP_PKEY *jwk_set_key(const JwkSet *s, size_t i)
{
        return s && i < s->n_keys ? s->keys[i].key : NULL;
}
