#!/usr/bin/env bash
# Posts a pull-request comment, or updates the one that starts with the same marker line.
# The number and body come from an artifact of a pull-request run, which a fork controls: the
# number must be an integer and the body is only ever sent as data.
#
# usage: post-comment.sh <pr-number-file> <body-file>     (GH_TOKEN and GITHUB_REPOSITORY set)
#
# With EXPECTED_HEAD_SHA set (the commit the pull-request run checked), it comments only if the
# pull request is still at that commit: a run cannot comment on another pull request, and a
# stale run does not overwrite the comment of a newer one.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <pr-number-file> <body-file>" >&2
    exit 2
fi
pr=$(tr -d '[:space:]' <"$1")
if [[ ! $pr =~ ^[0-9]+$ ]]; then
    echo "not a pull-request number: $pr" >&2
    exit 2
fi
body_file=$2
marker=$(head -n 1 "$body_file")
if [[ ! $marker =~ ^\<\!--\ llm-platform:[a-z-]+\ --\>$ ]]; then
    echo "the body must start with an llm-platform marker line, found: $marker" >&2
    exit 2
fi

if [[ -n ${EXPECTED_HEAD_SHA:-} ]]; then
    head_sha=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq .head.sha)
    if [[ $head_sha != "$EXPECTED_HEAD_SHA" ]]; then
        echo "#$pr is at $head_sha, not at this run's commit $EXPECTED_HEAD_SHA: not commenting"
        exit 0
    fi
fi

existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    --jq ".[] | select(.user.type == \"Bot\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)
if [[ -n $existing ]]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body_file" >/dev/null
    echo "updated comment $existing on #$pr"
else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$body_file" >/dev/null
    echo "commented on #$pr"
fi
