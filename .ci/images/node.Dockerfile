# Stand-in for node:24-bookworm-slim: the same paths, user and entrypoint as the official image.
FROM debian:bookworm-slim
ARG NODE_VERSION
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node/bin/ /usr/local/bin/
COPY node/include/ /usr/local/include/
COPY npm/ /usr/local/lib/node_modules/npm/
COPY corepack/ /usr/local/lib/node_modules/corepack/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack
# Outgoing HTTPS on the CI machines passes a proxy with its own CA; only this stand-in knows it.
COPY ca-bundle.crt /usr/local/share/ci-ca-bundle.crt
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/usr/local/share/ci-ca-bundle.crt
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
