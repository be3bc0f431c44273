#!/usr/bin/env bash
# Builds the .deb from the build tree (and the .rpm where rpmbuild exists),
# checks it with lintian (and rpmlint), installs it with dpkg, runs what it
# installed, removes and purges it, and checks what stays and what goes.
# Needs root and dpkg: elsewhere it exits 77 (skipped). A machine that has
# seglake installed already is left alone (77 too).
set -euo pipefail

BIN_DIR="${SEGLAKE_BIN_DIR:?SEGLAKE_BIN_DIR is the build dir}"
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
command -v dpkg >/dev/null || skip "no dpkg"
command -v cpack >/dev/null || skip "no cpack"
if dpkg-query -W -f='${Status}' seglake 2>/dev/null | grep -q installed; then
  skip "a seglake package is installed on this machine already"
fi

work="$(mktemp -d)"
had_user=0; getent passwd seglake >/dev/null && had_user=1
had_group=0; getent group seglake >/dev/null && had_group=1
had_state=0; [ -e /var/lib/seglake ] && had_state=1
s3d_pid=""
cleanup() {
  [ -n "$s3d_pid" ] && kill "$s3d_pid" 2>/dev/null || true
  dpkg -P seglake >/dev/null 2>&1 || true
  [ "$had_state" -eq 1 ] || rm -rf /var/lib/seglake
  [ "$had_user" -eq 1 ] || userdel seglake 2>/dev/null || true
  [ "$had_group" -eq 1 ] || groupdel seglake 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== cpack"
generators="DEB"
command -v rpmbuild >/dev/null && generators="DEB;RPM"
(cd "$work" && cpack --config "$BIN_DIR/CPackConfig.cmake" -G "$generators" -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb="$(ls "$work"/out/seglake_*.deb)"
echo "built $deb"

echo "== dpkg-deb"
dpkg-deb -I "$deb" >"$work/info"
grep -q '^ Maintainer: .*<.*@.*>' "$work/info" || fail "Maintainer has no address"
grep -q '^ Depends: .*fuse3' "$work/info" || fail "Depends lacks fuse3"
grep -q '^ Depends: .*adduser' "$work/info" || fail "Depends lacks adduser"
dpkg-deb -c "$deb" >"$work/files"
for f in ./usr/bin/seglake-s3d ./usr/bin/seglake-mount ./usr/bin/seglake \
         ./usr/share/doc/seglake/copyright ./usr/share/doc/seglake/changelog.gz \
         ./usr/share/man/man1/seglake-s3d.1.gz ./usr/lib/systemd/system/seglake-s3d.service \
         ./etc/default/seglake; do
  grep -q " $f\$" "$work/files" || fail "$f is not in the package"
done
grep -q '^-rw------- root/root .* ./etc/default/seglake$' "$work/files" ||
  fail "/etc/default/seglake is not 0600 root:root"
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
  [ -x "$work/control/$s" ] || fail "no executable $s"
  sh -n "$work/control/$s" || fail "$s does not parse"
done

echo "== hardening"
dpkg-deb -x "$deb" "$work/root"
for b in seglake-s3d seglake-mount seglake; do
  exe="$work/root/usr/bin/$b"
  # Captured first: `readelf | grep -q` fails under pipefail when grep
  # stops reading early.
  header="$(readelf -h "$exe")"; dynamic="$(readelf -d "$exe")"
  segments="$(readelf -lW "$exe")"; symbols="$(readelf -W --dyn-syms "$exe")"
  grep -q 'Type: *DYN' <<<"$header" || fail "$b is not a PIE"
  grep -q 'BIND_NOW\|FLAGS.*NOW' <<<"$dynamic" || fail "$b is not bound now"
  grep -q GNU_RELRO <<<"$segments" || fail "$b has no RELRO"
  grep -q '__stack_chk_fail' <<<"$symbols" || fail "$b has no stack protector"
  grep -q '_chk@' <<<"$symbols" || fail "$b calls no fortified function"
done

if command -v lintian >/dev/null; then
  echo "== lintian"
  # Errors and warnings fail; the overrides in packaging/README.md are the
  # tags kept on purpose, each with its reason.
  suppressed="$( (grep -v "^#" "$(dirname "$0")/lintian-suppressed" || true) | cut -d" " -f1 | paste -sd, -)"
  lintian --tag-display-limit 0 ${suppressed:+--suppress-tags "$suppressed"} \
    "$deb" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian" || true
  if grep -E '^(E|W): ' "$work/lintian"; then fail "lintian"; fi
else
  echo "lintian not installed: not run"
fi

if [ "$generators" = "DEB;RPM" ]; then
  rpm="$(ls "$work"/out/seglake-*.rpm)"
  echo "== rpm: $rpm"
  rpm -qp --scripts "$rpm" >"$work/scripts"
  grep -q 'useradd -r' "$work/scripts" || fail "rpm %post does not make the user"
  grep -q 'disable --now seglake-s3d' "$work/scripts" || fail "rpm %preun does not stop the server"
  grep -q '0\.1\.0' <<<"$(rpm -qp --changelog "$rpm")" || fail "rpm has no changelog"
  if command -v rpmlint >/dev/null; then
    rpmlint -c "$(dirname "$0")/rpmlint.toml" "$rpm" | tee "$work/rpmlint" || true
    if grep -E " (E|W): " "$work/rpmlint"; then fail "rpmlint"; fi
  fi
fi

echo "== install"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg-query -W -f='${Status}' seglake | grep -q "install ok installed" || fail "not installed"
getent passwd seglake >/dev/null || fail "postinst made no seglake user"
[ "$(getent passwd seglake | cut -d: -f7)" = /usr/sbin/nologin ] || fail "seglake can log in"
[ "$(stat -c '%a %U' /var/lib/seglake)" = "700 seglake" ] || [ "$had_state" -eq 1 ] ||
  fail "/var/lib/seglake is $(stat -c '%a %U' /var/lib/seglake), not 700 seglake"
for b in seglake-s3d seglake-mount seglake; do
  out="$(/usr/bin/$b --version 2>&1)" || fail "$b --version: $out"
  echo "$out" | grep -q '0\.1\.0' || fail "$b --version says '$out'"
done
grep -q '^\.TH SEGLAKE\\-S3D' <<<"$(zcat /usr/share/man/man1/seglake-s3d.1.gz)" || fail "man page"
if command -v man >/dev/null; then
  man -w seglake-mount >/dev/null || fail "man -w seglake-mount"
fi

echo "== the installed server as the seglake user"
data="$work/data"
chmod 0711 "$work"  # the service user must reach its data dir
install -d -m 0700 -o seglake -g seglake "$data"
port=$((20000 + RANDOM % 20000))
runuser -u seglake -- /usr/bin/seglake-s3d --data-dir "$data" --listen "127.0.0.1:$port" \
  >"$work/s3d.log" 2>&1 &
s3d_pid=$!
ok=0
for _ in $(seq 1 100); do
  if python3 - "$port" <<'PY' 2>/dev/null; then ok=1; break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health/ready", timeout=2).read()
PY
  kill -0 "$s3d_pid" 2>/dev/null || break
  sleep 0.1
done
[ "$ok" -eq 1 ] || { cat "$work/s3d.log"; fail "installed seglake-s3d never got ready"; }
# An admin's root command on the same data dir leaves files the service can read.
/usr/bin/seglake --data-dir "$data" bucket create root-made >"$work/cli.log" 2>&1 ||
  { cat "$work/cli.log"; fail "seglake bucket create as root"; }
bad="$(find "$data" ! -user seglake | head -3)"
[ -z "$bad" ] || fail "root left files the service cannot own: $bad"
kill "$s3d_pid"; wait "$s3d_pid" 2>/dev/null || true; s3d_pid=""

echo "== remove"
dpkg -r seglake >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/seglake-s3d ] || fail "dpkg -r left /usr/bin/seglake-s3d"
[ -e /etc/default/seglake ] || fail "dpkg -r removed the conffile (only purge should)"
[ -d /var/lib/seglake ] || fail "dpkg -r removed the data dir"
dpkg -P seglake >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -P"; }
[ ! -e /etc/default/seglake ] || fail "purge left /etc/default/seglake"
[ -d /var/lib/seglake ] || fail "purge removed the data dir (it holds the objects)"
dpkg-query -W -f='${Status}' seglake 2>/dev/null | grep -q installed && fail "still installed"
echo "package: built, checked, installed, run, removed and purged"
