#!/usr/bin/env bash
# Refuses to run a deploy job in a GitHub environment that does not protect its credentials: GitHub
# creates an environment a job names when it does not exist yet, with no rule at all, and the job
# then runs with whatever the environment would have held. Run it first in every job that deploys.
#
# usage: require-protection.sh <environment> [--reviewers]
#
#   The environment must limit deployments to one selected branch, DEPLOY_BRANCH (main), so that
#   no other branch's or pull request's workflow can claim it, and with --reviewers it must have
#   required reviewers who cannot approve their own deploys and whom administrators cannot bypass
#   (unless ALLOW_SELF_REVIEW=true or ALLOW_ADMIN_BYPASS=true). This catches a misconfigured repository in the real workflows; the control
#   itself is GitHub's, which refuses a rewritten workflow's job before it starts.
#
# Environment: GH_TOKEN (the job's github.token; the job needs `actions: read`, which GitHub's
# environments endpoints ask of a token), GITHUB_REPOSITORY (set by GitHub), DEPLOY_BRANCH.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ($# -eq 2 && $2 != --reviewers) || ! $1 =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "usage: $0 <environment> [--reviewers]" >&2
    exit 2
fi
environment=$1
reviewers_required=${2:-}
DEPLOY_BRANCH=${DEPLOY_BRANCH:-main}
if [[ ! ${GITHUB_REPOSITORY:-} =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    echo "GITHUB_REPOSITORY: expected <owner>/<repository>, received \"${GITHUB_REPOSITORY:-}\"" >&2
    exit 2
fi

settings="Settings → Environments → $environment"
if ! command -v gh >/dev/null 2>&1; then
    echo "$environment: the GitHub CLI (gh) is not installed on this runner; install it (GitHub's runners have it; docs/ci-cd.md, \"Setting up the cloud jobs\", step 4)" >&2
    exit 2
fi
api="repos/$GITHUB_REPOSITORY/environments/$environment"
if ! found=$(gh api "$api" \
    --jq '"\(.deployment_branch_policy | if . == null then "none" else .custom_branch_policies end) \([.protection_rules[]? | select(.type == "required_reviewers")] | length) \(.can_admins_bypass | if . == null then "unknown" else . end) \(any(.protection_rules[]?; .type == "required_reviewers" and .prevent_self_review == true))"'); then
    echo "$environment: cannot read the environment's protection rules ($settings; the job needs permissions: actions: read)" >&2
    exit 2
fi
read -r custom reviewers admins_bypass self_review_prevented <<<"$found"

status=0
# Only "Selected branches and tags" naming the deploy branch alone holds: with "No restriction"
# any branch may deploy, and "Protected branches only" lets every branch deploy while no branch
# has a protection rule.
branches=""
if [[ $custom == true ]] && ! branches=$(gh api "$api/deployment-branch-policies" \
    --jq '[.branch_policies[] | "\(.type // "branch"):\(.name)"] | join(",")'); then
    echo "$environment: cannot read the environment's deployment branch policies ($settings)" >&2
    exit 2
fi
if [[ $branches != "branch:$DEPLOY_BRANCH" ]]; then
    echo "$environment: deployments must be limited to the branch $DEPLOY_BRANCH alone ($settings → Deployment branches and tags → Selected branches and tags: $DEPLOY_BRANCH), found ${branches:-$(case $custom in none) echo "no restriction" ;; false) echo "protected branches only" ;; *) echo "no selected branch" ;; esac)}${branches:+ (selected)}: another branch's workflow could claim the environment and its credentials" >&2
    status=2
fi
if [[ -n $reviewers_required && $reviewers != [1-9]* ]]; then
    echo "$environment: no required reviewers ($settings → Required reviewers; private repositories need GitHub Enterprise for them): nobody approves what reaches it" >&2
    status=2
fi
# GitHub lets administrators bypass an environment's rules unless it is told not to (the field
# can_admins_bypass, true by default): then an administrator deploys without the reviewers.
if [[ -n $reviewers_required && $admins_bypass == true && ${ALLOW_ADMIN_BYPASS:-} != true ]]; then
    echo "$environment: administrators may bypass its required reviewers ($settings → clear \"Allow administrators to bypass configured protection rules\"), so a release can reach it unapproved; to accept that, set ALLOW_ADMIN_BYPASS=true on the job" >&2
    status=2
fi
# Without "Prevent self-review" (prevent_self_review, false by default) whoever pushed the release
# approves it.
if [[ -n $reviewers_required && $reviewers == [1-9]* && $self_review_prevented != true && ${ALLOW_SELF_REVIEW:-} != true ]]; then
    echo "$environment: its reviewers may approve their own deploys ($settings → Required reviewers → \"Prevent self-review\"); to accept that, set ALLOW_SELF_REVIEW=true on the job" >&2
    status=2
fi
[[ $status -eq 0 ]] && echo "$environment: deployments limited to $DEPLOY_BRANCH${reviewers_required:+, $reviewers required reviewer rule(s)}"
exit "$status"
