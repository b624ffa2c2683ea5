# The webapp: Node.js and the shared libraries it loads, the compiled program and its production
# dependencies, on an empty root (no shell, no package manager); runs as a non-root user.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE} AS node
COPY manifests/images/node-runtime.sh manifests/images/node-rootfs.sh /tmp/
RUN sh /tmp/node-runtime.sh && sh /tmp/node-rootfs.sh

FROM scratch
COPY --from=node /rootfs /
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/common/migrations common/migrations
USER 10001:10001
ENV PATH=/usr/bin NODE_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["/usr/bin/node", "dist/webapp/main.js"]
