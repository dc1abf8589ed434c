/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/ctlproto.h"
#include "tests/unit/unit.h"

static void test_roundtrip_bytewise(void)
{
        const char *json = "{\"v\":1,\"id\":7,\"cmd\":\"status\"}";
        uint8_t *frame;
        size_t len, plen;
        CtlDecoder d;
        char *out = NULL;

        CU_ASSERT_EQUAL_FATAL(ctl_frame_encode(json, strlen(json), 0, &frame, &len), 0);
        CU_ASSERT_EQUAL(len, strlen(json) + 4);
        CU_ASSERT_EQUAL(frame[0], 0);
        CU_ASSERT_EQUAL(frame[3], strlen(json));
        ctl_decoder_init(&d, 0);
        /* one byte at a time: a frame is only complete at its last byte */
        for (size_t i = 0; i < len; i++) {
                CU_ASSERT_EQUAL(ctl_decoder_feed(&d, frame + i, 1), 0);
                int r = ctl_decoder_next(&d, &out, &plen);
                CU_ASSERT_EQUAL(r, i + 1 == len ? 1 : 0);
        }
        CU_ASSERT_STRING_EQUAL(out, json);
        CU_ASSERT_EQUAL(plen, strlen(json));
        CU_ASSERT_EQUAL(ctl_decoder_pending(&d), 0);
        free(out);
        free(frame);
        ctl_decoder_done(&d);
}

static void test_two_frames_one_read(void)
{
        uint8_t *a, *b, buf[64];
        size_t la, lb, n;
        CtlDecoder d;
        char *out;

        ctl_frame_encode("{}", 2, 0, &a, &la);
        ctl_frame_encode("[1]", 3, 0, &b, &lb);
        memcpy(buf, a, la);
        memcpy(buf + la, b, lb);
        ctl_decoder_init(&d, 0);
        ctl_decoder_feed(&d, buf, la + lb - 1);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), 1);
        CU_ASSERT_STRING_EQUAL(out, "{}");
        free(out);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), 0);
        CU_ASSERT_EQUAL(ctl_decoder_pending(&d), lb - 1);
        ctl_decoder_feed(&d, buf + la + lb - 1, 1);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), 1);
        CU_ASSERT_STRING_EQUAL(out, "[1]");
        free(out);
        free(a);
        free(b);
        ctl_decoder_done(&d);
}

static void test_oversize_and_empty(void)
{
        uint8_t hdr[4] = { 0x00, 0x10, 0x00, 0x01 };    /* 1 MiB + 1 */
        uint8_t zero[4] = { 0, 0, 0, 0 };
        CtlDecoder d;
        char *out;
        size_t n;
        uint8_t *f;

        ctl_decoder_init(&d, 0);
        ctl_decoder_feed(&d, hdr, 4);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), -EMSGSIZE);
        ctl_decoder_done(&d);

        ctl_decoder_init(&d, 0);
        ctl_decoder_feed(&d, zero, 4);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), -EBADMSG);
        ctl_decoder_done(&d);

        ctl_decoder_init(&d, 16);
        ctl_decoder_feed(&d, "\0\0\0\x11", 4);
        CU_ASSERT_EQUAL(ctl_decoder_next(&d, &out, &n), -EMSGSIZE);
        ctl_decoder_done(&d);

        CU_ASSERT_EQUAL(ctl_frame_encode("", 0, 0, &f, &n), -EMSGSIZE);
        CU_ASSERT_EQUAL(ctl_frame_encode("12345", 5, 4, &f, &n), -EMSGSIZE);
}

static void parse_fails(const char *text, const char *want_code)
{
        CtlRequest r;
        const char *code = NULL, *msg = NULL;
        double id;
        CU_ASSERT_EQUAL(ctl_request_parse(text, strlen(text), &r, &code, &msg, &id), -EBADMSG);
        CU_ASSERT_PTR_NOT_NULL(msg);
        CU_ASSERT_STRING_EQUAL(code, want_code);
}

static void test_request_parse(void)
{
        const char *ok = "{\"v\":1,\"id\":3,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"host\"}}";
        const char *code, *msg;
        CtlRequest r;
        double id;

        CU_ASSERT_EQUAL_FATAL(ctl_request_parse(ok, strlen(ok), &r, &code, &msg, &id), 0);
        CU_ASSERT_EQUAL(r.id, 3);
        CU_ASSERT_STRING_EQUAL(r.cmd, "whitelist.add");
        CU_ASSERT_TRUE(cJSON_IsObject(r.args));
        ctl_request_done(&r);

        const char *noargs = "{\"v\":1,\"id\":4,\"cmd\":\"status\"}";
        CU_ASSERT_EQUAL_FATAL(ctl_request_parse(noargs, strlen(noargs), &r, &code, &msg, &id), 0);
        CU_ASSERT_TRUE(cJSON_IsObject(r.args));
        ctl_request_done(&r);

        parse_fails("nonsense", CTL_E_BADJSON);
        parse_fails("{\"v\":1,\"id\":1,\"cmd\":\"x\"", CTL_E_BADJSON);
        parse_fails("[1,2]", CTL_E_BADREQ);
        parse_fails("{\"id\":1,\"cmd\":\"status\"}", CTL_E_BADREQ);
        parse_fails("{\"v\":2,\"id\":1,\"cmd\":\"status\"}", CTL_E_VERSION);
        parse_fails("{\"v\":1,\"cmd\":\"status\"}", CTL_E_BADREQ);
        parse_fails("{\"v\":1,\"id\":\"1\",\"cmd\":\"status\"}", CTL_E_BADREQ);
        parse_fails("{\"v\":1,\"id\":1,\"cmd\":\"\"}", CTL_E_BADREQ);
        parse_fails("{\"v\":1,\"id\":1,\"cmd\":5}", CTL_E_BADREQ);
        parse_fails("{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":[]}", CTL_E_BADREQ);

        /* the id of a bad request is still reported back when it can be */
        const char *badv = "{\"v\":9,\"id\":42,\"cmd\":\"status\"}";
        CU_ASSERT_EQUAL(ctl_request_parse(badv, strlen(badv), &r, &code, &msg, &id), -EBADMSG);
        CU_ASSERT_EQUAL(id, 42);
}

static void test_replies(void)
{
        cJSON *o = ctl_reply_error(5, CTL_E_INVALID, "bad %s", "thing");
        char *s = cJSON_PrintUnformatted(o);
        CU_ASSERT_STRING_EQUAL(s, "{\"id\":5,\"ok\":false,\"error\":{\"code\":\"invalid-argument\",\"message\":\"bad thing\"}}");
        free(s);
        cJSON_Delete(o);
        o = ctl_reply_end(6, 3);
        s = cJSON_PrintUnformatted(o);
        CU_ASSERT_STRING_EQUAL(s, "{\"id\":6,\"ok\":true,\"end\":true,\"count\":3}");
        free(s);
        cJSON_Delete(o);
        o = ctl_request_new(1, "status", NULL);
        s = cJSON_PrintUnformatted(o);
        CU_ASSERT_STRING_EQUAL(s, "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":{}}");
        free(s);
        cJSON_Delete(o);
}

void ctlproto_suite_add(void)
{
        UNIT_SUITE("ctlproto", UNIT_TEST(test_roundtrip_bytewise), UNIT_TEST(test_two_frames_one_read),
                   UNIT_TEST(test_oversize_and_empty), UNIT_TEST(test_request_parse), UNIT_TEST(test_replies));
}
