#!/usr/bin/env bash
# Runs Pulumi for one stack of any project that installs llm-platform, in CI, with its policy packs
# and its credentials, from the project folder (the one holding Pulumi.yaml).
#
# usage: pulumi-stack.sh <preview|deploy|up|promote|rollback|recover> <stack> [model]
#
# deploy is what a push to main runs (llm-platform deploy): `pulumi up` keeping each model's serving
# colour as the stack has it, then the promotion of each model whose inactive colour the commit
# gives a new release; a second run of the same commit changes nothing. up is `pulumi up` alone.
# promote and rollback release one model (the third argument, as the stack's llmPlatformReleases
# output names it) or, without it, every model of the stack in turn (promote --all; rollback needs
# the model when the stack serves several). promote also reads PROMOTE_IMAGE and
# PROMOTE_MODEL_VERSION (a new release for the model, optional). recover finishes or undoes what a
# cancelled job's release left unfinished (promote --recover, for the model or every model): the
# workflows run it in a step of their own once the job is cancelled.
#
# A cancelled job's step gets SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that
# (GitHub, "Workflow cancellation reference"), each sent to the step's own shell alone (actions/
# runner, ProcessInvoker.cs): what it started runs on until the job ends. So the workflows `exec`
# this script, and at the first signal it stops llm-platform itself (its pid, which the CLI writes
# to LLM_PLATFORM_PID_FILE) with two signals, its "stop at once": the CLI cancels its `pulumi up`
# gracefully and stops, keeping its journal. Wrappers between (npm, `pulumi env run`) are left
# alone: they would die of a signal and cut the CLI's output. recover, the next step, waits for
# that to end (RECOVER_WAIT_SECONDS, 90), ends whatever is left of it (its process group, kept in
# $RUNNER_TEMP/llm-platform-release.pgid), then finishes or undoes the release, waiting at most
# RECOVER_LOCK_WAIT_SECONDS (60) for the stack and RECOVER_DRAIN_SECONDS (30) for the old colour's
# streams: the runner ends a cancelled job 285 s on (actions/runner, JobDispatcher.cs).
#
# Environment:
#   POLICY_PACKS    policy pack folders, one a line (default: the production pack of llm-platform)
#   POLICY_CONFIGS  their policy configs, one a line and one per pack (default: none)
#   LLM_PLATFORM    the command that runs llm-platform (default: npx --no-install llm-platform)
#   PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL (a self-managed backend, with
#   PULUMI_CONFIG_PASSPHRASE unless the stack file names a KMS secrets provider); PULUMI_ORG to
#   qualify the stack name on Pulumi Cloud; ESC_ENVIRONMENT to run under an ESC environment's
#   credentials (`pulumi env run`), otherwise the credentials already in the environment.
#   LLM_PLATFORM_STATE_DIR  where promote and deploy keep their release journals and locks: a
#   folder every deploy runner shares and that outlives the job (docs/releasing.md, "A release is a
#   transaction"); unset, the checkout, which CI cleans. STACK_LOCK_POLL_SECONDS (20) and
#   STACK_LOCK_WAIT_SECONDS (1800): how long promote and deploy wait for another update too.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 <preview|deploy|up|promote|rollback|recover> <stack> [model]" >&2
    exit 2
fi
action=$1
stack=$2
model=${3:-}
if [[ ! $stack =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "stack: expected a stack name (letters, digits, '_', '.', '-'), received \"$stack\"" >&2
    exit 2
fi
if [[ -n $model && ! $model =~ ^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$ ]]; then
    echo "model: expected a model name of the stack's llmPlatformReleases output, received \"$model\"" >&2
    exit 2
fi
case $action in
preview | deploy | up | promote | rollback | recover) ;;
*)
    echo "unknown action: $action (expected preview, deploy, up, promote, rollback or recover)" >&2
    exit 2
    ;;
esac
read -r -a cli <<<"${LLM_PLATFORM:-npx --no-install llm-platform}"

