/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdlib.h>
#include <CUnit/CUnit.h>

/* Each suite file defines one of these; test_main.c registers them all. */
void addr_suite_add(void);
void duration_suite_add(void);
void jsonmem_suite_add(void);
void strbuf_suite_add(void);
void ctlproto_suite_add(void);
void whitelist_suite_add(void);
void config_suite_add(void);
void secrets_suite_add(void);
void store_suite_add(void);
void retry_suite_add(void);
void ctlparser_suite_add(void);
void state_suite_add(void);
void policy_suite_add(void);
void vartags_suite_add(void);
void window_suite_add(void);
void static_dst_suite_add(void);
void vectra_model_suite_add(void);
void jwt_suite_add(void);
void ctim_suite_add(void);
void spycloud_map_suite_add(void);
void msgraph_map_suite_add(void);
void rsettings_suite_add(void);
void relay_metrics_suite_add(void);
void response_cache_suite_add(void);
void summary_suite_add(void);
void sna_suite_add(void);
void riskscore_suite_add(void);
void umbrella_model_suite_add(void);
void umbrella_config_suite_add(void);
void macaddr_suite_add(void);
void cisco_ise_parse_suite_add(void);
void cisco_amp_parse_suite_add(void);
void clearpass_parse_suite_add(void);
void meraki_parse_suite_add(void);
void pulse_nac_parse_suite_add(void);
void xtreme_nbi_parse_suite_add(void);
void cisco_pxgrid_parse_suite_add(void);
void cisco_fmc_json_suite_add(void);
void cisco_asa_cmd_suite_add(void);
void checkpoint_json_suite_add(void);
void sophos_xml_suite_add(void);
void rbatchres_suite_add(void);
void fortios_map_suite_add(void);
void pan_xml_suite_add(void);
void fmg_rpc_suite_add(void);

/* Adds a suite with its tests; aborts on registry errors. */
#define UNIT_SUITE(name, ...) do {                                        \
                CU_pSuite s_ = CU_add_suite((name), NULL, NULL);          \
                const struct { const char *n; CU_TestFunc f; } t_[] = { __VA_ARGS__ }; \
                if (!s_) abort();                                         \
                for (size_t i_ = 0; i_ < sizeof(t_) / sizeof(t_[0]); i_++) \
                        if (!CU_add_test(s_, t_[i_].n, t_[i_].f)) abort(); \
        } while (0)
#define UNIT_TEST(f) { #f, f }
