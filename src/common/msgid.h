/* SPDX-License-Identifier: MIT */
#pragma once

/* One fixed MESSAGE_ID per event type, so that operators can write
 * `journalctl MESSAGE_ID=...`.  systemd/secresp.catalog explains each one;
 * keep both in step. */
#define MSGID_STARTED          "c535f0fa13f84d928469d9b904f3cdfb"
#define MSGID_STOPPED          "f290d8557d3145338cbc88dcd3c43762"
#define MSGID_RELOADED         "2b55d1c5d4be4f9d8ada14753f5bcbbd"
#define MSGID_CONFIG_REJECTED  "024af75814794f2dbb48c37b68597f3e"
#define MSGID_WL_ADDED         "2b1aa2e3a27b404a8d47ab5f6e0cbcb7"
#define MSGID_WL_REMOVED       "40bea66fa2ab471b9ab3e56a2a3a0232"
#define MSGID_WL_EXPIRED       "9b9db7fb08f14f79a1ce2303d5fbb52a"
#define MSGID_BLOCK_APPLIED    "f8fe90b430bd4efeaf46f85431433282"
#define MSGID_BLOCK_FAILED     "935fb4bba27f4ae686f88dcd27c8927c"
#define MSGID_UNBLOCK_APPLIED  "3771088c8b14468990322c3a1f838ef9"
#define MSGID_UNBLOCK_FAILED   "5d96205cc597440c9150c9ad97e6e642"
#define MSGID_CYCLE_DONE       "11307c6f43ee42d49980286cfb8001cf"
#define MSGID_CYCLE_FAILED     "c5be7299efa4423b991a9e7b720617b7"
#define MSGID_CONTROL_REFUSED  "126d1807a637461a990b696de86d2152"
#define MSGID_STORE_ERROR      "95527270ee39485599c57bd612006dad"