packs=()
while IFS= read -r line; do [[ -n $line ]] && packs+=("$line"); done <<<"${POLICY_PACKS:-}"
[[ ${#packs[@]} -gt 0 ]] || packs=(node_modules/llm-platform/pack)
configs=()
while IFS= read -r line; do [[ -n $line ]] && configs+=("$line"); done <<<"${POLICY_CONFIGS:-}"
if [[ ${#configs[@]} -gt 0 && ${#configs[@]} -ne ${#packs[@]} ]]; then
    echo "POLICY_CONFIGS: give one config per pack (${#packs[@]} packs: ${packs[*]}), one a line, or none" >&2
    exit 2
fi
pulumi_policy=()
promote_policy=()
for pack in "${packs[@]}"; do
    pulumi_policy+=(--policy-pack "$pack")
    promote_policy+=(--pack "$pack")
done
for config in "${configs[@]}"; do
    pulumi_policy+=(--policy-pack-config "$config")
    promote_policy+=(--config "$config")
done

# A self-managed backend (s3://, gs://, azblob://, file://) encrypts a stack's secrets with a
# passphrase unless the stack file names another provider (secretsprovider: awskms://…). GitHub
# passes a missing secret as an empty value, which Pulumi would take for a wrong passphrase: say
# what is missing before anything runs.
[[ -n ${PULUMI_CONFIG_PASSPHRASE:-} ]] || unset PULUMI_CONFIG_PASSPHRASE
if [[ ${PULUMI_BACKEND_URL:-} =~ ^(s3|gs|azblob|file):// && -z ${PULUMI_CONFIG_PASSPHRASE:-} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
    provider=$(sed -n 's/^secretsprovider: *//p' "Pulumi.$stack.yaml" 2>/dev/null | head -n 1)
    if [[ -z $provider || $provider == passphrase ]]; then
        echo "stack $stack: the self-managed backend ${PULUMI_BACKEND_URL%%://*}:// keeps its secrets with a passphrase (Pulumi.$stack.yaml names no other secretsprovider), and PULUMI_CONFIG_PASSPHRASE is not set: add it as a secret of the job's environment, or move the stack to a KMS key (pulumi stack change-secrets-provider --stack $stack awskms://alias/<key>)" >&2
        exit 2
    fi
fi

if [[ -n ${PULUMI_BACKEND_URL:-} ]]; then
    pulumi login "$PULUMI_BACKEND_URL"
fi
target=$stack
if [[ -n ${PULUMI_ORG:-} ]]; then
    target="$PULUMI_ORG/$stack"
fi

# Runs "$@" in a process group of its own and returns its status once it has exited; the first
# SIGINT or SIGTERM (the runner signals this shell alone) stops llm-platform at once (see above),
# or, before the CLI has started, interrupts the group. The group's shell handles the signals (a
# handled signal is reset in its children, an ignored one would be inherited), and so outlives
# them to report the status.
forward_signals() {
    local pid status stopping=""
    LLM_PLATFORM_PID_FILE=$(mktemp)
    export LLM_PLATFORM_PID_FILE
    set -m
    (
        set +m
        trap : INT TERM
        "$@"
    ) &
    pid=$!
    set +m
    [[ -z ${RUNNER_TEMP:-} ]] || echo "$pid" >"$RUNNER_TEMP/llm-platform-release.pgid"
    trap 'stop_release "$pid"' INT TERM
    status=0
    while true; do
        wait "$pid" && status=0 || status=$?
        kill -0 "$pid" 2>/dev/null || break
    done
    trap - INT TERM
    rm -f "$LLM_PLATFORM_PID_FILE"
    return "$status"
}

# The first signal's work for forward_signals (whose locals it sees): once.
stop_release() {
    [[ -z $stopping ]] || return 0
    stopping=1
    local cli
    cli=$(cat "$LLM_PLATFORM_PID_FILE" 2>/dev/null || true)
    if [[ $cli =~ ^[0-9]+$ ]] && kill -0 "$cli" 2>/dev/null; then
        echo "stopping llm-platform (process $cli) at once: it cancels its update and keeps its journal"
        kill -INT "$cli" 2>/dev/null || true
        kill -TERM "$cli" 2>/dev/null || true
        return 0
    fi
    # `up`: the Pulumi CLI's own update, cancelled gracefully by one SIGINT (not its wrappers).
    local ups=()
    mapfile -t ups < <(pgrep -g "$1" -f '(^|/)pulumi up( |$)' || true)
    if [[ ${#ups[@]} -gt 0 ]]; then
        echo "cancelling pulumi up (process ${ups[*]}): it finishes the steps under way"
        kill -INT "${ups[@]}" 2>/dev/null || true
    else
        kill -INT -- "-$1" 2>/dev/null || true
    fi
}

# tee for a command's log, deaf to the signals meant for the command: it copies the command's last
# lines (what serves, how to recover) after a Ctrl-C or a cancel, and outlives the job log it
# writes to (the runner stops reading it 5 s after the step's shell is killed): with SIGPIPE
# ignored and -p, it keeps reading the command's output (the Pulumi CLI would die writing to a
# closed pipe) and writing the log file.
log_to() {
    trap '' INT TERM PIPE
    exec tee -p "$1"
}

with_credentials() {
    if [[ -n ${ESC_ENVIRONMENT:-} ]]; then
        pulumi env run "$ESC_ENVIRONMENT" -- "$@"
    else
        "$@"
    fi
}

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
        "$@" 2>&1 | log_to "$log" || status=$?
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

# A manual release (promote with an image or model version) lives on this runner alone: promote
# prints what to commit ("commit this release: pulumi config set …"), so that the stack file says
# what serves. Said in the log and the job summary.
report_release_to_commit() {
    local lines
    lines=$(grep '^commit this release: ' "$1" || true)
    [[ -n $lines ]] || return 0
    echo "::warning::record the release in Pulumi.$stack.yaml and commit it (the job summary has the commands), so that the stack file says what serves"
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
        {
            echo "### Commit this release to \`Pulumi.$stack.yaml\`"
            echo
            echo "It serves now. Record it so that the stack file says what serves (a deploy refuses a file whose model's own release object names another release for the serving colour): run, then commit the file:"
            echo
            echo '```sh'
            echo "${lines//commit this release: /}"
            echo '```'
        } >>"$GITHUB_STEP_SUMMARY"
    fi
}

# The quality gate's reports (out/quality-gate/gate-<model>.md) in the job's summary, whatever the outcome.
add_gate_reports() {
    [[ -n ${GITHUB_STEP_SUMMARY:-} ]] || return 0
    for gate in out/quality-gate/*.md; do
        [[ -f $gate ]] && cat "$gate" >>"$GITHUB_STEP_SUMMARY"
    done
    return 0
}

case $action in
preview)
    # What deploy would do: `pulumi preview --diff --refresh --color never` (against what runs, drift
    # included, plain text for the comment) of the config deploy would apply (each model's serving
    # colour kept as the stack has it), and the releases it would promote after the update.
    with_credentials "${cli[@]}" deploy --preview --stack "$target" --message "preview of ${GITHUB_SHA:-the checkout}" \
        "${promote_policy[@]}"
    ;;
deploy)
    status=0
    forward_signals with_credentials "${cli[@]}" deploy --stack "$target" --message "deploy of ${GITHUB_SHA:-the checkout}" \
        "${promote_policy[@]}" --report out/quality-gate || status=$?
    add_gate_reports
    exit "$status"
    ;;
up)
    forward_signals wait_for_stack_lock with_credentials pulumi up --stack "$target" --yes --non-interactive --skip-preview "${pulumi_policy[@]}"
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
    log=$(mktemp)
    # shellcheck disable=SC2317 # run by forward_signals
    promote_logged() {
        with_credentials "${cli[@]}" promote --stack "$target" "${which[@]}" "${release[@]}" "${promote_policy[@]}" \
            --report out/quality-gate 2>&1 | log_to "$log"
    }
    forward_signals promote_logged || status=$?
    add_gate_reports
    report_release_to_commit "$log"
    rm -f "$log"
    exit "$status"
    ;;
rollback)
    status=0
    if [[ -n $model ]]; then
        forward_signals with_credentials "${cli[@]}" promote --stack "$target" --model "$model" --rollback "${promote_policy[@]}" || status=$?
    else
        forward_signals with_credentials "${cli[@]}" promote --stack "$target" --rollback "${promote_policy[@]}" || status=$?
    fi
    exit "$status"
    ;;
recover)
    # What a cancelled job left: first the rest of its release (SIGTERM, then SIGKILL 5 s later),
    # so that its locks are a dead process's; then each model's unfinished release finished or
    # undone (its journal), or, with none, its active endpoint checked.
    pgid_file=${RUNNER_TEMP:-}/llm-platform-release.pgid
    if [[ -n ${RUNNER_TEMP:-} && -f $pgid_file ]]; then
        left=$(<"$pgid_file")
        if [[ $left =~ ^[0-9]+$ ]] && kill -0 -- "-$left" 2>/dev/null; then
            wait_s=${RECOVER_WAIT_SECONDS:-90}
            echo "the cancelled release is still stopping (process group $left): waiting up to $wait_s s for its update to cancel"
            for _ in $(seq 1 "$wait_s"); do
                kill -0 -- "-$left" 2>/dev/null || break
                sleep 1
            done
            if kill -0 -- "-$left" 2>/dev/null; then
                echo "it did not stop: ending it (its update may leave the stack locked: pulumi cancel)"
                kill -TERM -- "-$left" 2>/dev/null || true
                sleep 5
                kill -KILL -- "-$left" 2>/dev/null || true
                for _ in $(seq 1 10); do
                    kill -0 -- "-$left" 2>/dev/null || break
                    sleep 0.5
                done
            fi
        fi
        rm -f "$pgid_file"
    fi
    export STACK_LOCK_WAIT_SECONDS=${RECOVER_LOCK_WAIT_SECONDS:-60}
    which=(--all)
    [[ -n $model ]] && which=(--model "$model")
    forward_signals with_credentials "${cli[@]}" promote --stack "$target" "${which[@]}" --recover \
        --drain-seconds "${RECOVER_DRAIN_SECONDS:-30}" "${promote_policy[@]}"
    ;;
esac
