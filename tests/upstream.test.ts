/**
 * The reference stacks against what upstream software really does at the versions they pin
 * (docs/UPSTREAM.md): the routes the vLLM image serves, the charts' defaults as Helm merges our
 * values over them, the metrics the image emits.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LIVENESS_PATH, READINESS_PATH, VLLM_ROUTES, VLLM_VERSION } from "../components/vllm";
import { TIER_DEFAULTS } from "../environments/schema";
import type { ExportedResource } from "../tools/engine/stackExport";
import { PROJECT_DIR } from "./helpers";
import { planOf, REFERENCE_STACKS } from "./plans";

const routes = new Set<string>(VLLM_ROUTES);

interface Probe {
    httpGet?: { path: string };
}
interface Container {
    name: string;
    livenessProbe?: Probe;
    readinessProbe?: Probe;
    startupProbe?: Probe;
}

describe("the routes the shipped vLLM image serves", () => {
    it("the image is vLLM's OpenAI server at the pinned version, with its HEALTHCHECK on /health", () => {
        const dockerfile = fs.readFileSync(path.join(PROJECT_DIR, "images", "inference", "Dockerfile"), "utf8");
        assert.match(
            dockerfile,
            new RegExp(`^ARG BASE_IMAGE=vllm/vllm-openai:${VLLM_VERSION.replace(/\./g, "\\.")}$`, "m"),
        );
        const healthcheck = /^HEALTHCHECK [\s\S]*?\/health'/m.exec(dockerfile);
        assert.ok(healthcheck, "HEALTHCHECK calls /health");
        assert.ok(routes.has(LIVENESS_PATH) && routes.has(READINESS_PATH));
        assert.ok(!routes.has("/ready"), "vLLM has no /ready");
    });

    it("every probe, health check and smoke test of every stack uses one of them: /health to live, /v1/models to be ready", async () => {
        const used: string[] = [];
        for (const stack of REFERENCE_STACKS) {
            const resources = (await planOf(stack)).export.deployment.resources;
            const ofType = (type: string): ExportedResource[] => resources.filter((r) => r.type === type);
            for (const d of ofType("kubernetes:apps/v1:Deployment").filter((r) =>
                r.urn.includes("BlueGreenEksService"),
            )) {
                const spec = d.inputs?.spec as { template: { spec: { containers: Container[] } } };
                for (const c of spec.template.spec.containers) {
                    assert.equal(c.livenessProbe?.httpGet?.path, LIVENESS_PATH, `${d.urn} liveness`);
                    assert.equal(c.startupProbe?.httpGet?.path, LIVENESS_PATH, `${d.urn} startup`);
                    assert.equal(c.readinessProbe?.httpGet?.path, READINESS_PATH, `${d.urn} readiness`);
                    used.push(LIVENESS_PATH, READINESS_PATH);
                }
            }
            for (const tg of ofType("aws:lb/targetGroup:TargetGroup")) {
                const checked = (tg.inputs?.healthCheck as { path: string }).path;
                assert.equal(checked, READINESS_PATH, `${tg.urn} health check`);
                used.push(checked);
            }
            for (const task of ofType("aws:ecs/taskDefinition:TaskDefinition")) {
                const containers = JSON.parse(String(task.inputs?.containerDefinitions)) as Array<{
                    name: string;
                    healthCheck?: { command: string[] };
                }>;
                const inference = containers.find((c) => c.name === "inference");
                const command = inference?.healthCheck?.command.join(" ") ?? "";
                assert.ok(command.includes(`${LIVENESS_PATH}'`), `${task.urn}: ${command}`);
                used.push(LIVENESS_PATH);
            }
        }
        for (const tier of ["staging", "prod"] as const) used.push(TIER_DEFAULTS[tier].serving.smokeTest.path);
        assert.deepEqual(
            [...new Set(used)].filter((p) => !routes.has(p)),
            [],
        );
        assert.equal(TIER_DEFAULTS.prod.serving.smokeTest.path, READINESS_PATH);
    });
});
