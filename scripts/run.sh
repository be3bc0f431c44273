#!/usr/bin/env bash
# run.sh: what `make run` runs once the build is done. Mounts DATA_DIR at
# MOUNTPOINT with seglake-mount (which detaches once mounted), then serves
# DATA_DIR over S3 with seglake-s3d in the foreground. When seglake-s3d ends
# (Ctrl-C, SIGTERM, or by itself) it unmounts MOUNTPOINT. If the mount cannot
# be made, it says why and serves S3 alone.
#
# Usage: scripts/run.sh [BUILD_DIR [DATA_DIR [MOUNTPOINT]]]
#   defaults: build/release ./data ./mnt
# seglake-s3d reads its settings from SEGLAKE_* variables (SEGLAKE_LISTEN,
# SEGLAKE_ACCESS_KEY, ...; see seglake-s3d(1)); SEGLAKE_MOUNT_OPTIONS holds
# -o options for seglake-mount (see seglake-mount(1)).
set -uo pipefail

bin=${1:-build/release}
data=${2:-./data}
mnt=${3:-./mnt}
s3d="$bin/s3d/server/seglake-s3d"
mount_bin="$bin/fuse/seglake-mount"
os=$(uname -s)

say() { echo "run: $*" >&2; }
[ -x "$s3d" ] || { say "$s3d is not built (make build)"; exit 1; }
mkdir -p "$data" "$(dirname "$mnt")" || exit 1
# Without entering it: it may hold a dead mount, where every access fails.
abs_mnt="$(cd "$(dirname "$mnt")" && pwd -P)/$(basename "$mnt")"

mounted() {  # is something mounted at the mountpoint?
  if [ -r /proc/self/mountinfo ]; then
    awk -v m="$abs_mnt" '$5 == m {found = 1} END {exit !found}' /proc/self/mountinfo
  else
    mount | grep -qF " on $abs_mnt "
  fi
}
unmount() {  # [lazy]
  if [ "$os" = Darwin ]; then
    if [ "${1:-}" = lazy ]; then umount -f "$mnt"; else umount "$mnt"; fi
  elif [ "${1:-}" = lazy ]; then
    fusermount3 -uz "$mnt"
  else
    fusermount3 -u "$mnt"
  fi
}

# ---- the mount ------------------------------------------------------------------
we_mounted=0
mount_note=""
why_not() {  # a hint for a failed mount, from what this machine lacks
  if [ "$os" = Darwin ]; then
    [ -e /Library/Filesystems/macfuse.fs ] ||
      echo "macFUSE is not installed (brew install --cask macfuse, then allow its extension)"
    return
  fi
  if [ ! -e /dev/fuse ]; then
    echo "/dev/fuse is missing: load the module (sudo modprobe fuse); in a container, run it with --device /dev/fuse --cap-add SYS_ADMIN"
  elif [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then
    echo "/dev/fuse is not readable and writable by $(id -un)"
  elif [ "$(id -u)" != 0 ] && ! command -v fusermount3 >/dev/null; then
    echo "fusermount3 is missing (sudo apt-get install fuse3)"
  fi
}
if [ ! -x "$mount_bin" ]; then
  mount_note="not mounted: $mount_bin is not built (it needs libfuse3; on macOS, macFUSE)"
elif mounted; then
  if ls "$mnt" >/dev/null 2>&1; then
    mount_note="$mnt is already mounted (not by this run; fusermount3 -u $mnt to unmount it)"
  else
    # A mount whose process died: the kernel answers ENOTCONN until it is unmounted.
    say "$mnt holds a dead mount (its process is gone); unmounting it"
    unmount lazy 2>/dev/null || true
  fi
fi
mkdir -p "$mnt" 2>/dev/null || [ -n "$mount_note" ] || mount_note="cannot create $mnt"
if [ -z "$mount_note" ] && [ -x "$mount_bin" ]; then
  mount_args=()
  [ -z "${SEGLAKE_MOUNT_OPTIONS:-}" ] || mount_args=(-o "$SEGLAKE_MOUNT_OPTIONS")
  if err=$("$mount_bin" "${mount_args[@]}" "$data" "$mnt" 2>&1); then
    we_mounted=1
  else
    [ -z "$err" ] || printf '%s\n' "$err" >&2
    hint=$(why_not)
    mount_note="the mount failed${hint:+: $hint}; serving S3 only"
  fi
fi

cleanup_mount() {
  [ "$we_mounted" = 1 ] || return 0
  we_mounted=0
  if unmount 2>/dev/null; then
    say "unmounted $mnt"
  elif mounted; then
    say "$mnt is busy (a shell or program is using it): unmounting it lazily; it goes away once released"
    unmount lazy || say "could not unmount $mnt: run fusermount3 -u $mnt"
  fi
}

# ---- the S3 server --------------------------------------------------------------
log=$(mktemp "${TMPDIR:-/tmp}/seglake-run.XXXXXX")
s3d_pid=""
stop() {
  [ -z "$s3d_pid" ] || kill -TERM "$s3d_pid" 2>/dev/null
}
trap stop INT TERM HUP
# Its standard error goes to the terminal and to $log (for the address); tee
# ignores Ctrl-C so that the server can still log its shutdown.
"$s3d" --data-dir "$data" 2> >(trap '' INT TERM HUP; exec tee "$log" >&2) &
s3d_pid=$!

url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/.*seglake-s3d listening on \([^ ]*\).*/\1/p' "$log" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$s3d_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$url" ]; then
  {
    echo
    echo "  S3:    $url  (data dir $data; keys as printed above, or in $data/credentials)"
    if [ "$we_mounted" = 1 ]; then
      echo "  mount: $abs_mnt  (the buckets are its directories)"
    else
      echo "  mount: $mount_note"
    fi
    echo "  Ctrl-C stops the server$([ "$we_mounted" = 1 ] && echo " and unmounts")."
    echo
  } >&2
fi

# wait returns early when a trapped signal arrives; wait again until s3d ends.
rc=0
while kill -0 "$s3d_pid" 2>/dev/null; do
  wait "$s3d_pid"
  rc=$?
done
s3d_pid=""
[ -n "$url" ] || say "seglake-s3d exited ($rc) before listening"
cleanup_mount
rm -f "$log"
# 130/143 from the signal that stopped s3d is a normal stop.
case "$rc" in 0|130|143) exit 0 ;; *) exit "$rc" ;; esac
