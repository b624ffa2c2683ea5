#!/bin/sh
# Writes the password from the secret into a config file readable only by redis (never onto a
# command line, where ps would show it), then runs redis-server as the redis user.
set -eu
: "${REDIS_PASSWORD_FILE:?REDIS_PASSWORD_FILE must name the Docker secret holding the password}"
conf=/run/remcode-redis.conf
umask 077
{
  echo "bind 0.0.0.0"
  echo "protected-mode yes"
  echo "port 6379"
  echo "dir /var/lib/redis"
  echo "save \"\""
  echo "appendonly yes"
  # At most the last second of writes is lost when the host dies (a killed redis-server loses none:
  # the kernel still holds what it wrote); the webapp's sweeper enqueues any submission that loses its job.
  echo "appendfsync everysec"
  printf 'requirepass %s\n' "$(cat "$REDIS_PASSWORD_FILE")"
  # One user per program (users.acl) whose password file the service is handed; its keys and channels
  # are the install's prefix. Shell built-ins only (and grep): the runtime image has little else.
  prefix=${REMCODE_PREFIX:-remcode}
  set -f
  grep -v -e '^#' -e '^[[:space:]]*$' /usr/local/share/remcode-redis/users.acl | while read -r name variable rules; do
    case $variable in REDIS_*_PASSWORD_FILE) ;; *) echo "users.acl: bad variable $variable" >&2; exit 1 ;; esac
    eval "file=\${$variable:-}"
    [ -n "$file" ] || continue
    [ -s "$file" ] || { echo "$variable names an empty or missing file" >&2; exit 1; }
    line="user $name reset on >$(cat "$file")"
    for rule in $rules; do
      case $rule in *PREFIX*) rule="${rule%%PREFIX*}$prefix${rule#*PREFIX}" ;; esac
      line="$line $rule"
    done
    printf '%s\n' "$line"
  done
  set +f
} >"$conf"
chown redis:redis "$conf"
mkdir -p /var/lib/redis && chown redis:redis /var/lib/redis
# The full path: BusyBox's sh (the runtime image's shell) would run its own setpriv, which cannot
# change users.
exec /usr/bin/setpriv --reuid=redis --regid=redis --init-groups redis-server "$conf"
