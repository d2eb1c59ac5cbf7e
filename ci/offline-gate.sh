#!/usr/bin/env bash
# The offline half of a pull request's checks for any Pulumi project that installs llm-platform,
# with no cloud credentials (so forks get it too): for each stack, the plan of the head and of the
# base checkout, the policy gate (SARIF for code scanning, JSON for the comment), and the
# pull-request comment built from them.
#
# usage: offline-gate.sh <head-dir> <base-dir> <out-dir> <stack>...
#
# <head-dir> and <base-dir> are the project folder (the one holding Pulumi.yaml) of each checkout,
# both installed. Environment:
#   LLM_PLATFORM    the command that runs llm-platform in a checkout (default: npx --no-install llm-platform)
#   POLICY_PACKS    policy pack folders, one a line, relative to <head-dir> (default: the production pack)
#   POLICY_CONFIGS  their policy configs, one a line and one per pack, relative to <head-dir>; {stack}
#                   in a path is the stack's name (default: none, or the stack's "tier" output's)
#   HEAD_SHA, BASE_SHA  named in the comment's footer
# Exit 0 when no stack has a mandatory violation, 1 when one has, 2 on unusable input, 3 when the
# gate itself failed. Every file it writes is in <out-dir> (<stack>.sarif under <out-dir>/sarif),
# even when the gate fails.
set -euo pipefail

if [[ $# -lt 4 ]]; then
    echo "usage: $0 <head-dir> <base-dir> <out-dir> <stack>..." >&2
    exit 2
fi
head_dir=$(cd "$1" && pwd)
base_dir=$2
mkdir -p "$3/sarif"
out=$(cd "$3" && pwd)
shift 3
read -r -a cli <<<"${LLM_PLATFORM:-npx --no-install llm-platform}"

packs=()
while IFS= read -r line; do [[ -n $line ]] && packs+=("$line"); done <<<"${POLICY_PACKS:-}"
configs=()
while IFS= read -r line; do [[ -n $line ]] && configs+=("$line"); done <<<"${POLICY_CONFIGS:-}"
if [[ ${#configs[@]} -gt 0 && ${#configs[@]} -ne ${#packs[@]} && ! (${#packs[@]} -eq 0 && ${#configs[@]} -eq 1) ]]; then
    echo "POLICY_CONFIGS: give one config per pack (${#packs[@]} packs), one a line, or none" >&2
    exit 2
fi

status=0
for stack in "$@"; do
    if [[ ! $stack =~ ^[A-Za-z0-9_.-]+$ ]]; then
        echo "not a stack name: $stack" >&2
        exit 2
    fi
    echo "::group::$stack: plan"
    (cd "$head_dir" && "${cli[@]}" plan --stack "$stack" --json "$out/head-$stack.json") >"$out/plan-$stack.txt"
    tail -n 12 "$out/plan-$stack.txt"
    rm -f "$out/base-$stack.json"
    if [[ -f "$base_dir/Pulumi.$stack.yaml" ]]; then
        if ! (cd "$base_dir" && "${cli[@]}" plan --stack "$stack" --json "$out/base-$stack.json") >/dev/null; then
            echo "::warning::the base branch's $stack plan failed; the comment shows $stack as new"
            rm -f "$out/base-$stack.json"
        fi
    fi
    echo "::endgroup::"

    echo "::group::$stack: policy gate"
    gate=()
    for pack in "${packs[@]}"; do gate+=(--pack "$pack"); done
    for config in "${configs[@]}"; do gate+=(--config "${config//\{stack\}/$stack}"); done
    rc=0
    (cd "$head_dir" && "${cli[@]}" policy --file "$out/head-$stack.json" "${gate[@]}" \
        --sarif "$out/sarif/$stack.sarif" --json "$out/policy-$stack.json") || rc=$?
    echo "::endgroup::"
    if [[ $rc -eq 2 ]]; then
        echo "::error::the policy gate refused its input for $stack (exit 2: arguments, plan or policy config)"
        exit 2
    fi
    if [[ $rc -ge 3 ]]; then
        echo "::error::the gate failed on $stack (exit $rc): not a policy verdict; see the log above"
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
(cd "$head_dir" && "${cli[@]}" comment --dir "$out" --stacks "$stacks" --output "$out/comment.md" --footer "$footer")
exit "$status"
