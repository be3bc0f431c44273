# seglake (rpm %preun): $1 is 0 on erase. Stops the S3 server so that no
# daemon is left running from deleted files; mounts are left alone.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now seglake-s3d.service >/dev/null 2>&1 || :
fi
exit 0
