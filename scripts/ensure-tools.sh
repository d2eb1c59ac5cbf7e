#!/usr/bin/env bash
# Runs before `npm test`: the suite checks alert rules with promtool, Alertmanager routes with
# amtool, the workflows' scripts with shellcheck (and the comment lookup's filter with jq, as the
# GitHub CLI applies it), and runs the ECS task's time-to-first-token exporter with python3.
# Each missing tool is installed (Debian/Ubuntu packages prometheus,
# prometheus-alertmanager, shellcheck, python3, jq with apt-get, as root or with passwordless sudo;
# Homebrew's prometheus, alertmanager, shellcheck, python and jq on macOS); where that is not
# possible it stops at once, naming the command to run. No test is skipped for a missing tool.
set -euo pipefail

missing=()
for tool in promtool amtool shellcheck python3 jq; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

declare -A apt_package=([promtool]=prometheus [amtool]=prometheus-alertmanager [shellcheck]=shellcheck [python3]=python3 [jq]=jq)
declare -A brew_package=([promtool]=prometheus [amtool]=alertmanager [shellcheck]=shellcheck [python3]=python [jq]=jq)
apt=()
brew=()
for tool in "${missing[@]}"; do
    apt+=("${apt_package[$tool]}")
    brew+=("${brew_package[$tool]}")
done

echo "ensure-tools: ${missing[*]} not on PATH; installing ${apt[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            echo "ensure-tools: cannot install without root; run: sudo apt-get install -y --no-install-recommends ${apt[*]}" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt[@]}" >&2
elif command -v brew >/dev/null 2>&1; then
    brew install "${brew[@]}" >&2
else
    echo "ensure-tools: no apt-get or brew here; install ${missing[*]} (Debian: apt-get install ${apt[*]}; macOS: brew install ${brew[*]}) and run npm test again" >&2
    exit 1
fi
for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "ensure-tools: $tool is still not on PATH after installing; install it and run npm test again" >&2
        exit 1
    }
done
