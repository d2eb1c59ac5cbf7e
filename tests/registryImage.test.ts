import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { validate } from "dockerfile-utils";
import { checkHardenedDockerfile, parseDockerfile } from "../components/aws/dockerfile";
import { find, PROJECT_DIR } from "./helpers";
import { planOf } from "./plans";

const IMAGE_DIR = path.join(PROJECT_DIR, "images", "mlflow");
const read = (file: string): string => fs.readFileSync(path.join(IMAGE_DIR, file), "utf8");

/**
 * The distribution each server flag or store URI imports at start, beyond `pip install mlflow`
 * (the official image): docs/UPSTREAM.md, "MLflow — the model registry".
 */
const NEEDS: ReadonlyArray<{ when: (argv: string[], env: Record<string, string>) => boolean; pkg: string }> = [
    // mlflow/server/prometheus_exporter.py: from prometheus_flask_exporter.multiprocess import …
    { when: (argv) => argv.includes("--expose-prometheus"), pkg: "prometheus-flask-exporter" },
    // SQLAlchemy's postgresql+psycopg2:// dialect loads psycopg2 (a bare postgresql:// is psycopg 3 from SQLAlchemy 2.1).
    {
        when: (_, env) => (env.MLFLOW_BACKEND_STORE_URI ?? "").startsWith("postgresql+psycopg2://"),
        pkg: "psycopg2-binary",
    },
    // mlflow/store/artifact/s3_artifact_repo.py imports boto3.
    {
        when: (argv) => (argv[argv.indexOf("--artifacts-destination") + 1] ?? "").startsWith("s3://"),
        pkg: "boto3",
    },
];

/** `name==version` lines of a requirements file, by name. */
function pins(text: string): Map<string, string> {
    return new Map(
        text
            .split("\n")
            .map((l) => l.replace(/#.*/, "").trim())
            .filter((l) => l !== "")
            .map((l) => {
                const m = /^([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.]*)$/.exec(l);
                assert.ok(m, `requirements.txt: "${l}" is not pinned as name==version`);
                return [m[1].toLowerCase(), m[2]] as [string, string];
            }),
    );
}

describe("the model registry's image", () => {
    it("installs every module the server's flags and stores import, each pinned", async () => {
        const deployment = find((await planOf("prod")).export, "kubernetes:apps/v1:Deployment", "registry-server")
            .inputs as {
            spec: {
                template: {
                    spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string }> }> };
                };
            };
        };
        const server = deployment.spec.template.spec.containers[0];
        const env = Object.fromEntries(server.env.flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])));
        // MLflow 3 sends usage telemetry unless told not to; the registry sits in a private network.
        assert.equal(env.MLFLOW_DISABLE_TELEMETRY, "true");
        const needed = NEEDS.filter((n) => n.when(server.args, env)).map((n) => n.pkg);
        // The server runs with all three: a case that stops applying is a case to re-read upstream.
        assert.deepEqual(needed, ["prometheus-flask-exporter", "psycopg2-binary", "boto3"]);
        const pinned = pins(read("requirements.txt"));
        assert.deepEqual(
            needed.filter((pkg) => !pinned.has(pkg)),
            [],
            "images/mlflow/requirements.txt installs what the server needs",
        );
        assert.deepEqual(Object.fromEntries(pinned), {
            "psycopg2-binary": "2.9.10",
            boto3: "1.40.73",
            "prometheus-flask-exporter": "0.23.2",
            // prometheus-flask-exporter's own dependency, pinned rather than resolved at build time.
            "prometheus-client": "0.21.1",
        });
    });

    it("builds from the requirements file on the pinned MLflow image, hardened and lint-clean", () => {
        const dockerfile = read("Dockerfile");
        const steps = parseDockerfile(dockerfile).map((i) => `${i.keyword} ${i.args}`);
        assert.ok(steps.includes("ARG BASE_IMAGE=ghcr.io/mlflow/mlflow:v3.6.0"), steps.join("\n"));
        assert.ok(steps.includes("COPY requirements.txt /tmp/requirements.txt"), steps.join("\n"));
        assert.ok(
            steps.some((s) => s.startsWith("RUN pip install --no-cache-dir -r /tmp/requirements.txt ")),
            steps.join("\n"),
        );
        // pip fails the build if an addition breaks a requirement of MLflow's own.
        assert.ok(
            steps.some((s) => s.includes("-r /tmp/requirements.txt && pip check && ")),
            steps.join("\n"),
        );
        // Nothing is installed besides the file: every addition is pinned there.
        assert.equal(steps.filter((s) => /\bpip install\b/.test(s)).length, 1);
        assert.deepEqual(checkHardenedDockerfile(dockerfile), []);
        assert.deepEqual(
            validate(dockerfile).map((d) => `${d.range.start.line + 1}: ${d.message}`),
            [],
        );
    });
});
