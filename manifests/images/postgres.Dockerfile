# Postgres from Debian. The cluster is created at first start with the password from a Docker
# secret; the image holds no password and accepts only password (scram) logins over the network.
ARG BASE=debian:trixie-slim
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && ln -s "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)" /usr/local/lib/pgbin
COPY manifests/images/postgres/entrypoint.sh /usr/local/bin/remcode-postgres
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/local/lib/pgbin:$PATH
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/remcode-postgres"]
