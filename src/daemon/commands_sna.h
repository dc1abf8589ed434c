/* SPDX-License-Identifier: MIT */
#pragma once
#include "common/ctlproto.h"
#include "daemon/control.h"
#include "daemon/daemon.h"

/* sna.setup {event_id, source?, dry_run?}: secrespctl sna setup. */
void cmd_sna_setup(Daemon *d, CtlClient *c, const CtlRequest *req);
