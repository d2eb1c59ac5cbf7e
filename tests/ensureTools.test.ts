import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers";

const SCRIPT = path.join(PROJECT_DIR, "scripts", "ensure-tools.sh");
const which = (tool: string): string =>
    spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const BASH = which("bash");
const CHMOD = which("chmod");

/** Runs the script with only `bin` (fake tools) on PATH; returns its exit code and output. */
function run(bin: string, env: Record<string, string> = {}) {
    const r = spawnSync(BASH, [SCRIPT], { encoding: "utf8", env: { PATH: bin, ...env } });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function fakeBin(tools: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tools-"));
    for (const [name, body] of Object.entries(tools))
        fs.writeFileSync(path.join(dir, name), `#!${BASH}\n${body}\n`, { mode: 0o755 });
    return dir;
}

describe("npm test installs the tools its tests use (scripts/ensure-tools.sh)", () => {
    it("is the pretest step and passes shellcheck", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        };
        assert.equal(pkg.scripts.pretest, "bash scripts/ensure-tools.sh");
        const sc = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
        assert.equal(sc.status, 0, sc.stdout);
    });

    it("does nothing when the tools are there", () => {
        const bin = fakeBin({ promtool: "", amtool: "", shellcheck: "", python3: "", jq: "" });
        assert.deepEqual(run(bin), { code: 0, stderr: "", stdout: "" });
    });

    it("installs what is missing with apt-get as root, and checks it arrived", () => {
        const bin = fakeBin({ shellcheck: "", python3: "", jq: "", id: "echo 0", env: 'shift; "$@"' });
        const log = path.join(bin, "apt.log");
        fs.writeFileSync(
            path.join(bin, "apt-get"),
            `#!${BASH}\necho "apt-get $*" >> ${log}\nfor t in promtool amtool; do printf '#!${BASH}\\n' > ${bin}/$t; ${CHMOD} +x ${bin}/$t; done\n`,
            { mode: 0o755 },
        );
        const r = run(bin);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
            r.stderr,
            "ensure-tools: promtool amtool not on PATH; installing prometheus prometheus-alertmanager\n",
        );
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            "apt-get update -qq",
            "apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager",
        ]);
    });

    it("stops at once naming the command where it cannot install", () => {
        const noRoot = fakeBin({ id: "echo 1000", "apt-get": "exit 9" });
        assert.deepEqual(run(noRoot), {
            code: 1,
            stdout: "",
            stderr:
                "ensure-tools: promtool amtool shellcheck python3 jq not on PATH; installing prometheus prometheus-alertmanager shellcheck python3 jq\n" +
                "ensure-tools: cannot install without root; run: sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager shellcheck python3 jq\n",
        });
        const nothing = fakeBin({});
        assert.equal(
            run(nothing).stderr.split("\n")[1],
            "ensure-tools: no apt-get or brew here; install promtool amtool shellcheck python3 jq (Debian: apt-get install prometheus prometheus-alertmanager shellcheck python3 jq; macOS: brew install prometheus alertmanager shellcheck python jq) and run npm test again",
        );
    });
});
