# The edge: HAProxy from Debian in front of the webapp tasks (manifests/images/edge/haproxy.cfg), with
# the libraries it loads, on an empty root. The healthcheck script runs on bash (for /dev/tcp) with
# BusyBox's head and grep; operators read the metrics port the same way.
ARG BASE=debian:trixie-slim
FROM ${BASE} AS build
COPY manifests/images/rootfs.sh manifests/images/shell-rootfs.sh /tmp/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy busybox-static >/dev/null \
 && sh /tmp/rootfs.sh /rootfs /usr/sbin/haproxy /usr/bin/bash \
 && sh /tmp/shell-rootfs.sh /rootfs cat grep head \
 && ln -s /usr/bin/bash /rootfs/bin/bash \
 && grep -E '^(root|haproxy):' /etc/passwd >/rootfs/etc/passwd \
 && grep -E '^(root|haproxy):' /etc/group >/rootfs/etc/group \
 && cp /etc/nsswitch.conf /rootfs/etc/

FROM scratch
COPY --from=build /rootfs /
COPY manifests/images/edge/haproxy.cfg /etc/remcode/haproxy.cfg
COPY manifests/images/edge/health.sh /usr/local/bin/remcode-edge-health
ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin EDGE_PORT=8080 EDGE_METRICS_PORT=8405 WEBAPP_ADDRESS=webapp:8080
USER haproxy
EXPOSE 8080 8405
# SIGUSR1 is HAProxy's graceful stop: it stops listening and lets requests in flight finish.
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/usr/sbin/haproxy", "-db", "-f", "/etc/remcode/haproxy.cfg"]
