import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { entryPointAnnotations, ENTRY_IDLE_TIMEOUT_SECONDS, validateEntryPoint } from "../components/k8s/entryPoint";
import {
    LOAD_BALANCER_CONTROLLER_POLICY,
    loadBalancerControllerValues,
} from "../components/k8s/loadBalancerController";
import { reviewHelmRelease } from "../policies/charts";
import { find, PROJECT_DIR } from "./helpers";
import { kubernetesSchemaErrors, loadOperatorModels } from "./kubernetesSchema";
import { PROD_CANARY, planOf, planWith } from "./plans";

const CERT = "arn:aws:acm:us-east-1:111122223333:certificate/abc";

describe("entry point: the AWS Load Balancer Controller and the inference Ingresses", () => {
    before(loadOperatorModels);

    it("annotates production and preview for one internal ALB: IP targets checked on /v1/models, listed CIDRs, long idle timeout", () => {
        const entry = { allowedCidrs: ["10.0.0.0/8"], ready: [] };
        assert.deepEqual(entryPointAnnotations("inference", entry, "/v1/models", "production"), {
            "alb.ingress.kubernetes.io/group.name": "inference",
            "alb.ingress.kubernetes.io/scheme": "internal",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/healthcheck-path": "/v1/models",
            "alb.ingress.kubernetes.io/success-codes": "200",
            "alb.ingress.kubernetes.io/inbound-cidrs": "10.0.0.0/8",
            "alb.ingress.kubernetes.io/load-balancer-attributes":
                "deletion_protection.enabled=true,routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=300",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80}]',
        });
        assert.equal(
            entryPointAnnotations("inference", entry, "/v1/models", "preview")[
                "alb.ingress.kubernetes.io/listen-ports"
            ],
            '[{"HTTP":8443}]',
        );
        assert.ok(ENTRY_IDLE_TIMEOUT_SECONDS > 60, "longer than the ALB's default 60 s");
    });

    it("serves HTTPS with HTTP redirected when a certificate is set, and refuses an open internet-facing HTTP ALB", () => {
        const https = entryPointAnnotations(
            "inference",
            { allowedCidrs: ["0.0.0.0/0"], internetFacing: true, certificateArn: CERT, ready: [] },
            "/v1/models",
            "production",
        );
        assert.equal(https["alb.ingress.kubernetes.io/listen-ports"], '[{"HTTP":80},{"HTTPS":443}]');
        assert.equal(https["alb.ingress.kubernetes.io/ssl-redirect"], "443");
        assert.equal(https["alb.ingress.kubernetes.io/ssl-policy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
        assert.equal(https["alb.ingress.kubernetes.io/scheme"], "internet-facing");
        assert.deepEqual(
            validateEntryPoint({ allowedCidrs: ["0.0.0.0/0"], internetFacing: true, previewPort: 443, ready: [] }),
            [
                "entryPoint.certificateArn: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS; set a certificate",
                "entryPoint.previewPort: 443 is a production listener's port; choose another",
            ],
        );
        // Two /1s are the whole internet too; a block Go's net.ParseCIDR refuses stops the controller.
        assert.deepEqual(
            validateEntryPoint({
                allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.999/8"],
                internetFacing: true,
                ready: [],
            }),
            [
                'entryPoint.allowedCidrs[2]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.999/8": 999 is over 255',
                "entryPoint.certificateArn: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS; set a certificate",
            ],
        );
        assert.deepEqual(validateEntryPoint({ allowedCidrs: [], ready: [] }), [
            "entryPoint.allowedCidrs: expected at least one CIDR (who may reach the load balancer)",
        ]);
    });

    it("routes each model, by its header on one shared load balancer, production to its active colour and preview to the other", async () => {
        const prod = await planOf("prod");
        const ingress = (n: string) =>
            find(prod.export, "kubernetes:networking.k8s.io/v1:Ingress", n).inputs as {
                metadata: { annotations: Record<string, string> };
                spec: {
                    ingressClassName: string;
                    rules: Array<{ host?: string; http: { paths: Array<{ backend: unknown }> } }>;
                };
            };
        for (const model of ["chat", "embed", "router"]) {
            for (const [listener, service] of [
                ["production", `${model}-active`],
                ["preview", `${model}-preview`],
            ]) {
                const spec = ingress(`${model}-${listener}`);
                assert.equal(spec.spec.ingressClassName, "alb");
                assert.equal(spec.spec.rules[0].host, undefined);
                // The rule forwards by weight to both colours' own Services (the action is named
                // after the Service that selects the favoured colour): a flip moves weights, not targets.
                assert.deepEqual(spec.spec.rules[0].http.paths[0].backend, {
                    service: { name: service, port: { name: "use-annotation" } },
                });
                const favoured = listener === "production" ? "blue" : "green";
                assert.deepEqual(
                    JSON.parse(spec.metadata.annotations[`alb.ingress.kubernetes.io/actions.${service}`]),
                    {
                        type: "forward",
                        forwardConfig: {
                            targetGroups: ["blue", "green"].map((c) => ({
                                serviceName: `${model}-${c}`,
                                servicePort: 80,
                                weight: c === favoured ? 100 : 0,
                            })),
                        },
                    },
                );
                // One ALB for all: the same group; the model's header picks its rule.
                assert.equal(spec.metadata.annotations["alb.ingress.kubernetes.io/group.name"], "inference");
                assert.deepEqual(
                    JSON.parse(spec.metadata.annotations[`alb.ingress.kubernetes.io/conditions.${service}`]),
                    [{ field: "http-header", httpHeaderConfig: { httpHeaderName: "x-llm-model", values: [model] } }],
                );
            }
        }
        assert.deepEqual(
            (prod.outputs.models as Array<{ name: string; route: string }>).map((m) => `${m.name}: ${m.route}`),
            [
                "chat: header x-llm-model: chat",
                "embed: header x-llm-model: embed",
                "router: header x-llm-model: router",
            ],
        );
        const policy = find(prod.export, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs
            ?.spec as { ingress: Array<{ from: Array<Record<string, unknown>> }> };
        // The ALB's subnets (the public ones) are admitted, never the whole VPC, which holds every pod.
        const cidrs = policy.ingress[0].from.flatMap((f) => (f.ipBlock ? [(f.ipBlock as { cidr: string }).cidr] : []));
        assert.deepEqual(cidrs, ["10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22"]);
        const release = find(prod.export, "kubernetes:helm.sh/v3:Release", "aws-load-balancer-controller");
        assert.deepEqual(reviewHelmRelease(release.inputs!), []);
        const ingressDeps = find(
            prod.export,
            "kubernetes:networking.k8s.io/v1:Ingress",
            "chat-production",
        ).dependencies;
        assert.ok(ingressDeps?.includes(release.urn), "created after the controller and its webhook");
        assert.deepEqual(kubernetesSchemaErrors(prod.export.deployment.resources), []);
    });

    it("gives the controller the IAM policy its project publishes for v3.5.0, unchanged, on its own service account", async () => {
        const vendored = JSON.parse(
            fs.readFileSync(
                path.join(
                    PROJECT_DIR,
                    "components",
                    "aws",
                    "upstream",
                    "aws-load-balancer-controller-v3.5.0-iam-policy.json",
                ),
                "utf8",
            ),
        );
        assert.deepEqual(LOAD_BALANCER_CONTROLLER_POLICY, vendored);
        assert.equal((vendored.Statement as unknown[]).length, 16);
        const prod = await planOf("prod");
        const attached = find(prod.export, "aws:iam/rolePolicy:RolePolicy", "aws-load-balancer-controller-policy");
        assert.deepEqual(JSON.parse(String(attached.inputs?.policy)), vendored);
        const role = find(prod.export, "aws:iam/role:Role", "aws-load-balancer-controller-role");
        const trust = JSON.parse(String(role.inputs?.assumeRolePolicy));
        assert.ok(
            Object.values(trust.Statement[0].Condition.StringEquals).includes(
                "system:serviceaccount:kube-system:aws-load-balancer-controller",
            ),
        );
        const values = loadBalancerControllerValues({ clusterName: "c", region: "r", vpcId: "v", roleArn: "a" });
        assert.deepEqual((values.serviceAccount as { name: string }).name, "aws-load-balancer-controller");
    });

    it("is the gateway under canary: no controller and no Ingress then", async function () {
        // A plan the root hook queued: wait for its turn.
        this.timeout(240_000);
        const canary = await planWith("prod", PROD_CANARY);
        assert.deepEqual(
            canary.export.deployment.resources
                .filter((r) => r.type.includes("Ingress") || r.type.includes("LoadBalancerController"))
                .map((r) => r.urn),
            [],
        );
    });
});
