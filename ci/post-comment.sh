#!/usr/bin/env bash
# Posts a pull-request comment, or updates the one that starts with the same marker line.
# The number and body come from an artifact of a pull-request run, which a fork controls: the
# number must be an integer and the body is only ever sent as data.
#
# usage: post-comment.sh <pr-number-file> <body-file>     (GH_TOKEN and GITHUB_REPOSITORY set;
#        COMMENT_AUTHOR, the login GH_TOKEN posts as: github-actions[bot] unless an app's token)
#
# With EXPECTED_HEAD_SHA set (the commit the pull-request run checked), it comments only if the
# pull request is still at that commit: a run cannot comment on another pull request, and a
# stale run does not overwrite the comment of a newer one.
#
# When the body file is missing or empty (the gate stopped before it wrote the comment), it posts a
# short comment under the plan comment's marker instead, saying the gate could not run and linking
# the run (RUN_URL, RUN_CONCLUSION), so the pull request never keeps a stale plan silently.
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
if [[ ! -s $body_file ]]; then
    fallback=$(mktemp)
    trap 'rm -f "$fallback"' EXIT
    {
        echo "<!-- llm-platform:plan-comment -->"
        echo "## Offline plan, cost and policy gate"
        echo
        echo "The gate could not run: the pull-request run ended (${RUN_CONCLUSION:-unknown}) before it wrote the plan comment, so there is no plan, cost or policy verdict for this commit."
        if [[ ${RUN_URL:-} =~ ^https://[A-Za-z0-9.-]+/[A-Za-z0-9._/-]+$ ]]; then
            echo "See the run's log: $RUN_URL"
        fi
    } >"$fallback"
    echo "no comment was written by the run ($body_file is missing or empty): posting that the gate could not run"
    body_file=$fallback
fi
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

# Only a comment this workflow's identity posted is updated: another bot's, or a person's that
# starts with the marker, is left alone. COMMENT_AUTHOR: the login the token posts as.
author=${COMMENT_AUTHOR:-github-actions[bot]}
if [[ ! $author =~ ^[A-Za-z0-9-]+(\[bot\])?$ ]]; then
    echo "COMMENT_AUTHOR: expected a GitHub login such as github-actions[bot], received \"$author\"" >&2
    exit 2
fi
existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    --jq ".[] | select(.user.login == \"$author\" and .user.type == \"Bot\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)
if [[ -n $existing ]]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body_file" >/dev/null
    echo "updated comment $existing on #$pr"
else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$body_file" >/dev/null
    echo "commented on #$pr"
fi
