/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/vartags.h"
#include "tests/unit/unit.h"

void vartags_suite_add(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Asserts that l holds exactly want[0..n). */
static void expect_list(const StrList *l, const char *const *want, size_t n)
{
        CU_ASSERT_EQUAL(l->n, n);
        for (size_t i = 0; i < n && i < l->n; i++)
                CU_ASSERT_STRING_EQUAL(l->items[i], want[i]);
        if (l->items)
                CU_ASSERT_PTR_NULL(l->items[l->n]);
}

static void test_kinds(void)
{
        CU_ASSERT_STRING_EQUAL(var_marker(VAR_HOST), "VAR Host Blocked");
        CU_ASSERT_STRING_EQUAL(var_marker(VAR_ACCOUNT), "VAR Account Blocked");
        CU_ASSERT_STRING_EQUAL(var_marker(VAR_DETECTION), "VAR Detection Blocked");
        CU_ASSERT_PTR_NULL(var_marker(_VAR_KIND_MAX));
        CU_ASSERT_STRING_EQUAL(var_hardcoded_unblock_tag(VAR_HOST), "vectra_host_unblock");
        CU_ASSERT_STRING_EQUAL(var_hardcoded_unblock_tag(VAR_ACCOUNT), "vectra_account_unblock");
        CU_ASSERT_STRING_EQUAL(var_hardcoded_unblock_tag(VAR_DETECTION), "vectra_detection_unblock");
        CU_ASSERT_PTR_NULL(var_hardcoded_unblock_tag(_VAR_KIND_INVALID));
        CU_ASSERT_STRING_EQUAL(var_kind_to_string(VAR_DETECTION), "detection");
        CU_ASSERT_EQUAL(var_kind_from_string("account"), VAR_ACCOUNT);
        CU_ASSERT_EQUAL(var_kind_from_string("Host"), _VAR_KIND_INVALID);
        CU_ASSERT_EQUAL(var_kind_from_string(NULL), _VAR_KIND_INVALID);
}

static void test_strlist(void)
{
        StrList l = STRLIST_INIT;
        char buf[16];

        CU_ASSERT_FALSE(strlist_contains(&l, "a"));
        CU_ASSERT_EQUAL(strlist_remove(&l, "a"), 0);
        for (int i = 0; i < 20; i++) {
                snprintf(buf, sizeof(buf), "t%d", i % 5);
                strlist_add(&l, buf);   /* copies */
        }
        CU_ASSERT_EQUAL(l.n, 20);
        CU_ASSERT_PTR_NULL(l.items[20]);
        CU_ASSERT_TRUE(strlist_contains(&l, "t3"));
        CU_ASSERT_FALSE(strlist_add_unique(&l, "t3"));
        CU_ASSERT_TRUE(strlist_add_unique(&l, "t9"));
        CU_ASSERT_EQUAL(strlist_remove(&l, "t3"), 4);
        CU_ASSERT_FALSE(strlist_contains(&l, "t3"));
        CU_ASSERT_EQUAL(l.n, 17);
        CU_ASSERT_STRING_EQUAL(l.items[16], "t9");
        CU_ASSERT_PTR_NULL(l.items[17]);
        strlist_done(&l);
        CU_ASSERT_EQUAL(l.n, 0);
        CU_ASSERT_PTR_NULL(l.items);
        strlist_add(&l, "again");       /* reusable after done */
        CU_ASSERT_EQUAL(l.n, 1);
        strlist_done(&l);
}

static void parse_ok(const char *tag, const char *client, const char *element)
{
        char *c = NULL, *e = NULL;

        CU_ASSERT_EQUAL_FATAL(var_id_parse(tag, &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c, client);
        CU_ASSERT_STRING_EQUAL(e, element);
        free(c);
        free(e);
}

static void test_id_parse(void)
{
        char *c = NULL, *e = NULL;

        parse_ok("VAR ID:Fortinet Client:10.1.2.3", "Fortinet Client", "10.1.2.3");
        /* Elements may contain ':' (MACs, Meraki compounds, IPv6). */
        parse_ok("VAR ID:ISE Client:aa:bb:cc:dd:ee:ff", "ISE Client", "aa:bb:cc:dd:ee:ff");
        parse_ok("VAR ID:Meraki Client:WLAN:cl1:N_1:Blocked", "Meraki Client", "WLAN:cl1:N_1:Blocked");
        parse_ok("VAR ID:Fortinet Client:2001:db8::1", "Fortinet Client", "2001:db8::1");
        /* The leading space of " VisionOne Client" is part of the name. */
        parse_ok("VAR ID: VisionOne Client:abc", " VisionOne Client", "abc");
        parse_ok("VAR ID:XtremeNBI:x", "XtremeNBI", "x");

        /* Malformed: upstream crashes (IndexError) or mis-parses these. */
        CU_ASSERT_EQUAL(var_id_parse("VAR ID:Fortinet Client", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse("VAR ID::10.1.2.3", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse("VAR ID:Fortinet Client:", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse("VAR ID:", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse("var id:Fortinet Client:1", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse(" VAR ID:Fortinet Client:1", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse("VAR Host Blocked", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL(var_id_parse(NULL, &c, &e), -EINVAL);
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT_PTR_NULL(e);
}

static void test_id_format(void)
{
        char *t = var_id_format("ISE Client", "aa:bb:cc:dd:ee:ff");

        CU_ASSERT_STRING_EQUAL(t, "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff");
        free(t);
        t = var_id_format(" VisionOne Client", "x");
        CU_ASSERT_STRING_EQUAL(t, "VAR ID: VisionOne Client:x");
        free(t);
        /* Pairs that would not parse back. */
        CU_ASSERT_PTR_NULL(var_id_format("A:B", "x"));
        CU_ASSERT_PTR_NULL(var_id_format("", "x"));
        CU_ASSERT_PTR_NULL(var_id_format("A", ""));
        CU_ASSERT_PTR_NULL(var_id_format(NULL, "x"));
        CU_ASSERT_PTR_NULL(var_id_format("A", NULL));
}

static void test_split_host(void)
{
        static const char *const tags[] = {
                "keepme",
                "VAR Host Blocked",
                "VAR ID:Fortinet Client:10.1.2.3",
                "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff",
                "vectra_host_unblock",
                "VAR ID:Fortinet Client:10.1.2.4",
                "VAR ID:Fortinet Client:10.1.2.3",      /* duplicate: one element */
                "VAR Account Blocked",                  /* another kind's marker: external */
                "vectra_account_unblock",               /* another kind's literal: external */
                "VAR ID:Broken",                        /* malformed: kept, never lost */
                NULL,                                   /* skipped */
                "client:fortinet",
        };
        static const char *const ext[] = {
                "keepme", "VAR Account Blocked", "vectra_account_unblock", "VAR ID:Broken", "client:fortinet",
        };
        static const char *const forti[] = { "10.1.2.3", "10.1.2.4" };
        static const char *const ise[] = { "aa:bb:cc:dd:ee:ff" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_HOST, tags, N(tags), &t);
        expect_list(&t.external, ext, N(ext));
        CU_ASSERT_TRUE(t.had_marker);
        CU_ASSERT_EQUAL_FATAL(t.n_owners, 2);
        CU_ASSERT_STRING_EQUAL(t.owners[0].client, "Fortinet Client");
        CU_ASSERT_STRING_EQUAL(t.owners[1].client, "ISE Client");
        CU_ASSERT_PTR_NOT_NULL_FATAL(var_tags_elements(&t, "Fortinet Client"));
        expect_list(var_tags_elements(&t, "Fortinet Client"), forti, N(forti));
        expect_list(var_tags_elements(&t, "ISE Client"), ise, N(ise));
        CU_ASSERT_PTR_NULL(var_tags_elements(&t, "PAN Client"));
        CU_ASSERT_PTR_NULL(var_tags_elements(&t, NULL));
        CU_ASSERT_EQUAL(var_tags_n_elements(&t), 3);
        var_tags_done(&t);
        CU_ASSERT_EQUAL(t.n_owners, 0);
        var_tags_done(&t);      /* twice is fine */
        var_tags_done(NULL);
}

static void test_split_kinds(void)
{
        static const char *const tags[] = {
                "vectra_host_unblock", "vectra_account_unblock", "vectra_detection_unblock", "unblock", "block",
                "VAR Detection Blocked",
        };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_ACCOUNT, tags, N(tags), &t);
        {
                static const char *const ext[] = {
                        "vectra_host_unblock", "vectra_detection_unblock", "unblock", "block", "VAR Detection Blocked",
                };
                expect_list(&t.external, ext, N(ext));
                CU_ASSERT_FALSE(t.had_marker);
        }
        var_tags_done(&t);

        /* Detections: the literal is vectra_detection_unblock, not the
         * default detection unblock tag "unblock", which stays. */
        var_tags_split(VAR_DETECTION, tags, N(tags), &t);
        {
                static const char *const ext[] = {
                        "vectra_host_unblock", "vectra_account_unblock", "unblock", "block",
                };
                expect_list(&t.external, ext, N(ext));
                CU_ASSERT_TRUE(t.had_marker);
        }
        var_tags_done(&t);

        var_tags_split(VAR_HOST, NULL, 0, &t);
        CU_ASSERT_EQUAL(t.external.n, 0);
        CU_ASSERT_EQUAL(t.n_owners, 0);
        var_tags_done(&t);
}

static void build(VarKind k, const VarTags *t, VarWrite w, const char *const *want, size_t n, bool dropped)
{
        StrList l = STRLIST_INIT;
        bool d = !dropped;

        CU_ASSERT_EQUAL_FATAL(var_tags_build(k, t, w, &l, &d), 0);
        expect_list(&l, want, n);
        CU_ASSERT_EQUAL(d, dropped);
        strlist_done(&l);
}

/* The request trace of §9: host 1 blocked by the test client, host 2
 * unblocked. */
static void test_trace(void)
{
        static const char *const h1[] = { "vectra_host_block" };
        static const char *const h1_after[] = {
                "vectra_host_block", "VAR Host Blocked", "VAR ID:Test Client:6c0b2c1e-uuid",
        };
        static const char *const h2[] = { "keepme", "VAR Host Blocked", "VAR ID:Test Client:6c0b2c1e-old" };
        static const char *const h2_after[] = { "keepme" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_HOST, h1, N(h1), &t);
        CU_ASSERT_EQUAL(var_tags_add(&t, var_client_name("test_client"), "6c0b2c1e-uuid"), 0);
        build(VAR_HOST, &t, VAR_WRITE_BLOCK, h1_after, N(h1_after), false);
        var_tags_done(&t);

        var_tags_split(VAR_HOST, h2, N(h2), &t);
        CU_ASSERT_TRUE(var_tags_remove(&t, "Test Client", "6c0b2c1e-old"));
        CU_ASSERT_EQUAL(t.n_owners, 0);         /* owner dropped with its last element */
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, h2_after, N(h2_after), false);
        var_tags_done(&t);
}

/* Upstream mutates the external list while looping over responders, so
 * the marker is written once per responder; secresp writes it once. */
static void test_marker_once(void)
{
        static const char *const tags[] = {
                "a", "VAR Host Blocked", "VAR ID:Fortinet Client:1", "VAR Host Blocked",
        };
        static const char *const want[] = {
                "a", "VAR Host Blocked", "VAR ID:Fortinet Client:1", "VAR ID:PAN Client:1.2.3.4",
        };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_HOST, tags, N(tags), &t);
        CU_ASSERT_EQUAL(var_tags_add(&t, "PAN Client", "1.2.3.4"), 0);
        CU_ASSERT_EQUAL(var_tags_add(&t, "PAN Client", "1.2.3.4"), 0);  /* no duplicate */
        build(VAR_HOST, &t, VAR_WRITE_BLOCK, want, N(want), false);
        var_tags_done(&t);
}

/* §10 defect 6: unblocking with one responder must keep every other
 * responder's VAR ID tags (upstream writes only its own). */
static void test_defect6_other_responders_kept(void)
{
        static const char *const tags[] = {
                "ops", "VAR Host Blocked", "VAR ID:Fortinet Client:10.1.2.3", "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff",
                "VAR ID:Fortinet Client:10.1.2.4",
        };
        static const char *const partial[] = {
                "ops", "VAR Host Blocked", "VAR ID:Fortinet Client:10.1.2.4", "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff",
        };
        static const char *const after_forti[] = {
                "ops", "VAR Host Blocked", "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff",
        };
        static const char *const none[] = { "ops" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_HOST, tags, N(tags), &t);
        CU_ASSERT_TRUE(var_tags_remove(&t, "Fortinet Client", "10.1.2.3"));
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, partial, N(partial), false);
        CU_ASSERT_TRUE(var_tags_remove(&t, "Fortinet Client", "10.1.2.4"));
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, after_forti, N(after_forti), false);
        CU_ASSERT_TRUE(var_tags_remove(&t, "ISE Client", "aa:bb:cc:dd:ee:ff"));
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, none, N(none), false);
        var_tags_done(&t);
}

/* §10 defect 7: upstream unblock_accounts writes only the external tags,
 * orphaning the remaining elements; secresp re-tags them. */
static void test_defect7_accounts_retagged(void)
{
        static const char *const tags[] = {
                "VAR Account Blocked", "VAR ID:External Call Client:O365:bob@corp.example",
                "VAR ID:Cortex Client:ep-17", "vectra_account_unblock",
        };
        static const char *const want[] = { "VAR Account Blocked", "VAR ID:Cortex Client:ep-17" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_ACCOUNT, tags, N(tags), &t);
        CU_ASSERT_EQUAL(var_tags_n_elements(&t), 2);
        CU_ASSERT_TRUE(var_tags_remove(&t, "External Call Client", "O365:bob@corp.example"));
        build(VAR_ACCOUNT, &t, VAR_WRITE_UNBLOCK, want, N(want), false);
        var_tags_done(&t);
}

/* §10 defect 4: a responder reporting an element that is not stored
 * (Pulse fallback, Sophos IP change) crashed upstream with ValueError. */
static void test_defect4_unknown_element(void)
{
        static const char *const tags[] = { "VAR Host Blocked", "VAR ID:Pulse NAC Client:10.0.0.1" };
        static const char *const want[] = { "VAR Host Blocked", "VAR ID:Pulse NAC Client:10.0.0.1" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_HOST, tags, N(tags), &t);
        CU_ASSERT_FALSE(var_tags_remove(&t, "Pulse NAC Client", "10.0.0.99"));
        CU_ASSERT_FALSE(var_tags_remove(&t, "Sophos Client", "10.0.0.1"));
        CU_ASSERT_FALSE(var_tags_remove(&t, NULL, "10.0.0.1"));
        CU_ASSERT_FALSE(var_tags_remove(&t, "Pulse NAC Client", NULL));
        CU_ASSERT_EQUAL(var_tags_n_elements(&t), 1);
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, want, N(want), false);
        var_tags_done(&t);
}

/* §10 defect 3 and the §2.5 removal rules: on unblock the literal "block"
 * goes (upstream crashed building the warning); the configured block tag,
 * a custom unblock tag and look-alikes stay; the hard-coded unblock literal
 * disappears because it is not an external tag. */
static void test_defect3_literal_block_dropped(void)
{
        static const char *const tags[] = {
                "block", "vectra_host_block", "Block", "blocked", "my_unblock", "vectra_host_unblock",
                "VAR Host Blocked", "VAR ID:Fortinet Client:10.1.2.3", "block",
        };
        static const char *const on_unblock[] = {
                "vectra_host_block", "Block", "blocked", "my_unblock",
        };
        static const char *const on_block[] = {
                "block", "vectra_host_block", "Block", "blocked", "my_unblock", "block",
                "VAR Host Blocked", "VAR ID:Fortinet Client:10.1.2.3",
        };
        VarTags t = VAR_TAGS_INIT;
        StrList l = STRLIST_INIT;

        var_tags_split(VAR_HOST, tags, N(tags), &t);
        build(VAR_HOST, &t, VAR_WRITE_BLOCK, on_block, N(on_block), false);
        CU_ASSERT_TRUE(var_tags_remove(&t, "Fortinet Client", "10.1.2.3"));
        build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, on_unblock, N(on_unblock), true);
        /* ret_dropped_block may be NULL. */
        CU_ASSERT_EQUAL(var_tags_build(VAR_HOST, &t, VAR_WRITE_UNBLOCK, &l, NULL), 0);
        CU_ASSERT_EQUAL(l.n, N(on_unblock));
        strlist_done(&l);
        CU_ASSERT_EQUAL(var_tags_build(VAR_HOST, &t, (VarWrite) 7, &l, NULL), -EINVAL);
        CU_ASSERT_EQUAL(var_tags_build(_VAR_KIND_MAX, &t, VAR_WRITE_BLOCK, &l, NULL), -EINVAL);
        CU_ASSERT_EQUAL(l.n, 0);
        var_tags_done(&t);
}

/* Detections: the default block tag IS "block", so an unblock removes it,
 * and the element tags carry the destination IPs. */
static void test_detection_unblock(void)
{
        static const char *const tags[] = {
                "block", "VAR Detection Blocked", "VAR ID:Fortinet Client:203.0.113.9",
                "VAR ID:PAN Client:203.0.113.9",
        };
        static const char *const partial[] = { "VAR Detection Blocked", "VAR ID:PAN Client:203.0.113.9" };
        VarTags t = VAR_TAGS_INIT;

        var_tags_split(VAR_DETECTION, tags, N(tags), &t);
        CU_ASSERT_TRUE(var_tags_remove(&t, "Fortinet Client", "203.0.113.9"));
        build(VAR_DETECTION, &t, VAR_WRITE_UNBLOCK, partial, N(partial), true);
        var_tags_done(&t);
}

static void test_add_invalid(void)
{
        VarTags t = VAR_TAGS_INIT;

        CU_ASSERT_EQUAL(var_tags_add(&t, "A:B", "x"), -EINVAL);
        CU_ASSERT_EQUAL(var_tags_add(&t, "", "x"), -EINVAL);
        CU_ASSERT_EQUAL(var_tags_add(&t, "A", ""), -EINVAL);
        CU_ASSERT_EQUAL(var_tags_add(&t, NULL, "x"), -EINVAL);
        CU_ASSERT_EQUAL(var_tags_n_elements(&t), 0);
        CU_ASSERT_EQUAL(var_tags_add(&t, "A", "x:y"), 0);
        CU_ASSERT_EQUAL(var_tags_n_elements(&t), 1);
        var_tags_done(&t);
}

/* build then split gives the same owners and elements back. */
static void test_round_trip(void)
{
        static const char *const ext[] = { "x", "client:meraki", "VAR ID:Broken" };
        VarTags t = VAR_TAGS_INIT, u = VAR_TAGS_INIT;
        StrList l = STRLIST_INIT;
        char el[32];

        var_tags_split(VAR_HOST, ext, N(ext), &t);
        for (size_t i = 0; i < var_n_clients; i++)
                for (int j = 0; j < 3; j++) {
                        snprintf(el, sizeof(el), "e%zu:%d", i, j);
                        CU_ASSERT_EQUAL(var_tags_add(&t, var_clients[i].name, el), 0);
                }
        CU_ASSERT_EQUAL(var_tags_build(VAR_HOST, &t, VAR_WRITE_BLOCK, &l, NULL), 0);
        CU_ASSERT_EQUAL(l.n, N(ext) + 1 + 3 * var_n_clients);
        var_tags_split(VAR_HOST, (const char *const *) l.items, l.n, &u);
        expect_list(&u.external, ext, N(ext));
        CU_ASSERT_TRUE(u.had_marker);
        CU_ASSERT_EQUAL_FATAL(u.n_owners, t.n_owners);
        for (size_t i = 0; i < t.n_owners; i++) {
                CU_ASSERT_STRING_EQUAL(u.owners[i].client, t.owners[i].client);
                expect_list(&u.owners[i].elements, (const char *const *) t.owners[i].elements.items,
                            t.owners[i].elements.n);
        }
        strlist_done(&l);
        var_tags_done(&t);
        var_tags_done(&u);
}

/* client:<module> (§2.2); §10 defect 1 is that upstream read the tags of
 * the wrong object for detections: here the filter is a function of the
 * entity's own tags, whatever its kind. */
static void test_client_filter(void)
{
        static const char *const tags[] = {
                "client:Fortinet",
                "Client:cisco_ise",
                "CLIENT:cortex:extra",          /* module ends at the next ':' */
                "client",                       /* bare: upstream IndexError; ignored */
                "Client laptop",                /* no ':' either */
                "client:",                      /* empty module: ignored */
                "x client:pan",                 /* does not start with client */
                "client:fortinet",              /* duplicate */
                "clientgroup:Meraki",           /* upstream startswith("client") semantics */
                "VAR Detection Blocked",
                NULL,
        };
        static const char *const want[] = { "fortinet", "cisco_ise", "cortex", "meraki" };
        StrList f = STRLIST_INIT, empty = STRLIST_INIT;

        var_client_filter(tags, N(tags), &f);
        expect_list(&f, want, N(want));
        CU_ASSERT_TRUE(var_client_filter_allows(&f, "fortinet"));
        CU_ASSERT_TRUE(var_client_filter_allows(&f, "Fortinet"));
        CU_ASSERT_TRUE(var_client_filter_allows(&f, "cortex"));
        CU_ASSERT_FALSE(var_client_filter_allows(&f, "pan"));
        CU_ASSERT_FALSE(var_client_filter_allows(&f, "pan_cortex"));    /* Client.module is "cortex" */
        CU_ASSERT_FALSE(var_client_filter_allows(&f, NULL));
        /* No client: tag: every responder may block. */
        CU_ASSERT_TRUE(var_client_filter_allows(&empty, "pan"));
        CU_ASSERT_TRUE(var_client_filter_allows(NULL, "pan"));
        strlist_done(&f);

        var_client_filter(NULL, 0, &f);
        CU_ASSERT_EQUAL(f.n, 0);
        strlist_done(&f);
}

static void test_client_table(void)
{
        /* §2.3, in its order: module -> name. */
        static const char *const rows[][2] = {
                { "external_call", "External Call Client" },
                { "fortinet", "Fortinet Client" },
                { "pan", "PAN Client" },
                { "cisco_ise", "ISE Client" },
                { "cisco_amp", "AMP Client" },
                { "cisco_fmc", "FMC Client" },
                { "meraki", "Meraki Client" },
                { "checkpoint", "CheckPoint Client" },
                { "clearpass", "ClearPass Client" },
                { "sophos", "Sophos Client" },
                { "pulse_nac", "Pulse NAC Client" },
                { "xtreme_networks_nbi", "XtremeNBI" },
                { "windows_shutdown", "Windows Shutdown Client" },
                { "windows_killnic", "Windows Kill Network Interface" },
                { "vmware", "VMWare Client" },
                { "tanium", "Tanium Client" },
                { "bitdefender", "Bitdefender Client" },
                { "harmony", "Harmony Client" },
                { "withsecure_elements", "WithSecureElements Client" },
                { "cisco_asa_http", "ASA HTTP Client" },
                { "cisco_pxgrid", "PxGrid Client" },
                { "cynet_edr", "CynetEdr Client" },
                { "deepinstinct_edr", "DeepInstinctEDR Client" },
                { "endgame", "Endgame Client" },
                { "eset_edr", "EsetEDR Client" },
                { "forti_edr", "FortiEDR Client" },
                { "fortimanager", "FMG Client" },
                { "mcafee_epo", "McAfee EPO Client" },
                { "pan_cortex", "Cortex Client" },
                { "sophos_edr", "SophosEDR Client" },
                { "trendmicro_apexone", "ApexOne Client" },
                { "trendmicro_cloudone", "CloudOne Client" },
                { "trendmicro_visionone", " VisionOne Client" },
                { "watchguard", "WatchGuard Client" },
                { "test_client", "Test Client" },
        };

        CU_ASSERT_EQUAL_FATAL(var_n_clients, 35);
        CU_ASSERT_EQUAL_FATAL(N(rows), 35);
        for (size_t i = 0; i < N(rows); i++) {
                CU_ASSERT_STRING_EQUAL(var_clients[i].directory, rows[i][0]);
                CU_ASSERT_STRING_EQUAL(var_clients[i].name, rows[i][1]);
                CU_ASSERT_STRING_EQUAL(var_client_name(rows[i][0]), rows[i][1]);
                /* Names must survive "VAR ID:<name>:<element>". */
                CU_ASSERT_PTR_NULL(strchr(var_clients[i].name, ':'));
                CU_ASSERT_PTR_EQUAL(var_client_find(var_clients[i].file), &var_clients[i]);
                CU_ASSERT_PTR_EQUAL(var_client_find(var_clients[i].module), &var_clients[i]);
                for (size_t j = 0; j < i; j++) {
                        CU_ASSERT_STRING_NOT_EQUAL(var_clients[i].name, var_clients[j].name);
                        CU_ASSERT_STRING_NOT_EQUAL(var_clients[i].module, var_clients[j].module);
                }
        }
        /* Module file names are accepted as in THIRD_PARTY_CLIENTS. */
        CU_ASSERT_STRING_EQUAL(var_client_name("cortex"), "Cortex Client");
        CU_ASSERT_STRING_EQUAL(var_client_name("ise"), "ISE Client");
        CU_ASSERT_STRING_EQUAL(var_client_name("amp"), "AMP Client");
        CU_ASSERT_STRING_EQUAL(var_client_find("pan_cortex")->module, "cortex");
        CU_ASSERT_PTR_NULL(var_client_find("Fortinet"));
        CU_ASSERT_PTR_NULL(var_client_find("nope"));
        CU_ASSERT_PTR_NULL(var_client_find(NULL));
        CU_ASSERT_PTR_NULL(var_client_name("nope"));
}

static void note(VarNote n, int y, int mon, int d, int h, int mi, int s, const char *want)
{
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s };
        char buf[VAR_NOTE_MAX];

        memset(buf, 'x', sizeof(buf));
        CU_ASSERT_EQUAL_FATAL(var_note_format(n, &tm, buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_notes(void)
{
        struct tm tm = { .tm_year = 125, .tm_mon = 9, .tm_mday = 16, .tm_hour = 10, .tm_min = 21, .tm_sec = 22 };
        char buf[VAR_NOTE_MAX];
        const char *want = "VAR: Blocked on 16 Oct 2025 at 10:21:22";

        note(VAR_NOTE_BLOCKED, 2025, 10, 16, 10, 21, 22, "VAR: Blocked on 16 Oct 2025 at 10:21:22");
        note(VAR_NOTE_UNBLOCKED, 2026, 11, 22, 13, 4, 13, "VAR: Unblocked on 22 Nov 2026 at 13:04:13");
        note(VAR_NOTE_GROOM_UNBLOCKED, 2026, 1, 5, 3, 4, 5,
             "VAR: Unblocked due to grooming on 05 Jan 2026 at 03:04:05");
        note(VAR_NOTE_BLOCKED, 2024, 2, 29, 0, 0, 0, "VAR: Blocked on 29 Feb 2024 at 00:00:00");
        note(VAR_NOTE_BLOCKED, 2024, 12, 31, 23, 59, 59, "VAR: Blocked on 31 Dec 2024 at 23:59:59");
        note(VAR_NOTE_BLOCKED, 2024, 5, 1, 12, 0, 0, "VAR: Blocked on 01 May 2024 at 12:00:00");
        note(VAR_NOTE_BLOCKED, 2024, 6, 1, 12, 0, 0, "VAR: Blocked on 01 Jun 2024 at 12:00:00");
        note(VAR_NOTE_BLOCKED, 2024, 9, 1, 12, 0, 0, "VAR: Blocked on 01 Sep 2024 at 12:00:00");

        /* Exactly enough room, and one byte short. */
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, strlen(want) + 1), 0);
        CU_ASSERT_STRING_EQUAL(buf, want);
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, strlen(want)), -ENOBUFS);

        CU_ASSERT_EQUAL(var_note_format((VarNote) 3, &tm, buf, sizeof(buf)), -EINVAL);
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, NULL, buf, sizeof(buf)), -EINVAL);
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, NULL, 0), -EINVAL);
        tm.tm_mon = 12;
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, sizeof(buf)), -EINVAL);
        tm.tm_mon = 0;
        tm.tm_hour = 24;
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, sizeof(buf)), -EINVAL);
        tm.tm_hour = 0;
        tm.tm_mday = 0;
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, sizeof(buf)), -EINVAL);
        tm.tm_mday = 1;
        tm.tm_year = 10000 - 1900;
        CU_ASSERT_EQUAL(var_note_format(VAR_NOTE_BLOCKED, &tm, buf, sizeof(buf)), -EINVAL);
}

void vartags_suite_add(void)
{
        UNIT_SUITE("vartags",
                   UNIT_TEST(test_kinds),
                   UNIT_TEST(test_strlist),
                   UNIT_TEST(test_id_parse),
                   UNIT_TEST(test_id_format),
                   UNIT_TEST(test_split_host),
                   UNIT_TEST(test_split_kinds),
                   UNIT_TEST(test_trace),
                   UNIT_TEST(test_marker_once),
                   UNIT_TEST(test_defect6_other_responders_kept),
                   UNIT_TEST(test_defect7_accounts_retagged),
                   UNIT_TEST(test_defect4_unknown_element),
                   UNIT_TEST(test_defect3_literal_block_dropped),
                   UNIT_TEST(test_detection_unblock),
                   UNIT_TEST(test_add_invalid),
                   UNIT_TEST(test_round_trip),
                   UNIT_TEST(test_client_filter),
                   UNIT_TEST(test_client_table),
                   UNIT_TEST(test_notes));
}
