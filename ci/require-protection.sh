#!/usr/bin/env bash
# Refuses to run a deploy job in a GitHub environment that does not protect its credentials: GitHub
# creates an environment a job names when it does not exist yet, with no rule at all, and the job
# then runs with whatever the environment would have held. Run it first in every job that deploys.
#
# usage: require-protection.sh <environment> [--reviewers]
#
#   The environment must limit deployments to protected or selected branches (a pull request's
#   workflow cannot then claim it), and with --reviewers it must have required reviewers.
#
# Environment: GH_TOKEN (the job's github.token; the job needs `actions: read`, which GitHub's
# "Get an environment" endpoint asks of a token) and GITHUB_REPOSITORY (set by GitHub).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ($# -eq 2 && $2 != --reviewers) || ! $1 =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "usage: $0 <environment> [--reviewers]" >&2
    exit 2
fi
environment=$1
reviewers_required=${2:-}
if [[ ! ${GITHUB_REPOSITORY:-} =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    echo "GITHUB_REPOSITORY: expected <owner>/<repository>, received \"${GITHUB_REPOSITORY:-}\"" >&2
    exit 2
fi

settings="Settings → Environments → $environment"
if ! found=$(gh api "repos/$GITHUB_REPOSITORY/environments/$environment" \
    --jq '"\(.deployment_branch_policy != null) \([.protection_rules[]? | select(.type == "required_reviewers")] | length)"'); then
    echo "$environment: cannot read the environment's protection rules ($settings; the job needs permissions: actions: read)" >&2
    exit 2
fi
read -r branches reviewers <<<"$found"

status=0
if [[ $branches != true ]]; then
    echo "$environment: deployments are not limited to protected or selected branches ($settings → Deployment branches and tags): a pull request's workflow could claim the environment and its credentials" >&2
    status=2
fi
if [[ -n $reviewers_required && $reviewers != [1-9]* ]]; then
    echo "$environment: no required reviewers ($settings → Required reviewers; private repositories need GitHub Enterprise for them): nobody approves what reaches it" >&2
    status=2
fi
[[ $status -eq 0 ]] && echo "$environment: deployments limited to protected or selected branches${reviewers_required:+, $reviewers required reviewer rule(s)}"
exit "$status"
