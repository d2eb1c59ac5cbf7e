import * as assert from "node:assert/strict";
import { plan } from "../tools/cli/plan";
import { renderMermaid, topology, topologyChanged } from "../tools/reports/mermaid";

import type { ExportedResource, StackExport } from "../tools/engine/stackExport";
import { PROJECT_DIR } from "./helpers";
import { planOf, sharedRunner } from "./plans";

const P = "urn:pulumi:prod::llm-platform::";
const doc = (resources: ExportedResource[]): StackExport => ({
    version: 3,
    deployment: { manifest: { time: "", magic: "", version: "" }, resources },
});

/** A cluster component with its key, a role (left out of the diagram) and a provider; a workload using them. */
function small(): StackExport {
    const cluster = `${P}llm-platform:aws:EksCluster::llm`;
    return doc([
        { urn: `${P}pulumi:pulumi:Stack::llm-platform-prod`, custom: false, type: "pulumi:pulumi:Stack" },
        { urn: cluster, custom: false, type: "llm-platform:aws:EksCluster" },
        {
            urn: `${P}llm-platform:aws:EksCluster$aws:kms/key:Key::key`,
            custom: true,
            type: "aws:kms/key:Key",
            parent: cluster,
        },
        {
            urn: `${P}llm-platform:aws:EksCluster$aws:iam/role:Role::role`,
            custom: true,
            type: "aws:iam/role:Role",
            parent: cluster,
            dependencies: [`${P}llm-platform:aws:EksCluster$aws:kms/key:Key::key`],
        },
        {
            urn: `${P}llm-platform:aws:EksCluster$aws:eks/cluster:Cluster::cluster`,
            custom: true,
            type: "aws:eks/cluster:Cluster",
            parent: cluster,
            dependencies: [`${P}llm-platform:aws:EksCluster$aws:iam/role:Role::role`],
        },
        {
            urn: `${P}llm-platform:aws:EksCluster$pulumi:providers:kubernetes::k8s`,
            custom: true,
            type: "pulumi:providers:kubernetes",
            parent: cluster,
            dependencies: [`${P}llm-platform:aws:EksCluster$aws:eks/cluster:Cluster::cluster`],
        },
        {
            urn: `${P}kubernetes:apps/v1:Deployment::web "quoted"`,
            custom: true,
            type: "kubernetes:apps/v1:Deployment",
            provider: `${P}llm-platform:aws:EksCluster$pulumi:providers:kubernetes::k8s::id-1`,
            // A cycle through left-out resources must not hang the walk.
            dependencies: [`${P}aws:iam/role:Role::a`],
        },
        { urn: `${P}aws:s3/bucket:Bucket::logs`, custom: true, type: "aws:s3/bucket:Bucket" },
        {
            // A settings resource no key resource uses: it links what it uses to what it configures.
            urn: `${P}aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::logs`,
            custom: true,
            type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            dependencies: [`${P}aws:s3/bucket:Bucket::logs`, `${P}llm-platform:aws:EksCluster$aws:kms/key:Key::key`],
            propertyDependencies: {
                bucket: [`${P}aws:s3/bucket:Bucket::logs`],
                rules: [`${P}llm-platform:aws:EksCluster$aws:kms/key:Key::key`],
            },
        },
        {
            urn: `${P}aws:iam/role:Role::a`,
            custom: true,
            type: "aws:iam/role:Role",
            dependencies: [`${P}aws:iam/role:Role::b`],
        },
        {
            urn: `${P}aws:iam/role:Role::b`,
            custom: true,
            type: "aws:iam/role:Role",
            dependencies: [`${P}aws:iam/role:Role::a`],
        },
    ]);
}

