/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/meraki_parse.h"
#include "tests/unit/unit.h"

static void test_groom(void)
{
        MerakiClient wl = { .id = (char *) "k1", .net_id = (char *) "N_1", .kind = MERAKI_WIRELESS };
        MerakiClient wl_moved = { .id = (char *) "k9", .net_id = (char *) "N_2", .kind = MERAKI_WIRELESS };
        MerakiClient lan = { .id = (char *) "k2", .serial = (char *) "Q2-1", .switchport = (char *) "7",
                             .kind = MERAKI_WIRED };
        MerakiClient lan_port = { .id = (char *) "k2", .serial = (char *) "Q2-1", .switchport = (char *) "8",
                                  .kind = MERAKI_WIRED };
        const char *stored[] = { "WLAN:k1:N_1:Normal", "LAN:k2:Q2-1:7" };
        MerakiClient both[] = { wl, lan };
        MerakiClient moved[] = { wl_moved, lan };
        MerakiClient port[] = { wl, lan_port };

        CU_ASSERT_TRUE(meraki_groom_unchanged(stored, 2, both, 2, true));
        /* the wireless client is now another one in another network */
        CU_ASSERT_FALSE(meraki_groom_unchanged(stored, 2, moved, 2, true));
        /* same client, another switch port */
        CU_ASSERT_FALSE(meraki_groom_unchanged(stored, 2, port, 2, true));
        /* a wired client is not counted when wired blocking is off */
        CU_ASSERT_TRUE(meraki_groom_unchanged(stored, 1, both, 2, false));
        /* the client went away: nothing to block where it was */
        CU_ASSERT_FALSE(meraki_groom_unchanged(stored, 1, NULL, 0, true));
        /* a stored text that is no element is ignored */
        {
                const char *odd[] = { "nonsense", "WLAN:k1:N_1:Normal" };
                CU_ASSERT_TRUE(meraki_groom_unchanged(odd, 2, &wl, 1, true));
        }
}

static void test_ids(void)
{
        char **ids = NULL;
        const char *b = "[{\"id\":\"N_1\",\"name\":\"HQ\"},{\"id\":549236,\"name\":\"org\"},{\"name\":\"no id\"},"
                        "{\"id\":\"N_1\"}]";

        CU_ASSERT_EQUAL(meraki_ids(b, strlen(b), &ids), 0);
        CU_ASSERT_EQUAL(strv_length(ids), 2);
        CU_ASSERT_STRING_EQUAL(ids[1], "549236");
        CU_ASSERT_EQUAL(meraki_ids("{\"errors\":[\"Invalid API key\"]}", 31, &ids), -EBADMSG);
        strv_free(ids);
}

static void test_clients(void)
{
        const char *b = "[{\"id\":\"k1\",\"mac\":\"aa:bb:cc:00:00:01\",\"ssid\":\"Corp\",\"recentDeviceConnection\":\"Wireless\"},"
                        "{\"id\":\"k2\",\"mac\":\"aa:bb:cc:00:00:02\",\"switchport\":\"7\",\"recentDeviceSerial\":\"Q2-1\","
                        "\"recentDeviceConnection\":\"Wired\",\"ssid\":null},"
                        "{\"id\":\"k3\",\"mac\":\"aa:bb:cc:00:00:03\",\"switchport\":\"7\",\"recentDeviceSerial\":\"Q2-1\","
                        "\"recentDeviceConnection\":\"Wired\",\"ssid\":\"Corp\"},"
                        "{\"id\":\"k4\",\"recentDeviceConnection\":\"WLAN\"},{\"mac\":\"no id\"}]";
        MerakiClient *v = NULL;
        size_t n = 0;

        CU_ASSERT_EQUAL(meraki_clients(b, strlen(b), "N_1", &v, &n), 0);
        CU_ASSERT_EQUAL_FATAL(n, 4);
        CU_ASSERT_EQUAL(v[0].kind, MERAKI_WIRELESS);
        CU_ASSERT_STRING_EQUAL(v[0].net_id, "N_1");
        CU_ASSERT_EQUAL(v[1].kind, MERAKI_WIRED);
        CU_ASSERT_STRING_EQUAL(v[1].switchport, "7");
        CU_ASSERT_EQUAL(v[2].kind, MERAKI_UNBLOCKABLE);       /* wired with an SSID: neither */
        CU_ASSERT_EQUAL(v[3].kind, MERAKI_UNBLOCKABLE);       /* WLAN without SSID */
        meraki_clients_free(v, n);
        free(v);
}

