/**
 * What a promotion writes back to the model registry when the released colour serves a registered
 * model (`modelVersion: models:/<name>/<version>` or `models:/<name>@<alias>`): the version gets the
 * alias `serving` (what the stack serves now; retraining starts from it) and tags naming the stack,
 * the colour and the time. Over MLflow's REST API (mlflow/server/handlers.py and the registry
 * protos: GET and POST /api/2.0/mlflow/registered-models/alias, POST
 * /api/2.0/mlflow/model-versions/set-tag), reached through the registry's internal load balancer
 * (the stack output `modelRegistryUrl`).
 */
import { SERVING_ALIAS, type RegistryModelReference } from "../../catalog/formats";

export { SERVING_ALIAS };

export interface DeploymentRecord {
    stack: string;
    model: string;
    colour: string;
    /** ISO time of the flip. */
    at: string;
}

export interface ModelRegistryClient {
    /** The version number a reference names (an alias resolved now). */
    resolve(ref: RegistryModelReference): Promise<string>;
    /** Points the `serving` alias at `version` and tags it with the deployment. */
    recordDeployment(name: string, version: string, record: DeploymentRecord): Promise<void>;
}

/** A request to the registry that failed: the endpoint, the status and MLflow's message. */
export class RegistryError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RegistryError";
    }
}

/** The tags a deployment leaves on the version it released. */
export function deploymentTags(record: DeploymentRecord): Record<string, string> {
    return {
        [`llm-platform.${record.stack}.model`]: record.model,
        [`llm-platform.${record.stack}.colour`]: record.colour,
        [`llm-platform.${record.stack}.deployed-at`]: record.at,
    };
}

export class MlflowRegistryClient implements ModelRegistryClient {
    private readonly base: string;

    constructor(
        baseUrl: string,
        private readonly timeoutMs = 10_000,
    ) {
        this.base = `${baseUrl.replace(/\/$/, "")}/api/2.0/mlflow`;
    }

    private async call(method: "GET" | "POST", path: string, body?: Record<string, string>): Promise<unknown> {
        const url = `${this.base}${path}`;
        let response: Response;
        try {
            response = await fetch(url, {
                method,
                signal: AbortSignal.timeout(this.timeoutMs),
                headers: body ? { "content-type": "application/json" } : {},
                ...(body ? { body: JSON.stringify(body) } : {}),
            });
        } catch (e) {
            throw new RegistryError(`${method} ${url} failed: ${(e as Error).message}`);
        }
        const text = await response.text();
        if (!response.ok) {
            let message = text.slice(0, 300);
            try {
                message = String((JSON.parse(text) as { message?: string }).message ?? message);
            } catch {
                // not JSON: keep the text
            }
            throw new RegistryError(`${method} ${url} answered ${response.status}: ${message}`);
        }
        return text ? (JSON.parse(text) as unknown) : {};
    }

    async resolve(ref: RegistryModelReference): Promise<string> {
        if (ref.version !== undefined) return ref.version;
        const query = new URLSearchParams({ name: ref.name, alias: ref.alias! }).toString();
        const found = (await this.call("GET", `/registered-models/alias?${query}`)) as {
            model_version?: { version?: string };
        };
        const version = found.model_version?.version;
        if (version === undefined) throw new RegistryError(`models:/${ref.name}@${ref.alias} names no version`);
        return String(version);
    }

    async recordDeployment(name: string, version: string, record: DeploymentRecord): Promise<void> {
        await this.call("POST", "/registered-models/alias", { name, alias: SERVING_ALIAS, version });
        for (const [key, value] of Object.entries(deploymentTags(record)))
            await this.call("POST", "/model-versions/set-tag", { name, version, key, value });
    }
}
