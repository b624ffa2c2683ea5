# The edge: HAProxy from Debian in front of the webapp tasks (manifests/images/edge/haproxy.cfg).
ARG BASE=debian:trixie-slim
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/*
COPY manifests/images/edge/haproxy.cfg /etc/remcode/haproxy.cfg
COPY manifests/images/edge/health.sh /usr/local/bin/remcode-edge-health
ENV EDGE_PORT=8080 EDGE_METRICS_PORT=8405 WEBAPP_ADDRESS=webapp:8080
USER haproxy
EXPOSE 8080 8405
# SIGUSR1 is HAProxy's graceful stop: it stops listening and lets requests in flight finish.
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/usr/sbin/haproxy", "-db", "-f", "/etc/remcode/haproxy.cfg"]
