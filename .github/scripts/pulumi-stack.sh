#!/usr/bin/env bash
# Runs Pulumi for one stack in CI, with the stack's policy config and its credentials.
#
# usage: pulumi-stack.sh <preview|up|promote|rollback> <staging|prod>
#
# Environment: PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL (a self-managed backend);
# PULUMI_ORG to qualify the stack name on Pulumi Cloud; ESC_ENVIRONMENT to run under an ESC
# environment's credentials (`pulumi env run`), otherwise the AWS credentials already in the
# environment (the configure-aws-credentials step) are used.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <preview|up|promote|rollback> <staging|prod>" >&2
    exit 2
fi
action=$1
stack=$2
case $stack in
staging | prod) ;;
*)
    echo "unknown stack: $stack (expected staging or prod)" >&2
    exit 2
    ;;
esac

if [[ -n ${PULUMI_BACKEND_URL:-} ]]; then
    pulumi login "$PULUMI_BACKEND_URL"
fi
target=$stack
if [[ -n ${PULUMI_ORG:-} ]]; then
    target="$PULUMI_ORG/$stack"
fi
policy=(--policy-pack policies --policy-pack-config "policies/config/$stack.json")

with_credentials() {
    if [[ -n ${ESC_ENVIRONMENT:-} ]]; then
        pulumi env run "$ESC_ENVIRONMENT" -- "$@"
    else
        "$@"
    fi
}

case $action in
preview)
    with_credentials pulumi preview --stack "$target" --diff --non-interactive "${policy[@]}"
    ;;
up)
    with_credentials pulumi up --stack "$target" --yes --non-interactive --skip-preview "${policy[@]}"
    ;;
promote)
    # Deploys the inactive colour, smoke-tests it, flips, verifies; rolls back on failure.
    with_credentials npm run promote -- --stack "$target"
    ;;
rollback)
    with_credentials npm run promote -- --stack "$target" --rollback
    ;;
*)
    echo "unknown action: $action (expected preview, up, promote or rollback)" >&2
    exit 2
    ;;
esac
