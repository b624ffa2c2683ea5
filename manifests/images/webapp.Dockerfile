# The webapp: Node.js, the compiled program and its production dependencies; runs as a non-root user.
ARG BASE=debian:trixie-slim
ARG BUILD=remcode-build:local
FROM ${BUILD} AS build

FROM ${BASE}
COPY manifests/images/node-runtime.sh /tmp/node-runtime.sh
RUN sh /tmp/node-runtime.sh && rm /tmp/node-runtime.sh && useradd --system --uid 10001 --home-dir /app remcode
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/common/migrations common/migrations
USER 10001
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["node", "dist/webapp/main.js"]
