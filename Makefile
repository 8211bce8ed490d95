# settle: the commands a newcomer needs. Each installs what is missing first.

NODE_MODULES := node_modules/.package-lock.json
# One node process, so that signals reach settle itself, not an npx wrapper.
TSX := node --import tsx

.PHONY: start test bench demo replay token migrate reconcile db-inspect typecheck format format-check build clean

$(NODE_MODULES): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## start: settle on an embedded PostgreSQL (or DATABASE_URL), on PORT (3000)
start: $(NODE_MODULES)
	$(TSX) src/main.ts

## test: the whole suite against a real PostgreSQL (embedded unless DATABASE_URL)
test: $(NODE_MODULES)
	npx tsc --noEmit -p .
	npx vitest run

## bench [SCENARIOS=latency,capacity,burst,throughput,alternatives] [BENCH_SCALE=1]: the benchmarks
bench: $(NODE_MODULES)
	$(TSX) bench/run.ts

## demo: against a running settle, wait on an order and pay it with a real event
demo: $(NODE_MODULES)
	$(TSX) src/cli/demo.ts $(FIXTURE)

## replay FIXTURE=<file> ORDER=<id> [EVENT_ID=evt_…] [AMOUNT=1999 CURRENCY=usd]: one signed event
replay: $(NODE_MODULES)
	@$(TSX) src/cli/replay.ts $(FIXTURE) $(ORDER) $(if $(EVENT_ID),--event-id $(EVENT_ID)) \
		$(if $(AMOUNT),--amount $(AMOUNT)) $(if $(CURRENCY),--currency $(CURRENCY))

## token [USER_ID=<id>]: a bearer token for a user, signed with AUTH_JWT_SECRET or the dev secret
token: $(NODE_MODULES)
	@$(TSX) src/cli/token.ts $(USER_ID)

## migrate: apply sql/ to DATABASE_URL and exit
migrate: $(NODE_MODULES)
	$(TSX) src/cli/migrate.ts

## reconcile: one pass that settles orders whose webhooks never came (DATABASE_URL, STRIPE_SECRET_KEY)
reconcile: $(NODE_MODULES)
	$(TSX) src/cli/reconcile.ts

## db-inspect [PENDING_OLDER_THAN='15 minutes']: triggers, listeners, queue, migrations, orders
db-inspect: $(NODE_MODULES)
	@$(TSX) src/cli/db-inspect.ts

typecheck: $(NODE_MODULES)
	npx tsc --noEmit -p .

format: $(NODE_MODULES)
	npx prettier --write .

format-check: $(NODE_MODULES)
	npx prettier --check .

## build: compile to dist/ for `node dist/main.js`
build: $(NODE_MODULES)
	npx tsc -p tsconfig.build.json

clean:
	rm -rf dist node_modules