static void test_ports(void)
{
        const char *b = "[{\"portId\":\"1\",\"isUplink\":true,\"clientCount\":40},{\"portId\":\"7\",\"isUplink\":false,"
                        "\"clientCount\":1},{\"portId\":\"8\",\"isUplink\":false,\"clientCount\":3}]";
        const char *why = NULL;
        bool ok = false;

        CU_ASSERT_EQUAL(meraki_port_blockable(b, strlen(b), "7", &ok, &why), 0);
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_EQUAL(meraki_port_blockable(b, strlen(b), "1", &ok, &why), 0);
        CU_ASSERT_FALSE(ok);
        CU_ASSERT_STRING_EQUAL(why, "it is an uplink");
        CU_ASSERT_EQUAL(meraki_port_blockable(b, strlen(b), "8", &ok, &why), 0);
        CU_ASSERT_STRING_EQUAL(why, "other clients share it");
        CU_ASSERT_EQUAL(meraki_port_blockable(b, strlen(b), "9", &ok, &why), 0);
        CU_ASSERT_FALSE(ok);
        CU_ASSERT_EQUAL(meraki_port_blockable("{}", 2, "9", &ok, &why), -EBADMSG);
}

static void test_policy(void)
{
        const char *b = "{\"mac\":\"aa:bb\",\"devicePolicy\":\"Group policy\",\"groupPolicyId\":\"101\"}";
        char *p = meraki_policy_of(b, strlen(b)), *body;

        CU_ASSERT_STRING_EQUAL(p, "Group policy:101");
        body = meraki_policy_body(p);
        CU_ASSERT_STRING_EQUAL(body, "{\"devicePolicy\":\"Group policy\",\"groupPolicyId\":\"101\"}");
        free(body);
        free(p);
        b = "{\"devicePolicy\":\"Normal\"}";
        p = meraki_policy_of(b, strlen(b));
        CU_ASSERT_STRING_EQUAL(p, "Normal");
        body = meraki_policy_body("Blocked");
        CU_ASSERT_STRING_EQUAL(body, "{\"devicePolicy\":\"Blocked\"}");
        free(body);
        CU_ASSERT_TRUE(meraki_policy_same("Blocked", "Blocked"));
        CU_ASSERT_FALSE(meraki_policy_same(p, "Blocked"));
        free(p);
        CU_ASSERT_PTR_NULL(meraki_policy_of("{}", 2));
}

static void test_elements(void)
{
        MerakiElement e;
        char *s = meraki_element_wlan("k1", "N_1", "Group policy:101");

        CU_ASSERT_STRING_EQUAL(s, "WLAN:k1:N_1:Group policy:101");
        CU_ASSERT_EQUAL(meraki_element_parse(s, &e), 0);
        CU_ASSERT_TRUE(e.wlan);
        CU_ASSERT_STRING_EQUAL(e.client_id, "k1");
        CU_ASSERT_STRING_EQUAL(e.where, "N_1");
        CU_ASSERT_STRING_EQUAL(e.what, "Group policy:101");
        meraki_element_done(&e);
        free(s);
        s = meraki_element_lan("k2", "Q2-1", "7");
        CU_ASSERT_EQUAL(meraki_element_parse(s, &e), 0);
        CU_ASSERT_FALSE(e.wlan);
        CU_ASSERT_STRING_EQUAL(e.where, "Q2-1");
        CU_ASSERT_STRING_EQUAL(e.what, "7");
        meraki_element_done(&e);
        free(s);
        CU_ASSERT_EQUAL(meraki_element_parse("WLAN:k1:N_1:Normal", &e), 0);
        meraki_element_done(&e);
        CU_ASSERT_EQUAL(meraki_element_parse("LAN:k1:Q2:7:8", &e), -EINVAL);
        CU_ASSERT_EQUAL(meraki_element_parse("WLAN:k1:N_1:", &e), -EINVAL);
        CU_ASSERT_EQUAL(meraki_element_parse("WLAN::N_1:x", &e), -EINVAL);
        CU_ASSERT_EQUAL(meraki_element_parse("10.0.0.1", &e), -EINVAL);
        CU_ASSERT_EQUAL(meraki_element_parse("LAN:k1", &e), -EINVAL);
}

void meraki_parse_suite_add(void)
{
        UNIT_SUITE("meraki_parse", UNIT_TEST(test_groom), UNIT_TEST(test_ids), UNIT_TEST(test_clients), UNIT_TEST(test_ports),
                   UNIT_TEST(test_policy), UNIT_TEST(test_elements));
}
