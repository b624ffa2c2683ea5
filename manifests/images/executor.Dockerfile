# The executor: Node.js, the language runtimes of executor/languages/catalogue.yaml and the sandbox
# helper. It runs as root inside the container because the sandbox creates namespaces and cgroups;
# the service grants exactly the capabilities it needs (manifests/remcode.yaml, docs/sandbox.md) and
# every submission runs as an unprivileged user inside its own sandbox.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE}
ARG LANGUAGE_PACKAGES="python3 gcc g++ libc6-dev node-typescript default-jdk-headless golang-go rustc ruby php-cli perl lua5.4 mono-mcs mono-runtime"
COPY manifests/images/node-runtime.sh /tmp/node-runtime.sh
# Packages this Debian release lacks are skipped: the catalogue then reports the language unavailable.
# The JDK's post-install step links its man pages, so their folder must exist in a docs-free image.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update -qq \
 && available="" && for p in $LANGUAGE_PACKAGES; do \
      if apt-cache show "$p" >/dev/null 2>&1; then available="$available $p"; else echo "skipping $p: not in this release"; fi; \
    done \
 && sh /tmp/node-runtime.sh $available && rm /tmp/node-runtime.sh
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/common/migrations common/migrations
COPY --from=build /src/executor/languages/catalogue.yaml executor/languages/catalogue.yaml
COPY --from=build /src/executor/sandbox/native/build executor/sandbox/native/build
COPY --from=build /src/executor/sandbox/warm executor/sandbox/warm
ENV NODE_ENV=production EXECUTOR_METRICS_HOST=0.0.0.0
EXPOSE 9101
CMD ["node", "dist/executor/main.js"]
