# Redis from Debian: redis-server, redis-cli for the healthcheck, the libraries they load, setpriv and
# a BusyBox shell for the entrypoint and the healthcheck, on an empty root. The password comes from a
# Docker secret at start; the image holds none.
ARG BASE=debian:trixie-slim
FROM ${BASE} AS build
COPY manifests/images/rootfs.sh manifests/images/shell-rootfs.sh /tmp/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server busybox-static >/dev/null \
 && sh /tmp/rootfs.sh /rootfs /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/setpriv \
 && sh /tmp/shell-rootfs.sh /rootfs cat chown grep mkdir \
 && grep -E '^(root|redis):' /etc/passwd >/rootfs/etc/passwd \
 && grep -E '^(root|redis):' /etc/group >/rootfs/etc/group \
 && cp /etc/nsswitch.conf /rootfs/etc/ \
 && mkdir -p /rootfs/run /rootfs/var/lib/redis \
 && ln -s /run /rootfs/var/run \
 && chown redis:redis /rootfs/var/lib/redis

FROM scratch
COPY --from=build /rootfs /
COPY manifests/images/redis/entrypoint.sh /usr/local/bin/remcode-redis
COPY manifests/images/redis/health.sh /usr/local/bin/remcode-redis-health
COPY manifests/images/redis/users.acl /usr/local/share/remcode-redis/users.acl
ENV PATH=/usr/local/bin:/usr/bin:/bin
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/remcode-redis"]
