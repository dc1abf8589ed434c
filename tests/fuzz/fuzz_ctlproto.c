/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "common/ctlproto.h"
#include "common/xalloc.h"
#include "ctl/reply.h"
#include "tests/fuzz/fuzz.h"

/* The control protocol, from the byte stream up, on both ends.
 *
 * Input: byte 0 picks how the stream is cut into reads (0: as few reads as
 * allowed, else the seed of the read sizes), byte 1 the frame limit and the
 * client's view (bit 7: the client awaits a list), the rest is the stream a
 * peer sends.  The stream goes through a CtlDecoder read by read, as
 * control.c and client.c feed theirs, and every frame it yields
 *   - must be the frame a one-pass scan of the stream finds at that point
 *     (reads never change what is decoded),
 *   - survives ctl_frame_encode() and a fresh decoder unchanged,
 *   - is parsed by ctl_request_parse() as the daemon does; the reply the
 *     daemon would send (ok or error) must be understood by the client's
 *     ctl_exchange_feed() as the answer to that request id, and an accepted
 *     request printed back by cJSON must parse to the same request,
 *   - is fed to a client exchange as a reply from a (hostile) daemon. */

static const size_t frame_limits[] = { CTL_FRAME_MAX, 1, 2, 5, 16, 64, 255, 4096 };

static uint32_t next_rand(uint32_t *s)
{
        /* xorshift32: a seed of 0 would stay 0 */
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        return *s;
}

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* What the decoder must yield: the frame at *off in the whole stream.  1 and
 * the payload's offset and length, 0 when the rest is a truncated frame,
 * -EBADMSG or -EMSGSIZE as ctl_decoder_next() reports them. */
static int scan_frame(const uint8_t *s, size_t len, size_t max, size_t *off, size_t *ret_at, size_t *ret_len)
{
        uint32_t n;

        if (len - *off < CTL_HDR_LEN)
                return 0;
        n = be32(s + *off);
        if (n == 0)
                return -EBADMSG;
        if (n > max)
                return -EMSGSIZE;
        if (len - *off - CTL_HDR_LEN < n)
                return 0;
        *ret_at = *off + CTL_HDR_LEN;
        *ret_len = n;
        *off += CTL_HDR_LEN + n;
        return 1;
}

static void check_encode_roundtrip(const char *frame, size_t len, size_t max)
{
        uint8_t *enc;
        size_t enc_len, out_len;
        char *out;
        CtlDecoder d;

        FUZZ_CHECK(ctl_frame_encode(frame, len, max, &enc, &enc_len) == 0);
        FUZZ_CHECK(enc_len == len + CTL_HDR_LEN);
        FUZZ_CHECK(be32(enc) == len);
        ctl_decoder_init(&d, max);
        FUZZ_CHECK(ctl_decoder_feed(&d, enc, enc_len) == 0);
        FUZZ_CHECK(ctl_decoder_next(&d, &out, &out_len) == 1);
        FUZZ_CHECK(out_len == len && memcmp(out, frame, len) == 0 && out[len] == '\0');
        FUZZ_CHECK(ctl_decoder_pending(&d) == 0);
        free(out);
        FUZZ_CHECK(ctl_decoder_next(&d, &out, &out_len) == 0);
        free(enc);
        ctl_decoder_done(&d);

        /* one byte over the limit is refused by both ends */
        if (max < CTL_FRAME_MAX) {
                char *big = calloc(max + 1, 1);
                FUZZ_CHECK(big);
                FUZZ_CHECK(ctl_frame_encode(big, max + 1, max, &enc, &enc_len) == -EMSGSIZE);
                free(big);
        }
}

/* Known issue: cJSON (1.7.15) prints a number with 15 significant digits
 * whenever that reads back within DBL_EPSILON of it, not exactly, so an id
 * such as 0.30000000000000004 is echoed as 0.3, and 1.7976931348623157e308
 * as 1.79769313486232e+308, which reads back as inf.  Such ids are not
 * echoed exactly (docs/PROTOCOL.md: "echoed in every reply frame"); the
 * checks that depend on the echo skip them, the others still run. */
static bool number_survives_print(double d)
{
        cJSON *n = cJSON_CreateNumber(d), *back;
        char *text = cJSON_PrintUnformatted(n);
        bool same;

        FUZZ_CHECK(text);
        back = cJSON_Parse(text);
        same = cJSON_IsNumber(back) && back->valuedouble == d;
        cJSON_Delete(back);
        cJSON_Delete(n);
        free(text);
        return same;
}

/* The reply the daemon sends, as the client reads it. */
static void check_reply_understood(cJSON *reply, double id, bool ok, const char *code)
{
        _cleanup_free_ char *text = cJSON_PrintUnformatted(reply);
        const char *why = NULL;
        uint8_t *enc;
        size_t enc_len;
        CtlExchange x;

        FUZZ_CHECK(text);
        FUZZ_CHECK(ctl_frame_encode(text, strlen(text), 0, &enc, &enc_len) == 0);
        free(enc);
        if (!number_survives_print(id)) {
                cJSON_Delete(reply);
                return;
        }
        ctl_exchange_init(&x, id, false);
        FUZZ_CHECK(ctl_exchange_feed(&x, text, strlen(text), &why) == 1);
        FUZZ_CHECK(x.done && x.ok == ok);
        if (!ok)
                FUZZ_CHECK(fuzz_streq(x.error_code, code) && x.error_message);
        ctl_exchange_done(&x);
        cJSON_Delete(reply);
}

