/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* What secresp blocks.  An entity is identified by its kind and a
 * canonical value, so that the same host seen by two brains (or by Vectra
 * and SNA) is one entity with one block per responder:
 *   host         the IP (canonical form)
 *   account      the account name as the source reports it ("O365:u@dom")
 *   destination  an external IP or CIDR (detections, static lists)
 *   user         a VPN user name (Umbrella)
 */
typedef enum EntityKind {
        ENTITY_HOST,
        ENTITY_ACCOUNT,
        ENTITY_DESTINATION,
        ENTITY_USER,
        _ENTITY_KIND_MAX,
        _ENTITY_KIND_INVALID = -22,
} EntityKind;

/* Attributes responders may need; every pointer may be NULL. */
typedef struct EntityAttrs {
        const char *name;               /* display name (host name, account name) */
        const char *hostname;           /* best full host name (VAR get_full_name) */
        const char *const *macs;        /* NULL-terminated */
        const char *vm_uuid;
        const char *aws_vm_uuid;
        const char *ext_kind;           /* what the source calls it: "host", "account", "detection" */
        const char *ext_id;             /* the source's id, e.g. Vectra host id "1969" */
        const char *source;             /* source instance name, e.g. "brain1" */
        const char *group;              /* user: the VPN group to put it in (Umbrella) */
} EntityAttrs;

typedef struct Entity {
        EntityKind kind;
        const char *value;
        EntityAttrs attrs;
} Entity;

const char *entity_kind_to_string(EntityKind k);
EntityKind entity_kind_from_string(const char *s);
