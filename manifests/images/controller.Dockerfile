# The controller: Node.js and its shared libraries on an empty root, like the webapp, and the program
# bundled with its dependencies into one file (bundle.sh). It talks to the Docker socket, which is
# root-equivalent on the host, so it runs as root: run it only on managers, mount the socket only into
# this service, and see docs/controller.md for narrowing that exposure.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE} AS node
COPY manifests/images/node-runtime.sh manifests/images/node-rootfs.sh manifests/images/rootfs.sh /tmp/
RUN sh /tmp/node-runtime.sh && sh /tmp/node-rootfs.sh

FROM scratch
COPY --from=node /rootfs /
WORKDIR /app
# package.json marks the bundle as an ES module.
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/bundle/controller/main.js dist/controller/main.js
# The catalogue lets the controller reject an executor pool's unknown language ids in the cluster too.
COPY --from=build /src/executor/languages/catalogue.yaml executor/languages/catalogue.yaml
ENV PATH=/usr/bin NODE_ENV=production CONTROLLER_HOST=0.0.0.0 CONTROLLER_PORT=9102
EXPOSE 9102
ENTRYPOINT ["/usr/bin/node", "dist/controller/main.js"]
CMD ["run", "-f", "/etc/remcode/remcode.yaml"]
