# The controller. It talks to the Docker socket, which is root-equivalent on the host: run it only on
# managers, mount the socket only into this service, and see docs/controller.md for narrowing it.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE}
COPY manifests/images/node-runtime.sh /tmp/node-runtime.sh
RUN sh /tmp/node-runtime.sh && rm /tmp/node-runtime.sh
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
ENV NODE_ENV=production CONTROLLER_HOST=0.0.0.0 CONTROLLER_PORT=9102
EXPOSE 9102
ENTRYPOINT ["node", "dist/controller/main.js"]
CMD ["run", "-f", "/etc/remcode/remcode.yaml"]
