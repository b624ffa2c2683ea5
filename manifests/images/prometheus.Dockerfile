# Prometheus from Debian, with RemCode's scrape configuration and rules (prometheus/) built in: a
# change to them is a new image, rolled out like any other. The runtime holds the prometheus program
# (a Go binary that loads only libc), its web assets and BusyBox's wget for the healthcheck, on an
# empty root; promtool (as large again) checks the configuration at build time and stays behind. Runs
# as root because swarm discovery reads the manager's Docker socket (mounted by the manifest), whose
# group differs from host to host.
ARG BASE=debian:trixie-slim
FROM ${BASE} AS build
COPY manifests/images/rootfs.sh manifests/images/shell-rootfs.sh /tmp/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus busybox-static >/dev/null
COPY prometheus/prometheus.yml /rootfs/etc/prometheus/prometheus.yml
COPY prometheus/rules/ /rootfs/etc/prometheus/rules/
RUN promtool check config /rootfs/etc/prometheus/prometheus.yml \
 && sh /tmp/rootfs.sh /rootfs /usr/bin/prometheus \
 && sh /tmp/shell-rootfs.sh /rootfs wget \
 && cp --parents -a /usr/share/prometheus/web /rootfs/ \
 && grep -E '^root:' /etc/passwd >/rootfs/etc/passwd \
 && grep -E '^root:' /etc/group >/rootfs/etc/group \
 && cp /etc/nsswitch.conf /rootfs/etc/ \
 && mkdir -p /rootfs/prometheus

FROM scratch
COPY --from=build /rootfs /
ENV PATH=/usr/bin:/bin
EXPOSE 9090
VOLUME /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]
