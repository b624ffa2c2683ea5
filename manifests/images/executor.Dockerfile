# The executor of one pool: Node.js, the language runtimes of that pool's catalogue entries and the
# sandbox helper. build.sh builds one image per pool of the manifest, passing the Debian packages the
# catalogue lists for the pool's languages (executor/languages/catalogue.yaml, `packages`), so an image
# holds only the languages it serves. It runs as root inside the container because the sandbox creates
# namespaces and cgroups; the service grants exactly the capabilities it needs (manifests/remcode.yaml,
# docs/sandbox.md) and every submission runs as an unprivileged user inside its own sandbox.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE} AS runtime
# The default: the fourteen languages of the catalogue before pools, for a build without build.sh.
ARG LANGUAGE_PACKAGES="python3 gcc g++ libc6-dev node-typescript default-jdk-headless golang-go rustc ruby php-cli perl lua5.4 mono-mcs mono-runtime"
COPY manifests/images/node-runtime.sh /tmp/node-runtime.sh
# Packages this Debian release lacks are skipped: the catalogue then reports the language unavailable,
# and an executor asked to serve it refuses to start. Documentation, manual pages and translations are
# never unpacked (dpkg path filters, the copyright files kept): they are a tenth of a toolchain's size
# and no sandboxed program reads them. The JDK's post-install step links its man pages, so their folder
# must exist in a docs-free image.
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*' \
      'path-exclude=/usr/share/lintian/*' >/etc/dpkg/dpkg.cfg.d/remcode-no-docs \
 && mkdir -p /usr/share/man/man1 \
 && apt-get update -qq \
 && available="" && for p in $LANGUAGE_PACKAGES; do \
      if apt-cache show "$p" >/dev/null 2>&1; then available="$available $p"; else echo "skipping $p: not in this release"; fi; \
    done \
 && sh /tmp/node-runtime.sh $available && rm /tmp/node-runtime.sh
# Class data sharing archives for the JVM tools of the catalogue (javac, scalac, kotlinc, Groovy), made
# from one real compile or run by the same script the host's setup runs: a JVM pool's compiles start
# in about half the time. A pool without a JDK skips it at once.
COPY scripts/setup.d/31-jvm-archives.sh /tmp/jvm-archives.sh
RUN bash /tmp/jvm-archives.sh && rm /tmp/jvm-archives.sh
# What no run and no executor uses, removed before the tree is copied into one layer below (so the
# base image's share goes too): the package managers and their state (but dpkg's list of installed
# packages, a few hundred KB, which version probes read where a tool prints no version of its own,
# such as Brainfuck's beef), translations, documentation and the binutils profiler. Three parts of GCC
# go too unless the pool keeps them (GCC_EXTRAS, from the pool's `gcc_extras:`): glibc's static C and
# maths libraries (`static`; -static fails without them, while the small archives a dynamic link reads,
# libc_nonshared.a and the empty -lpthread and -ldl stubs, always stay; 11 MB), the sanitizer runtimes
# (`sanitizers`, 41 MB; -fsanitize) and the link-time optimiser with its dump tool (`lto`, 66 MB; -flto).
# Declared here, so pools that differ only in extras share the install layers above.
ARG GCC_EXTRAS=""
RUN set -e; extras=",${GCC_EXTRAS},"; \
    for extra in $(echo "$GCC_EXTRAS" | tr , ' '); do \
      case $extra in static | sanitizers | lto) ;; *) echo "unknown GCC extra: $extra" >&2; exit 64 ;; esac; \
    done; \
    drop=""; \
    case $extras in *,static,*) ;; *) drop="$drop /usr/lib/*-linux-gnu/libc.a /usr/lib/*-linux-gnu/libm-*.a /usr/lib/*-linux-gnu/libmvec.a" ;; esac; \
    case $extras in *,sanitizers,*) ;; *) drop="$drop /usr/lib/*-linux-gnu/lib*san.so* /usr/lib/gcc/*/*/lib*san*" ;; esac; \
    case $extras in *,lto,*) ;; *) drop="$drop /usr/bin/*lto-dump* /usr/libexec/gcc/*/*/lto1" ;; esac; \
    rm -rf /usr/share/locale/* /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian \
      /var/lib/apt /var/cache/* /var/log/* /etc/apt /usr/lib/apt /usr/bin/apt* \
      /usr/lib/*-linux-gnu/libapt-* \
      /usr/bin/gprofng* /usr/lib/*-linux-gnu/gprofng /usr/lib/*-linux-gnu/libgprofng* \
      $drop \
 && find /var/lib/dpkg -mindepth 1 -maxdepth 1 ! -name status -exec rm -rf {} +
FROM scratch
COPY --from=runtime / /
# The pool and its language ids: the executor serves exactly these unless its service says otherwise.
# Declared here, not above, so that pools with the same packages share the install layer.
ARG POOL=default
ARG LANGUAGES=""
ARG GCC_EXTRAS=""
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/common/migrations common/migrations
COPY --from=build /src/executor/languages/catalogue.yaml executor/languages/catalogue.yaml
COPY --from=build /src/executor/sandbox/native/build executor/sandbox/native/build
COPY --from=build /src/executor/sandbox/warm executor/sandbox/warm
LABEL dev.remcode.pool=${POOL} dev.remcode.languages=${LANGUAGES} dev.remcode.gcc-extras=${GCC_EXTRAS}
# No EXECUTOR_METRICS_HOST: its default is already 0.0.0.0, and a stack that names
# EXECUTOR_METRICS_SUBNET instead must not find a host set for it as well.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production EXECUTOR_POOL=${POOL} EXECUTOR_LANGUAGES=${LANGUAGES}
EXPOSE 9101
# On cgroup v1 the executor runs in cgroup, PID and mount namespaces of its own, so a cgroup hierarchy
# mounted afresh from inside shows no release_agent (executor/sandbox/native/init.c, docs/sandbox.md).
# A command given to `docker run` goes through it too; without CAP_SYS_ADMIN it runs the command as is.
ENTRYPOINT ["/app/executor/sandbox/native/build/remcode-init"]
CMD ["node", "dist/executor/main.js"]
