/* SPDX-License-Identifier: MIT */
/* CUnit runner that reports in TAP, so automake counts every test case
 * and .ci/run can sum them with the functional tests. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "tests/unit/unit.h"

static unsigned tap_n;

static void on_test_complete(const CU_pTest test, const CU_pSuite suite, const CU_pFailureRecord failure)
{
        tap_n++;
        if (!failure) {
                printf("ok %u - %s: %s\n", tap_n, suite->pName, test->pName);
                return;
        }
        printf("not ok %u - %s: %s\n", tap_n, suite->pName, test->pName);
        for (CU_pFailureRecord f = failure; f; f = f->pNext)
                printf("#   %s:%u: %s\n", f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                       f->strCondition ? f->strCondition : "?");
}

int main(int argc, char **argv)
{
        const char *only = argc > 1 ? argv[1] : NULL;
        unsigned failed;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (CU_initialize_registry() != CUE_SUCCESS)
                return 99;
        addr_suite_add();
        duration_suite_add();
        jsonmem_suite_add();
        strbuf_suite_add();
        ctlproto_suite_add();
        whitelist_suite_add();
        config_suite_add();
        secrets_suite_add();
        store_suite_add();
        retry_suite_add();
        ctlparser_suite_add();
        state_suite_add();
        policy_suite_add();
        vartags_suite_add();
        window_suite_add();
        static_dst_suite_add();
        vectra_model_suite_add();
        jwt_suite_add();
        ctim_suite_add();
        spycloud_map_suite_add();
        msgraph_map_suite_add();
        rsettings_suite_add();
        relay_metrics_suite_add();
        response_cache_suite_add();
        summary_suite_add();
        sna_suite_add();
        riskscore_suite_add();
        umbrella_model_suite_add();
        umbrella_config_suite_add();
        macaddr_suite_add();
        cisco_ise_parse_suite_add();
        cisco_amp_parse_suite_add();
        clearpass_parse_suite_add();
        meraki_parse_suite_add();
        pulse_nac_parse_suite_add();
        xtreme_nbi_parse_suite_add();
        cisco_pxgrid_parse_suite_add();
        cisco_fmc_json_suite_add();
        cisco_asa_cmd_suite_add();
        checkpoint_json_suite_add();
        sophos_xml_suite_add();
        rbatchres_suite_add();
        fortios_map_suite_add();
        pan_xml_suite_add();
        fmg_rpc_suite_add();

        CU_set_test_complete_handler(on_test_complete);
        if (only) {
                CU_pSuite s = CU_get_suite(only);
                if (!s) {
                        fprintf(stderr, "no suite '%s'\n", only);
                        return 2;
                }
                CU_run_suite(s);
        } else
                CU_run_all_tests();
        printf("1..%u\n", tap_n);
        failed = CU_get_number_of_tests_failed();
        printf("# %u passed, %u failed\n", tap_n - failed, failed);
        CU_cleanup_registry();
        return failed ? 1 : 0;
}