/** What a Mermaid flowchart parser would reject: unbalanced groups, edges to undefined or duplicate nodes. */
function checkStructure(text: string): { nodes: number; groups: number; edges: number } {
    const lines = text.trimEnd().split("\n");
    assert.equal(lines[0], "flowchart LR");
    const defined = new Set<string>();
    let depth = 0;
    let groups = 0;
    const edges: string[][] = [];
    for (const line of lines.slice(1)) {
        const t = line.trim();
        let m: RegExpExecArray | null;
        if ((m = /^subgraph (g\d+)\["[^"]+"\]$/.exec(t))) {
            assert.ok(!defined.has(m[1]), `${m[1]} defined once`);
            defined.add(m[1]);
            depth++;
            groups++;
        } else if (t === "end") {
            depth--;
            assert.ok(depth >= 0, "end without subgraph");
        } else if ((m = /^(r\d+)\["[^"]+"\]$/.exec(t))) {
            assert.ok(!defined.has(m[1]), `${m[1]} defined once`);
            defined.add(m[1]);
        } else if ((m = /^(r\d+) --> (r\d+)$/.exec(t))) {
            edges.push([m[1], m[2]]);
        } else assert.fail(`unexpected line: ${line}`);
    }
    assert.equal(depth, 0, "every subgraph ends");
    for (const [a, b] of edges) assert.ok(defined.has(a) && defined.has(b), `${a} --> ${b} joins defined nodes`);
    return { nodes: [...defined].filter((d) => d.startsWith("r")).length, groups, edges: edges.length };
}

describe("architecture diagram (Mermaid)", () => {
    it("groups by component, skips left-out resources and follows the provider to the cluster", () => {
        assert.equal(
            renderMermaid(small()),
            [
                "flowchart LR",
                '    subgraph g1["EksCluster: llm"]',
                '        r1["KMS key<br/>key"]',
                '        r2["EKS cluster<br/>cluster"]',
                "    end",
                '    r3["Deployment<br/>web #quot;quoted#quot;"]',
                '    r4["S3 bucket<br/>logs"]',
                "    r1 --> r2",
                "    r2 --> r3",
                "    r1 --> r4",
                "",
            ].join("\n"),
        );
        const t = topology(small());
        assert.equal(t.nodes.size, 4);
        assert.deepEqual(t.nodes.get(`${P}llm-platform:aws:EksCluster$aws:kms/key:Key::key`), [
            `${P}llm-platform:aws:EksCluster::llm`,
        ]);
    });

    it("tells a topology change from a property change", () => {
        const base = small();
        const propertyOnly = small();
        propertyOnly.deployment.resources[4].inputs = { version: "1.33" };
        assert.equal(topologyChanged(base, propertyOnly), false);
        const added = small();
        added.deployment.resources.push({
            urn: `${P}aws:s3/bucket:Bucket::b`,
            custom: true,
            type: "aws:s3/bucket:Bucket",
        });
        assert.equal(topologyChanged(base, added), true);
        const rewired = small();
        rewired.deployment.resources[4].dependencies = [];
        assert.equal(topologyChanged(base, rewired), true);
    });

    for (const [stack, expected] of [
        ["prod", { nodes: 57, groups: 23, edges: 100 }],
        ["staging", { nodes: 42, groups: 21, edges: 75 }],
        ["ecs", { nodes: 15, groups: 6, edges: 19 }],
    ] as const) {
        it(`draws a well-formed diagram of the ${stack} stack`, async () => {
            const { export: exp } = await planOf(stack);
            assert.deepEqual(checkStructure(renderMermaid(exp)), expected);
        });
    }

    it("groups each model's service objects under the model", async () => {
        const text = renderMermaid((await planOf("prod")).export);
        for (const model of ["chat", "embed", "router"]) {
            const group = text.split("\n").findIndex((l) => l.includes(`["BlueGreenEksService: ${model}"]`));
            assert.ok(group >= 0, model);
            const body = text
                .split("\n")
                .slice(group + 1, group + 8)
                .map((l) => l.trim());
            // Each colour's own Service (the load balancer's weights), active and preview (in the
            // cluster, scraped), each colour's Deployment: the active Service after the rollout it waits for.
            assert.deepEqual(
                body.map((l) => l.replace(/^\s*r\d+\[/, "[")),
                [
                    `["Service<br/>${model}-blue"]`,
                    `["Service<br/>${model}-green"]`,
                    `["Service<br/>${model}-preview"]`,
                    `["Deployment<br/>${model}-blue"]`,
                    `["Deployment<br/>${model}-green"]`,
                    `["Service<br/>${model}-active"]`,
                    "end",
                ],
            );
        }
    });

    it("is what `plan --format mermaid` prints, alone on stdout; other formats are refused", async () => {
        let stdout = "";
        const code = await plan(
            ["--stack", "staging", "--format", "mermaid", "--project", PROJECT_DIR],
            (s) => (stdout += s),
            () => undefined,
            sharedRunner,
        );
        assert.equal(code, 0);
        const { export: exp } = await planOf("staging");
        assert.equal(stdout, renderMermaid(exp));
        await assert.rejects(
            plan(
                ["--stack", "staging", "--format", "svg"],
                () => undefined,
                () => undefined,
            ),
            { name: "UsageError", message: '--format: expected text or mermaid, received "svg"' },
        );
    });
});
