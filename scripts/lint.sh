#!/usr/bin/env bash
# lint.sh — part of `npm test`: ESLint (type-aware rules, import boundaries, injected time and
# randomness; eslint.config.js) and Prettier's check of the formatting (.prettierrc.json). Both
# only report: `npm run format` rewrites the files, `npm run lint -- --fix` applies safe fixes.
# Prints `# lint: ok` and `# format: ok`, which .ci/run counts; exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
if node_modules/.bin/eslint --max-warnings 0 "$@" .; then echo "# lint: ok"; else echo "# lint: failed (see above)"; status=1; fi
if node_modules/.bin/prettier --check --log-level warn .; then echo "# format: ok"; else echo "# format: failed: run npm run format"; status=1; fi
exit "$status"
