# Shared build stage of the three RemCode programs: installs every npm dependency, compiles the
# TypeScript, the browser UI and the sandbox helper once, bundles the webapp and the controller, then
# drops the dev dependencies. The webapp, executor and controller images copy from it, so none of them
# carries a compiler or dev tools.
ARG BASE=debian:trixie-slim
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm make gcc libc6-dev ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .build-ca.pem ./
RUN if [ -s .build-ca.pem ]; then npm config set cafile /src/.build-ca.pem; fi \
 && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run -s build && if npm run | grep -q '^  build:ui$'; then npm run -s build:ui; fi
# The webapp (with prepare-database, the migration step) and the controller ship as bundled files
# (bundle.sh); esbuild is a dev dependency.
RUN sh manifests/images/bundle.sh webapp/main.ts common/cli/prepare-database.ts controller/main.ts
RUN npm prune --omit=dev --no-audit --no-fund --loglevel=error
