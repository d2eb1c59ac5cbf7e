#!/usr/bin/env bash
# What this repository's reference stacks add to ci/pulumi-stack.sh (which reads no llm-platform:*
# key of its own): the policy config the stack's tier chooses, and a stop when the runner cannot
# reach the stack's cluster. Prints the environment for ci/pulumi-stack.sh, for $GITHUB_ENV.
#
# usage: reference-stack-env.sh <stack>    (pulumi logged in; PULUMI_ORG qualifies the stack name)
#
# The policy config follows the stack's tier (llm-platform:tier, which Pulumi.yaml requires), not
# its name. On a GitHub-hosted runner (RUNNER_ENVIRONMENT, set by GitHub), a stack whose EKS API
# endpoint is private (llm-platform:cluster.publicAccessCidrs empty, the default) is refused before
# anything runs, since the runner cannot reach it (docs/ci-cd.md); ECS-only stacks have no cluster.
set -euo pipefail

if [[ $# -ne 1 || ! $1 =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "usage: $0 <stack>" >&2
    exit 2
fi
stack=$1
target=$stack
if [[ -n ${PULUMI_ORG:-} ]]; then
    target="$PULUMI_ORG/$stack"
fi
# A stack without the tier: Pulumi.yaml requires it, so the CLI says "Stack '…' is missing
# configuration value(s) … 'llm-platform:tier'" (sdk/go/common/workspace/config.go at v3.248.0),
# or, for an undeclared key, "configuration key 'tier' not found" (the project's namespace dropped,
# pkg/cmd/pulumi/config/io.go PrettyKey). Anything else is said as Pulumi says it.
err=$(mktemp)
if ! tier=$(pulumi config get --stack "$target" llm-platform:tier 2>"$err"); then
    if ! grep -Eq "missing configuration values? .*'(llm-platform:)?tier'|configuration key '(llm-platform:)?tier' not found" "$err"; then
        echo "$stack: pulumi config get llm-platform:tier failed (not logged in, no such stack $target, or another required key missing):" >&2
        cat "$err" >&2
        rm -f "$err"
        exit 2
    fi
    tier=""
fi
rm -f "$err"
case $tier in
staging | prod) ;;
*)
    echo "$stack: llm-platform:tier is \"$tier\"; expected staging or prod (it chooses pack/config/<tier>.json)" >&2
    exit 2
    ;;
esac

if [[ ${RUNNER_ENVIRONMENT:-} == github-hosted ]]; then
    platform=$(pulumi config get --stack "$target" --path llm-platform:serving.platform 2>/dev/null || true)
    if [[ $platform != ecs ]]; then
        cidrs=$(pulumi config get --stack "$target" --path llm-platform:cluster.publicAccessCidrs 2>/dev/null || true)
        if [[ -z $cidrs || $cidrs == "[]" ]]; then
            echo "$stack: the EKS API endpoint is private (llm-platform:cluster.publicAccessCidrs is empty) and this job runs on a GitHub-hosted runner, which cannot reach it." >&2
            echo "Set the repository variable DEPLOY_RUNNER (deploys, promotions, rollbacks) or PREVIEW_RUNNER (pull-request previews: never the deploy runners) to a runner inside the VPC, as JSON: [\"self-hosted\",\"llm-platform\"] (docs/ci-cd.md)." >&2
            exit 2
        fi
    fi
fi

echo "POLICY_PACKS=policies"
echo "POLICY_CONFIGS=pack/config/$tier.json"
