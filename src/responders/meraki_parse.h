/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Cisco Meraki Dashboard API v1 (responders.md §5.6): what the meraki
 * responder reads and writes, apart from its I/O.  Pure. */

/* The "id" of every object of a JSON array (organizations, networks),
 * appended to *ids; -EBADMSG when body is not an array. */
int meraki_ids(const char *body, size_t len, char ***ids);

typedef enum MerakiKind {
        MERAKI_UNBLOCKABLE,
        MERAKI_WIRED,                   /* behind a switch port */
        MERAKI_WIRELESS,                /* on an SSID */
} MerakiKind;

typedef struct MerakiClient {
        char *id;
        char *net_id;
        char *mac;
        char *switchport;
        char *serial;                   /* recentDeviceSerial */
        char *ssid;
        char *connection;               /* recentDeviceConnection */
        MerakiKind kind;
} MerakiClient;

/* The clients of GET /networks/{net}/clients, appended to *v (*n of
 * them); -EBADMSG when body is not an array. */
int meraki_clients(const char *body, size_t len, const char *net_id, MerakiClient **v, size_t *n);
void meraki_clients_free(MerakiClient *v, size_t n);

/* Whether the port of GET /devices/{serial}/switch/ports/statuses may be
 * shut: it exists, is no uplink and serves this client alone.  false with
 * *why (static text) otherwise; -EBADMSG when unreadable. */
int meraki_port_blockable(const char *body, size_t len, const char *port_id, bool *ret, const char **why);

/* The client's policy from GET .../clients/{id}/policy: "Normal",
 * "Blocked", "Allowed", or "Group policy:<groupPolicyId>" (malloc'ed); NULL
 * when unreadable. */
char *meraki_policy_of(const char *body, size_t len);
/* The PUT body restoring or setting `policy` written as above. */
char *meraki_policy_body(const char *policy);
/* Whether a client with `current` policy already has `wanted`. */
bool meraki_policy_same(const char *current, const char *wanted);

/* Elements, as the original writes them:
 *   WLAN:<clientId>:<networkId>:<original policy>
 *   LAN:<clientId>:<serial>:<portId> */
char *meraki_element_wlan(const char *client_id, const char *net_id, const char *policy);
char *meraki_element_lan(const char *client_id, const char *serial, const char *port_id);

typedef struct MerakiElement {
        bool wlan;
        char *client_id;
        char *where;                    /* network id (WLAN) or serial (LAN) */
        char *what;                     /* original policy (WLAN) or port id (LAN) */
} MerakiElement;

/* Grooming (VAR's groom_host; upstream compared strings with dicts and
 * always answered "moved"): whether the stored elements name exactly the
 * places where the host's blockable clients are now (the client and its
 * network for WLAN, the client, switch and port for LAN; wired clients
 * count only when `wired`). */
bool meraki_groom_unchanged(const char *const *elements, size_t n, const MerakiClient *clients, size_t n_clients,
                            bool wired);

/* 0, or -EINVAL when s is no Meraki element. */
int meraki_element_parse(const char *s, MerakiElement *ret);
void meraki_element_done(MerakiElement *e);
