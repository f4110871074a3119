# One command on a fresh clone: `make run` installs the web map's packages when needed
# (npm ci in web/), then builds and starts the server with the Botkyrka demo.
# `make test` is scripts/test. Needs: the Rust toolchain, Node.js 18+ with npm.

.PHONY: run web test

run: web
	cargo run --release -- serve

web: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

test:
	scripts/test
