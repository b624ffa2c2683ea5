# Postgres from Debian: the server, initdb, pg_ctl, psql, createdb, pg_isready, and pg_dump,
# pg_dumpall and pg_restore for backups (docs/operations.md); the libraries they load, the server's
# share files, time zones and the C.UTF-8 locale (with `locale`, which initdb asks for the collations
# to import); setpriv and a BusyBox shell for the entrypoint (initdb and pg_ctl also start programs
# through /bin/sh). All on an empty root. Left out: the JIT (LLVM), Perl and the rest of
# postgresql-common, the other client tools, docs. The cluster is created at first start with the
# password from a Docker secret; the image holds no password and accepts only password (scram) logins
# over the network.
ARG BASE=debian:trixie-slim
FROM ${BASE} AS build
COPY manifests/images/rootfs.sh manifests/images/shell-rootfs.sh /tmp/
# No cluster at install time: the entrypoint creates it in the data volume.
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql busybox-static >/dev/null
RUN set -eu; \
    pg=$(ls -d /usr/lib/postgresql/* | sort -V | tail -n1); \
    version=$(basename "$pg"); \
    modules=$(ls "$pg"/lib/*.so | grep -v '/llvmjit'); \
    sh /tmp/rootfs.sh /rootfs /usr/bin/setpriv /usr/bin/locale $modules; \
    for program in postgres initdb pg_ctl pg_isready psql createdb pg_dump pg_dumpall pg_restore; do sh /tmp/rootfs.sh /rootfs "$pg/bin/$program"; done; \
    sh /tmp/shell-rootfs.sh /rootfs cat chmod chown mkdir mktemp rm; \
    cp --parents -a "/usr/share/postgresql/$version" /usr/share/zoneinfo /usr/lib/locale/C.utf8 /rootfs/; \
    rm -rf "/rootfs/usr/share/postgresql/$version/man"; \
    mkdir -p /rootfs/usr/local/lib /rootfs/var/lib/postgresql /rootfs/run/postgresql; \
    ln -s /run /rootfs/var/run; \
    ln -s "$pg/bin" /rootfs/usr/local/lib/pgbin; \
    grep -E '^(root|postgres):' /etc/passwd >/rootfs/etc/passwd; \
    grep -E '^(root|postgres):' /etc/group >/rootfs/etc/group; \
    cp /etc/nsswitch.conf /rootfs/etc/; \
    chown postgres:postgres /rootfs/var/lib/postgresql /rootfs/run/postgresql

FROM scratch
COPY --from=build /rootfs /
COPY manifests/images/postgres/entrypoint.sh /usr/local/bin/remcode-postgres
# initdb takes its locale from LANG: UTF-8 text in every base, with C collation (no locale data beyond
# C.UTF-8 needed).
ENV LANG=C.UTF-8 PGDATA=/var/lib/postgresql/data PATH=/usr/local/lib/pgbin:/usr/local/bin:/usr/bin:/bin
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/remcode-postgres"]
