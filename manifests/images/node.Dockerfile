# A Swarm node for the one-machine test cluster (scripts/cluster-up.sh): Debian's Docker engine inside
# a container. Built on the offline debootstrap base, so it needs only the Debian mirror.
ARG BASE=debian:trixie-slim
FROM ${BASE}
# trixie ships the client apart from the engine; iptables and iproute2 are what dockerd needs for its
# bridge and the overlay networks; procps gives `pgrep` to the entrypoint's stale pid check.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      docker.io docker-cli iptables iproute2 procps ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY manifests/images/node/entrypoint.sh /usr/local/bin/remcode-node
# Docker 26 fails every container start while configuring IPv6 on an interface that has only IPv4.
ENV DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1
VOLUME /var/lib/docker
ENTRYPOINT ["/usr/local/bin/remcode-node"]
