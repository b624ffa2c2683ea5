# The webapp: Node.js and the shared libraries it loads, the program bundled with its dependencies
# into one file (bundle.sh), the browser UI, the migrations and prepare-database (bundled too), which
# applies them; on an empty root (no shell, no package manager, no node_modules); runs as a non-root
# user.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE} AS node
COPY manifests/images/node-runtime.sh manifests/images/node-rootfs.sh manifests/images/rootfs.sh /tmp/
RUN sh /tmp/node-runtime.sh && sh /tmp/node-rootfs.sh

FROM scratch
COPY --from=node /rootfs /
WORKDIR /app
# package.json marks the bundle as an ES module and the folder as the program's root (dist/ui).
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/bundle/webapp/main.js dist/webapp/main.js
COPY --from=build /src/dist/bundle/common/cli/prepare-database.js dist/common/cli/prepare-database.js
COPY --from=build /src/dist/ui dist/ui
# Each bundle looks for the migrations at ../../common/migrations from its own folder.
COPY --from=build /src/common/migrations common/migrations
COPY --from=build /src/common/migrations dist/common/migrations
USER 10001:10001
ENV PATH=/usr/bin NODE_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["/usr/bin/node", "dist/webapp/main.js"]
