#!/usr/bin/env bash
# The offline half of a pull request's checks, with no cloud credentials (so forks get it too):
# for each stack, the plan of the head and of the base branch, the policy gate (SARIF for code
# scanning, JSON for the comment), and the pull-request comment built from them.
#
# usage: offline-gate.sh <head-dir> <base-dir> <out-dir> <stack>...
# Both checkouts must have had `npm ci`. Exit 0 when no stack has a mandatory violation, 1 when
# one has, 2 on unusable input, 3 when the gate itself failed. Every file it writes is in
# <out-dir>, even when the gate fails.
set -euo pipefail

if [[ $# -lt 4 ]]; then
    echo "usage: $0 <head-dir> <base-dir> <out-dir> <stack>..." >&2
    exit 2
fi
head_dir=$(cd "$1" && pwd)
base_dir=$2
mkdir -p "$3"
out=$(cd "$3" && pwd)
shift 3

status=0
for stack in "$@"; do
    if [[ ! $stack =~ ^[A-Za-z0-9_.-]+$ ]]; then
        echo "not a stack name: $stack" >&2
        exit 2
    fi
    echo "::group::$stack: plan"
    (cd "$head_dir" && npm run --silent plan -- --stack "$stack" --json "$out/head-$stack.json") >"$out/plan-$stack.txt"
    tail -n 12 "$out/plan-$stack.txt"
    rm -f "$out/base-$stack.json"
    if [[ -f "$base_dir/Pulumi.$stack.yaml" ]]; then
        if ! (cd "$base_dir" && npm run --silent plan -- --stack "$stack" --json "$out/base-$stack.json") >/dev/null; then
            echo "::warning::the base branch's $stack plan failed; the comment shows $stack as new"
            rm -f "$out/base-$stack.json"
        fi
    fi
    echo "::endgroup::"

    echo "::group::$stack: policy gate"
    # The gate takes the policy config from the plan's tier (the Stack's "tier" output).
    rc=0
    (cd "$head_dir" && npm run --silent policy -- --file "$out/head-$stack.json" \
        --sarif "$out/policy-$stack.sarif" --json "$out/policy-$stack.json") || rc=$?
    echo "::endgroup::"
    if [[ $rc -eq 2 ]]; then
        echo "::error::the policy gate refused its input for $stack (exit 2: arguments, plan or policy config)"
        exit 2
    fi
    if [[ $rc -ge 3 ]]; then
        echo "::error::the policy gate failed on $stack (exit $rc): not a policy verdict"
        exit 3
    fi
    if [[ $rc -eq 1 ]]; then
        echo "::error::$stack has mandatory policy violations"
        status=1
    fi
done

footer="Offline engine and policy gate: no cloud calls, every resource planned from the stack files."
if [[ -n ${HEAD_SHA:-} && -n ${BASE_SHA:-} ]]; then
    footer="$footer Head ${HEAD_SHA:0:12} against base ${BASE_SHA:0:12}."
fi
stacks=$(IFS=,; echo "$*")
(cd "$head_dir" && npm run --silent comment -- --dir "$out" --stacks "$stacks" --output "$out/comment.md" --footer "$footer")
exit "$status"
