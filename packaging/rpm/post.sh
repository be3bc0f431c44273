# seglake (rpm %post): $1 is 1 on install, 2 on upgrade. Creates the system
# user the S3 server runs as and its default data dir, and lets systemd see
# the new units; an upgrade restarts a server that was running.
getent group seglake >/dev/null || groupadd -r seglake
getent passwd seglake >/dev/null || \
    useradd -r -g seglake -d /var/lib/seglake -M -s /sbin/nologin \
        -c "seglake storage service" seglake
if [ ! -e /var/lib/seglake ]; then
    mkdir -p /var/lib/seglake && chown seglake:seglake /var/lib/seglake && chmod 0700 /var/lib/seglake
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    [ "$1" -ge 2 ] && systemctl try-restart seglake-s3d.service >/dev/null 2>&1 || :
fi
exit 0
