#!/usr/bin/env bash
# wimpuctl user add/del/list against a temporary store.
set -euo pipefail
ctl=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
store=$dir/users.json
fail() { echo "FAIL: $*" >&2; exit 1; }

"$ctl" user --store "$store" add alice --block blk.example --password 's3cret' || fail "add alice"
printf 'pw-from-stdin\n' | "$ctl" user --store "$store" add bob --password-stdin --disabled || fail "add bob"
printf 'pw3\n' | WIMPU_USER_STORE=$store "$ctl" user add carol || fail "add carol via env"
"$ctl" user --store "$store" add alice --password x 2>/dev/null && fail "duplicate add accepted"
"$ctl" user --store "$store" add 'bad name' --password x 2>/dev/null && fail "bad name accepted"
"$ctl" user --store "$store" add dave --password x --password-stdin </dev/null 2>/dev/null \
  && fail "--password with --password-stdin accepted"

list=$("$ctl" user --store "$store" list)
expected=$(printf 'alice\tblk.example\tenabled\nbob\t-\tdisabled\ncarol\t-\tenabled')
[ "$list" = "$expected" ] || fail "list was: $list"
"$ctl" user --store "$store" list --json | grep -q '"username": "bob"' || fail "json list"

# The store holds argon2id hashes, never the passwords, and is private to its owner.
grep -q '\$argon2id\$' "$store" || fail "no argon2id hash"
grep -q 's3cret\|pw-from-stdin' "$store" && fail "clear-text password in store"
[ "$(stat -c %a "$store")" = 600 ] || fail "store mode $(stat -c %a "$store")"

"$ctl" user --store "$store" del bob || fail "del bob"
"$ctl" user --store "$store" del bob 2>/dev/null && fail "second del accepted"
[ "$("$ctl" user --store "$store" list | cut -f1 | tr '\n' ' ')" = "alice carol " ] || fail "after del"
"$ctl" 2>/dev/null && fail "no subcommand accepted"
echo "wimpuctl user: 1 passed, 0 failed"
