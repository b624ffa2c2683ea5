# Redis from Debian. The password comes from a Docker secret at start; the image holds none.
ARG BASE=debian:trixie-slim
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY manifests/images/redis/entrypoint.sh /usr/local/bin/remcode-redis
COPY manifests/images/redis/health.sh /usr/local/bin/remcode-redis-health
COPY manifests/images/redis/users.acl /usr/local/share/remcode-redis/users.acl
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/remcode-redis"]
