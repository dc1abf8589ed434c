#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Checks the operating surface that ships next to the binaries: man pages,
# journald catalog, systemd unit, sysusers.d and tmpfiles.d entries.
# Output is TAP.  top_srcdir points at the source tree (set by make check).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LC_ALL=C
export LC_ALL

MSGID_H="$top_srcdir/src/common/msgid.h"
CATALOG="$top_srcdir/systemd/secresp.catalog"
UNIT="$top_srcdir/systemd/secrespd.service"
PAGES="secrespd.8 secrespctl.8 secrespd.conf.5"
MAX_EXPOSURE=2.0

n=0
failed=0
ok()      { n=$((n + 1)); echo "ok $n - $1"; }
not_ok()  { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
skip()    { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag()    { sed 's/^/# /'; }
have()    { command -v "$1" >/dev/null 2>&1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-dist.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "1..13"

# 1-3: each man page is clean under groff with every warning enabled.
for p in $PAGES; do
        out=$(groff -man -ww -z "$top_srcdir/man/$p" 2>&1)
        if [ $? -eq 0 ] && [ -z "$out" ]; then
                ok "groff -man -ww -z man/$p is clean"
        else
                printf '%s\n' "$out" | diag
                not_ok "groff -man -ww -z man/$p is clean"
        fi
done

# 4: mandoc's linter agrees (warnings and worse; style hints are ignored).
if have mandoc; then
        out=$(cd "$top_srcdir/man" && mandoc -man -T lint -W warning $PAGES 2>&1)
        if [ -z "$out" ]; then
                ok "mandoc -T lint is clean"
        else
                printf '%s\n' "$out" | diag
                not_ok "mandoc -T lint is clean"
        fi
else
        skip "mandoc not installed"
fi

# The ids, lower-case, one a line, from the header and from the catalog.
sed -n 's/^#define[ 	]\{1,\}MSGID_[A-Z0-9_]\{1,\}[ 	]\{1,\}"\([0-9a-fA-F]*\)".*/\1/p' "$MSGID_H" |
        tr 'A-F' 'a-f' > "$tmp/ids.h"
sed -n 's/^-- \([0-9a-fA-F]\{32\}\)$/\1/p' "$CATALOG" | tr 'A-F' 'a-f' > "$tmp/ids.catalog"

# 5: catalog entry format: "-- <32 hex>", then Subject:, Defined-By:
# secresp, Support:, Documentation: man:secrespd(8), a blank line and a
# body; nothing but comments before the first entry.
if awk '
        function fail(m) { printf "# %s:%d: %s\n", FILENAME, FNR, m; bad = 1 }
        function close_entry() {
                if (!inentry) return
                if (!subj) fail("entry " id " has no Subject:")
                if (!defby) fail("entry " id " lacks Defined-By: secresp")
                if (!supp) fail("entry " id " has no Support:")
                if (!doc) fail("entry " id " lacks Documentation: man:secrespd(8)")
                if (!body) fail("entry " id " has no body")
        }
        /^-- / {
                close_entry()
                if ($0 !~ /^-- [0-9a-f]+$/ || length($2) != 32) fail("bad entry line: " $0)
                id = $2; inentry = 1; header = 1
                subj = defby = supp = doc = body = 0
                next
        }
        !inentry { if ($0 !~ /^(#.*)?$/) fail("text outside an entry: " $0); next }
        header && /^$/ { header = 0; next }
        header {
                if ($0 ~ /^Subject: ./) subj++
                else if ($0 == "Defined-By: secresp") defby++
                else if ($0 ~ /^Support: ./) supp++
                else if ($0 ~ /^Documentation: (.* )?man:secrespd\(8\)( |$)/) doc++
                else if ($0 !~ /^[A-Za-z-]+: /) fail("bad header line in " id ": " $0)
                next
        }
        /[^ \t]/ { body = 1 }
        END { close_entry(); if (!inentry) fail("no entries"); exit bad }
' "$CATALOG"; then
        ok "catalog entries are well formed"
else
        not_ok "catalog entries are well formed"
fi

# 6: every MESSAGE_ID of msgid.h has exactly one catalog entry.
missing=""
for id in $(cat "$tmp/ids.h"); do
        c=$(grep -c "^$id\$" "$tmp/ids.catalog")
        [ "$c" -eq 1 ] || missing="$missing $id($c)"
done
if [ -s "$tmp/ids.h" ] && [ -z "$missing" ]; then
        ok "each of the $(wc -l < "$tmp/ids.h") MESSAGE_IDs has one catalog entry"
else
        echo "# ids without exactly one entry (count):$missing" 
        not_ok "each MESSAGE_ID has one catalog entry"
fi

# 7: every catalog entry is a MESSAGE_ID of msgid.h.
extra=""
for id in $(cat "$tmp/ids.catalog"); do
        grep -q "^$id\$" "$tmp/ids.h" || extra="$extra $id"
done
if [ -s "$tmp/ids.catalog" ] && [ -z "$extra" ]; then
        ok "each catalog entry is a MESSAGE_ID of msgid.h"
else
        echo "# catalog entries not in msgid.h:$extra"
        not_ok "each catalog entry is a MESSAGE_ID of msgid.h"
fi

# 8: journald itself accepts the catalog (indexed in a scratch root).
if have journalctl; then
        r="$tmp/catroot"
        mkdir -p "$r/usr/lib/systemd/catalog"
        cp "$CATALOG" "$r/usr/lib/systemd/catalog/secresp.catalog"
        if journalctl --root="$r" --update-catalog > "$tmp/cat.out" 2>&1 &&
           journalctl --root="$r" --list-catalog > "$tmp/cat.list" 2>>"$tmp/cat.out" &&
           [ ! -s "$tmp/cat.out" ] &&
           [ "$(grep -c ' secresp: ' "$tmp/cat.list")" -eq "$(wc -l < "$tmp/ids.h")" ]; then
                ok "journalctl --update-catalog indexes every entry"
        else
                diag < "$tmp/cat.out"
                diag < "$tmp/cat.list"
                not_ok "journalctl --update-catalog indexes every entry"
        fi
else
        skip "journalctl not installed"
fi

# 9: secrespd(8) lists every MESSAGE_ID.
missing=""
for id in $(cat "$tmp/ids.h"); do
        grep -qi "$id" "$top_srcdir/man/secrespd.8" || missing="$missing $id"
done
if [ -z "$missing" ]; then
        ok "secrespd(8) lists every MESSAGE_ID"
else
        echo "# not in man/secrespd.8:$missing"
        not_ok "secrespd(8) lists every MESSAGE_ID"
fi

# 10: systemd-analyze verify, in a scratch root holding the unit, stand-in
# executables and the host's targets; the Documentation= pages are looked
# up in the source tree.
sysunits=""
for d in /usr/lib/systemd/system /lib/systemd/system; do
        [ -f "$d/sysinit.target" ] && { sysunits=$d; break; }
done
if ! have systemd-analyze; then
        skip "systemd-analyze not installed"
elif [ -z "$sysunits" ]; then
        skip "no systemd unit directory with sysinit.target"
else
        r="$tmp/root"
        mkdir -p "$r/usr/lib/systemd/system" "$r/usr/sbin" "$r/usr/bin" "$r/bin" \
                "$r/etc" "$tmp/man/man5" "$tmp/man/man8"
        cp "$sysunits"/*.target "$sysunits"/*.slice "$r/usr/lib/systemd/system/" 2>/dev/null
        cp "$UNIT" "$r/usr/lib/systemd/system/secrespd.service"
        for x in /usr/sbin/secrespd /usr/bin/secrespctl /bin/kill; do
                printf '#!/bin/sh\nexit 0\n' > "$r$x"
                chmod 755 "$r$x"
        done
        man_opt=--man=no
        if have man; then
                cp "$top_srcdir/man/secrespd.conf.5" "$tmp/man/man5/"
                cp "$top_srcdir/man/secrespd.8" "$top_srcdir/man/secrespctl.8" "$tmp/man/man8/"
                man_opt=--man=yes
        fi
        MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=notice \
                systemd-analyze verify $man_opt --root="$r" secrespd.service > "$tmp/verify.out" 2>&1
        rc=$?
        if [ $rc -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then
                ok "systemd-analyze verify secrespd.service ($man_opt)"
        else
                diag < "$tmp/verify.out"
                not_ok "systemd-analyze verify secrespd.service (exit $rc)"
        fi
fi

# 11: the exposure score stays at or below MAX_EXPOSURE.
if have systemd-analyze; then
        systemd-analyze security --offline=yes --no-pager "$UNIT" > "$tmp/security.out" 2>&1
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' "$tmp/security.out")
        if [ -n "$score" ] && awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
                ok "systemd-analyze security: exposure $score <= $MAX_EXPOSURE"
        else
                grep -v -e '✓' -e '^+ ' "$tmp/security.out" | diag
                not_ok "systemd-analyze security: exposure ${score:-unknown} <= $MAX_EXPOSURE"
        fi
else
        skip "systemd-analyze not installed"
fi

# 12: sysusers.d creates user and group secresp, no login, home
# /var/lib/secresp (in a scratch root).
if have systemd-sysusers; then
        r="$tmp/uroot"
        mkdir -p "$r/etc" "$r/usr/lib/sysusers.d"
        : > "$r/etc/passwd"
        : > "$r/etc/group"
        cp "$top_srcdir/systemd/secresp.sysusers" "$r/usr/lib/sysusers.d/secresp.conf"
        if systemd-sysusers --root="$r" > "$tmp/sysusers.out" 2>&1 &&
           grep -q '^secresp:x:[0-9]*:[0-9]*:[^:]*:/var/lib/secresp:/usr/sbin/nologin$' "$r/etc/passwd" &&
           grep -q '^secresp:x:[0-9]*:' "$r/etc/group"; then
                ok "sysusers.d entry creates user and group secresp"
        else
                cat "$tmp/sysusers.out" "$r/etc/passwd" "$r/etc/group" | diag
                not_ok "sysusers.d entry creates user and group secresp"
        fi
else
        skip "systemd-sysusers not installed"
fi

# 13: tmpfiles.d creates the state and configuration directories with the
# right modes (ownership needs the user, so only modes are checked).
if have systemd-tmpfiles; then
        r="$tmp/troot"
        mkdir -p "$r/usr/lib/tmpfiles.d"
        # the test may run without the secresp user: map owners to the caller
        awk -v u="$(id -u)" -v g="$(id -g)" '$1 == "d" { $4 = u; $5 = g } { print }' \
                "$top_srcdir/systemd/secresp.tmpfiles" > "$r/usr/lib/tmpfiles.d/secresp.conf"
        if systemd-tmpfiles --root="$r" --create secresp.conf > "$tmp/tmpfiles.out" 2>&1 &&
           [ "$(stat -c %a "$r/var/lib/secresp")" = 750 ] &&
           [ "$(stat -c %a "$r/etc/secresp")" = 750 ] &&
           grep -q '^d[ 	]*/var/lib/secresp[ 	]*0750[ 	]*secresp[ 	]*secresp' "$top_srcdir/systemd/secresp.tmpfiles" &&
           grep -q '^d[ 	]*/etc/secresp[ 	]*0750[ 	]*root[ 	]*secresp' "$top_srcdir/systemd/secresp.tmpfiles"; then
                ok "tmpfiles.d entry creates /var/lib/secresp and /etc/secresp 0750"
        else
                diag < "$tmp/tmpfiles.out"
                not_ok "tmpfiles.d entry creates /var/lib/secresp and /etc/secresp 0750"
        fi
else
        skip "systemd-tmpfiles not installed"
fi

[ "$n" -eq 13 ] || echo "# BUG: ran $n tests, planned 13"
exit 0
