/* SPDX-License-Identifier: MIT */
/* The NAC and endpoint responders' parsers on arbitrary vendor answers.
 * Byte 0 picks the parser (modulo the count below); the rest is the
 * answer, as the HTTP client hands it over (a length, NUL-terminated).
 * Invariants: MACs come out in upper-case colon form (17 characters) and
 * normalise to themselves; a Meraki element that parses rebuilds to the
 * same text; outputs are set exactly when the parser says so. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include "common/strv.h"
#include "responders/cisco_amp_parse.h"
#include "responders/cisco_ise_parse.h"
#include "responders/cisco_pxgrid_parse.h"
#include "responders/clearpass_parse.h"
#include "responders/macaddr.h"
#include "responders/meraki_parse.h"
#include "responders/pulse_nac_parse.h"
#include "responders/xtreme_nbi_parse.h"
#include "tests/fuzz/fuzz.h"

static void check_mac(const char *m)
{
        char again[MAC_STR_MAX];

        FUZZ_CHECK(m && strlen(m) == 17);
        FUZZ_CHECK(mac_normalize(m, MAC_UPPER_COLON, again) == 0);
        FUZZ_CHECK(!strcmp(again, m));
}

static void check_macs(char **v)
{
        for (char **p = v; p && *p; p++)
                check_mac(*p);
        strv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s, *a = NULL, *b = NULL;
        char **macs = NULL;
        unsigned sel;
        size_t n = 0;

        if (size < 1)
                return 0;
        sel = data[0] % 12;
        s = fuzz_strndup(data + 1, size - 1);
        size--;

        switch (sel) {
        case 0: {
                int k = ise_active_list_macs(s, size, "10.0.0.1", &macs);
                FUZZ_CHECK(k >= 0 || k == -EBADMSG);
                check_macs(macs);
                break;
        }
        case 1: {
                IseOutcome o = ise_ers_outcome(500, s, size, size & 1, &a);
                FUZZ_CHECK(o >= ISE_APPLIED && o <= ISE_ERROR);
                b = ise_ers_url(s);
                FUZZ_CHECK(!b || strstr(b, ":9060"));
                break;
        }
        case 2: {
                char m[MAC_STR_MAX];
                for (int st = MAC_UPPER_COLON; st <= MAC_LOWER_PLAIN; st++)
                        if (mac_normalize(s, (MacStyle) st, m) == 0) {
                                char up[MAC_STR_MAX];
                                FUZZ_CHECK(mac_normalize(m, MAC_UPPER_COLON, up) == 0);
                                check_mac(up);
                        }
                break;
        }
        case 3: {
                AmpIsolation st;
                int k = amp_pick_computer(s, size, size & 1 ? "ws-1" : NULL, &a, &n);
                FUZZ_CHECK((k == 0) == (a != NULL));
                FUZZ_CHECK(k != 0 || n == 1);
                k = amp_isolation_state(s, size, &st);
                FUZZ_CHECK(k == 0 || k == -EBADMSG);
                FUZZ_CHECK(k < 0 || (st >= AMP_UNAVAILABLE && st <= AMP_ISOLATION_UNKNOWN));
                break;
        }
        case 4: {
                long ttl = 0;
                int k = cppm_sessions(s, size, &macs, &a);
                FUZZ_CHECK(k >= 0 || k == -EBADMSG);
                check_macs(macs);
                k = cppm_oauth_token(s, size, &b, &ttl);
                FUZZ_CHECK((k == 0) == (b != NULL) && ttl >= 0);
                break;
        }
        case 5: {
                MerakiClient *v = NULL;
                bool ok = false;
                const char *why = NULL;
                char **ids = NULL;
                (void) meraki_ids(s, size, &ids);
                strv_free(ids);
                if (meraki_clients(s, size, "N_1", &v, &n) == 0)
                        for (size_t i = 0; i < n; i++)
                                FUZZ_CHECK(v[i].id && v[i].kind <= MERAKI_WIRELESS);
                meraki_clients_free(v, n);
                free(v);
                if (meraki_port_blockable(s, size, "7", &ok, &why) == 0)
                        FUZZ_CHECK(ok == (why == NULL));
                break;
        }
        case 6: {
                a = meraki_policy_of(s, size);
                if (a) {
                        b = meraki_policy_body(a);
                        char *c = meraki_policy_of(b, strlen(b));
                        /* a policy read back from the body we send is the same */
                        FUZZ_CHECK(c && !strcmp(a, c));
                        free(c);
                }
                break;
        }
        case 7: {
                MerakiElement e;
                if (meraki_element_parse(s, &e) == 0) {
                        a = e.wlan ? meraki_element_wlan(e.client_id, e.where, e.what) :
                                     meraki_element_lan(e.client_id, e.where, e.what);
                        FUZZ_CHECK(!strcmp(a, s));
                        meraki_element_done(&e);
                }
                break;
        }
        case 8: {
                int k = pulse_session_macs(s, size, &macs);
                FUZZ_CHECK(k >= 0 || k == -EBADMSG);
                check_macs(macs);
                a = pulse_api_key(s, size);
                FUZZ_CHECK(!a || a[0]);
                break;
        }
        case 9: {
                int k;
                (void) nbi_jwt_lifetime(s);
                k = nbi_parse_mac(s, size, &a, &b);
                FUZZ_CHECK(k == 0 || k == -EBADMSG || (k == -EPROTO && b));
                if (a)
                        check_mac(a);
                free(b);
                b = NULL;
                k = nbi_parse_blacklist(s, size, size & 1, &b);
                FUZZ_CHECK(k == 0 || k == -EBADMSG || (k == -EPROTO && b));
                break;
        }
        case 10: {
                PxAccount st;
                int k = px_account_state(s, size, &st);
                FUZZ_CHECK(k == 0 || k == -EBADMSG);
                k = px_service(s, size, &a, &b);
                FUZZ_CHECK((k == 0) == (a != NULL && b != NULL));
                free(a);
                a = px_secret(s, size);
                free(a);
                a = px_session_mac(s, size);
                if (a)
                        check_mac(a);
                free(a);
                a = NULL;
                (void) px_anc_outcome(s, size, size & 1, &a);
                break;
        }
        default:
                for (unsigned i = 0; i < 5; i++) {
                        char *p = px_cred_part(s, i);
                        FUZZ_CHECK(p && !strchr(p, '\t'));
                        free(p);
                }
                a = cppm_session_filter(s, size & 1);
                b = nbi_mutation_blacklist(s, true);
                break;
        }
        free(a);
        free(b);
        free(s);
        return 0;
}
