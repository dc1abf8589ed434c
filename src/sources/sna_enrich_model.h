/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <cjson/cJSON.h>

/* Answers of Umbrella Investigate and Secure Endpoint v1 used to explain
 * a high-traffic host (responders.md §7.2, §7.3), turned into one short
 * markdown-safe line each.  Pure; NULL for an answer of another shape. */

/* GET /ips/{ip}/latest_domains: [{"id","name"}]; the names (at most max),
 * NULL-terminated; an empty list is a valid answer (n = 0). */
int investigate_latest_domains(const cJSON *body, size_t max, char ***ret, size_t *ret_n);
/* GET /domains/categorization/{domain}?showLabels: {domain: {status,
 * security_categories}} -> -1 malicious, 0 unknown, 1 benign, and the
 * first security category (or NULL). */
int investigate_status(const cJSON *body, const char *domain, int *ret_status, char **ret_category);
/* "8.8.8.8: no malicious domain known" / "203.0.113.9: bad.example
 * (malicious: Malware), ok.example" */
char *investigate_line(const char *ip, char *const *domains, const int *status, char *const *categories, size_t n);

/* GET /v1/computers?internal_ip=: data[0] connector_guid and hostname. */
int amp_computer(const cJSON *body, char **ret_guid, char **ret_hostname);
/* GET /v1/computers/{guid}/trajectory?q=IP: the distinct processes
 * (network_info.parent.file_name) of the events with that remote_ip, at
 * most max, in order. */
int amp_processes(const cJSON *body, const char *remote_ip, size_t max, char ***ret, size_t *ret_n);
/* "ws-alice.corp: chrome.exe -> 8.8.8.8; svchost.exe -> 1.1.1.1" or
 * "not a Secure Endpoint computer" */
char *amp_line(const char *hostname, char *const *peers, char *const *const *procs, size_t n);
