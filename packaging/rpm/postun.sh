# seglake (rpm %postun): the data dir /var/lib/seglake and the seglake user
# are kept; systemd forgets the removed units.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