/* ctl_request_parse(), as handle_frame() in control.c calls it. */
static void check_request(const char *frame, size_t len)
{
        const char *code = NULL, *msg = NULL;
        CtlRequest req, again;
        double id = NAN, id2;
        char *text;
        int r;

        r = ctl_request_parse(frame, len, &req, &code, &msg, &id);
        FUZZ_CHECK(isfinite(id));
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG);
                FUZZ_CHECK(code && msg && msg[0]);
                check_reply_understood(ctl_reply_error(id, code, "%s", msg), id, false, code);
                return;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(req.root && cJSON_IsObject(req.root));
        FUZZ_CHECK(req.cmd && req.cmd[0]);
        FUZZ_CHECK(cJSON_IsObject(req.args));
        FUZZ_CHECK(isfinite(req.id) && req.id == id);

        /* what the daemon holds is a request again when printed */
        text = cJSON_PrintUnformatted(req.root);
        FUZZ_CHECK(text);
        if (number_survives_print(req.id)) {
                FUZZ_CHECK(ctl_request_parse(text, strlen(text), &again, &code, &msg, &id2) == 0);
                FUZZ_CHECK(again.id == req.id && strcmp(again.cmd, req.cmd) == 0);
                ctl_request_done(&again);
        }
        free(text);

        /* both reply forms, as commands.c sends them */
        check_reply_understood(ctl_reply_ok(req.id, NULL), req.id, true, NULL);
        check_reply_understood(ctl_reply_error(req.id, CTL_E_INVALID, "bad %s", req.cmd), req.id, false,
                               CTL_E_INVALID);
        ctl_request_done(&req);
        FUZZ_CHECK(req.root == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *stream;
        size_t len, max, fed = 0, scan_off = 0, cap;
        uint32_t seed;
        CtlDecoder d;
        CtlExchange x;
        bool client_done = false;
        int r = 0, expect = 0;

        if (size < 2)
                return 0;
        seed = data[0];
        max = frame_limits[data[1] & 7];
        stream = data + 2;
        len = size - 2;
        /* control.c reads at most 64 KiB and client.c 64 KiB at a time, each
         * after taking every complete frame out, while a frame may be 1 MiB:
         * a read never exceeds a frame and its header. */
        cap = max + CTL_HDR_LEN;
        if (seed != 0 && cap > (seed & 0x80 ? 4096u : 64u))
                cap = seed & 0x80 ? 4096 : 64;

        ctl_decoder_init(&d, max);
        ctl_exchange_init(&x, (double) ((data[1] >> 3) & 0xf), data[1] & 0x80);
        while (fed < len) {
                size_t n = len - fed;
                char *frame;
                size_t frame_len;

                if (seed != 0)
                        n = 1 + next_rand(&seed) % cap;
                if (n > cap)
                        n = cap;
                if (n > len - fed)
                        n = len - fed;
                /* no read can overflow a decoder that took every frame out */
                FUZZ_CHECK(ctl_decoder_feed(&d, stream + fed, n) == 0);
                fed += n;

                while ((r = ctl_decoder_next(&d, &frame, &frame_len)) == 1) {
                        size_t at, want_len;
                        const char *why = NULL;

                        FUZZ_CHECK(scan_frame(stream, fed, max, &scan_off, &at, &want_len) == 1);
                        FUZZ_CHECK(frame_len == want_len && memcmp(frame, stream + at, want_len) == 0);
                        FUZZ_CHECK(frame[frame_len] == '\0');
                        FUZZ_CHECK(ctl_decoder_pending(&d) == fed - scan_off);

                        check_encode_roundtrip(frame, frame_len, max);
                        check_request(frame, frame_len);
                        if (!client_done) {
                                int k = ctl_exchange_feed(&x, frame, frame_len, &why);
                                FUZZ_CHECK(k >= -EBADMSG && k <= 1);
                                FUZZ_CHECK(k != -EBADMSG || why);
                                FUZZ_CHECK(k != 1 || x.done);
                                FUZZ_CHECK(!x.done || x.ok || (x.error_code && x.error_message));
                                client_done = k != 0;
                        }
                        free(frame);
                }
                expect = scan_frame(stream, fed, max, &scan_off, &(size_t) { 0 }, &(size_t) { 0 });
                FUZZ_CHECK(r == expect);
                if (r < 0)
                        break;
                FUZZ_CHECK(ctl_decoder_pending(&d) == fed - scan_off);
        }
        /* at EOF, what is left is a truncated frame */
        if (r == 0)
                FUZZ_CHECK(ctl_decoder_pending(&d) == len - scan_off);
        ctl_decoder_done(&d);
        ctl_exchange_done(&x);
        return 0;
}
