#!/usr/bin/env bash
# Runs Pulumi for one stack in CI, with the stack's policy config and its credentials.
#
# usage: pulumi-stack.sh <preview|up|promote|rollback> <staging|prod> [model]
#
# promote and rollback release one model (the third argument) or, without it, every model of the
# stack in turn (promote --all; rollback needs the model when the stack serves several). promote
# also reads PROMOTE_IMAGE and PROMOTE_MODEL_VERSION (a new release for the model, optional).
#
# Environment: PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL (a self-managed backend);
# PULUMI_ORG to qualify the stack name on Pulumi Cloud; ESC_ENVIRONMENT to run under an ESC
# environment's credentials (`pulumi env run`), otherwise the AWS credentials already in the
# environment (the configure-aws-credentials step) are used. RUNNER_ENVIRONMENT (set by GitHub:
# github-hosted or self-hosted): on a GitHub-hosted runner, a stack whose EKS API endpoint is
# private is refused before anything runs, since the runner cannot reach it (README, "CI/CD").
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 <preview|up|promote|rollback> <staging|prod> [model]" >&2
    exit 2
fi
action=$1
stack=$2
model=${3:-}
if [[ -n $model && ! $model =~ ^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$ ]]; then
    echo "model: expected a model name from llm-platform:models, received \"$model\"" >&2
    exit 2
fi
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
# The policy config follows the stack's tier (llm-platform:tier, required by Pulumi.yaml), not its name.
tier=$(pulumi config get --stack "$target" llm-platform:tier 2>/dev/null || true)
case $tier in
staging | prod) ;;
*)
    echo "$stack: llm-platform:tier is \"$tier\"; expected staging or prod (it chooses pack/config/<tier>.json)" >&2
    exit 2
    ;;
esac
policy=(--policy-pack policies --policy-pack-config "pack/config/$tier.json")

# Stops at once when this runner cannot reach the stack's cluster: a GitHub-hosted runner and an
# EKS API endpoint without public access (llm-platform:cluster.publicAccessCidrs empty, the
# default). ECS-only stacks have no cluster.
check_runner_reaches_cluster() {
    [[ ${RUNNER_ENVIRONMENT:-} == github-hosted ]] || return 0
    local platform cidrs
    platform=$(pulumi config get --stack "$target" --path llm-platform:serving.platform 2>/dev/null || true)
    [[ $platform == ecs ]] && return 0
    cidrs=$(pulumi config get --stack "$target" --path llm-platform:cluster.publicAccessCidrs 2>/dev/null || true)
    if [[ -z $cidrs || $cidrs == "[]" ]]; then
        echo "$stack: the EKS API endpoint is private (llm-platform:cluster.publicAccessCidrs is empty) and this job runs on a GitHub-hosted runner, which cannot reach it." >&2
        echo "Set the repository variable DEPLOY_RUNNER to a runner inside the VPC, as JSON: [\"self-hosted\",\"llm-platform\"] (README, CI/CD)." >&2
        exit 2
    fi
}

with_credentials() {
    if [[ -n ${ESC_ENVIRONMENT:-} ]]; then
        pulumi env run "$ESC_ENVIRONMENT" -- "$@"
    else
        "$@"
    fi
}

case $action in
preview | up | promote | rollback) check_runner_reaches_cluster ;;
esac

# Runs a Pulumi command again while another update of the stack holds its lock (a manual release
# or rollback, which are not in the deploy's concurrency group): the CLI's conflict messages, as
# the Automation API matches them (sdk/nodejs/automation/errors.ts at v3.248.0). Every
# STACK_LOCK_POLL_SECONDS (20) for up to STACK_LOCK_WAIT_SECONDS (1800); other failures at once.
wait_for_stack_lock() {
    local log status deadline
    log=$(mktemp)
    deadline=$((SECONDS + ${STACK_LOCK_WAIT_SECONDS:-1800}))
    while true; do
        status=0
        "$@" 2>&1 | tee "$log" || status=$?
        if [[ $status -eq 0 ]]; then
            rm -f "$log"
            return 0
        fi
        if ! grep -q -e "Conflict: Another update is currently in progress" -e "the stack is currently locked by" "$log" ||
            ((SECONDS >= deadline)); then
            rm -f "$log"
            return "$status"
        fi
        echo "$stack: another update of the stack is in progress; trying again in ${STACK_LOCK_POLL_SECONDS:-20} s"
        sleep "${STACK_LOCK_POLL_SECONDS:-20}"
    done
}

# A promotion or rollback sets the model's keys (activeColor, a release) in this checkout's stack
# file only, and the next deploy applies the file from main: show the change and ask for it to be
# committed (in the log and the job summary).
report_config_changes() {
    local file="Pulumi.$stack.yaml" diff
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
    diff=$(git diff -- "$file" 2>/dev/null) || return 0
    [[ -n $diff ]] || return 0
    echo "::warning::$file changed on this runner: commit it to main, or the next deploy puts the previous colour back"
    echo "$diff"
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
        {
            echo "### Commit this change to \`$file\`"
            echo
            echo "The next deploy applies the file from main; without it, it puts the previous colour back."
            echo
            echo '```diff'
            echo "$diff"
            echo '```'
        } >>"$GITHUB_STEP_SUMMARY"
    fi
}

case $action in
preview)
    with_credentials pulumi preview --stack "$target" --diff --non-interactive "${policy[@]}"
    ;;
up)
    wait_for_stack_lock with_credentials pulumi up --stack "$target" --yes --non-interactive --skip-preview "${policy[@]}"
    ;;
promote)
    # Deploys the inactive colour, smoke-tests it, holds it to the quality gate, flips, verifies;
    # rolls back on failure. The gate's reports (out/quality-gate/gate-<model>.{json,md}) are added
    # to the job's summary whatever the outcome.
    release=()
    [[ -n ${PROMOTE_IMAGE:-} ]] && release+=(--image "$PROMOTE_IMAGE")
    [[ -n ${PROMOTE_MODEL_VERSION:-} ]] && release+=(--model-version "$PROMOTE_MODEL_VERSION")
    which=(--all)
    if [[ -n $model ]]; then
        which=(--model "$model")
    elif [[ ${#release[@]} -gt 0 ]]; then
        echo "PROMOTE_IMAGE and PROMOTE_MODEL_VERSION are one model's release: name the model" >&2
        exit 2
    fi
    status=0
    with_credentials npm run promote -- --stack "$target" "${which[@]}" "${release[@]}" --report out/quality-gate || status=$?
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
        for gate in out/quality-gate/*.md; do
            [[ -f $gate ]] && cat "$gate" >>"$GITHUB_STEP_SUMMARY"
        done
    fi
    report_config_changes
    exit "$status"
    ;;
rollback)
    status=0
    if [[ -n $model ]]; then
        with_credentials npm run promote -- --stack "$target" --model "$model" --rollback || status=$?
    else
        with_credentials npm run promote -- --stack "$target" --rollback || status=$?
    fi
    report_config_changes
    exit "$status"
    ;;
*)
    echo "unknown action: $action (expected preview, up, promote or rollback)" >&2
    exit 2
    ;;
esac
