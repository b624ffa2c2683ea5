# Prometheus from Debian, with RemCode's scrape configuration and rules (prometheus/) built in: a
# change to them is a new image, rolled out like any other. Runs as root because swarm discovery reads
# the manager's Docker socket (mounted by the manifest), whose group differs from host to host.
ARG BASE=debian:trixie-slim
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc /usr/share/man
COPY prometheus/prometheus.yml /etc/prometheus/prometheus.yml
COPY prometheus/rules/ /etc/prometheus/rules/
RUN promtool check config /etc/prometheus/prometheus.yml
EXPOSE 9090
VOLUME /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]
