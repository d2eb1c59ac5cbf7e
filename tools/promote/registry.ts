/**
 * What a promotion asks of the model registry and writes back to it. Before anything changes, a
 * `--model-version models:/<name>@<alias>` or `models:/<name>/<version>` is resolved to its number
 * and source (GET /api/2.0/mlflow/registered-models/alias, GET /api/2.0/mlflow/model-versions/get),
 * so the release records the number and never the alias. After a flip that holds, the version gets
 * the alias `serving` and tags naming the stack, the colour and the time (POST
 * /api/2.0/mlflow/registered-models/alias, POST /api/2.0/mlflow/model-versions/set-tag). Over
 * MLflow's REST API (mlflow/server/handlers.py and the registry protos), reached through the
 * registry's internal load balancer (the stack output `modelRegistryUrl`).
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

/** A registered version as a release needs it: its number and where its weights are. */
export interface RegisteredVersion {
    version: string;
    /** The version's `source` (MLflow keeps it as registered: it cannot be changed). */
    source: string;
}

export interface ModelRegistryClient {
    /** The version a reference names (an alias resolved now), with its source. */
    resolve(ref: RegistryModelReference): Promise<RegisteredVersion>;
    /** Points the `serving` alias at `version` and tags it with the deployment. */
    recordDeployment(name: string, version: string, record: DeploymentRecord): Promise<void>;
    /**
     * Registers `source` as a new version of `name` (the registered model created first when it
     * is missing) with `tags`; resolves to its number.
     */
    createVersion(name: string, source: string, tags: Record<string, string>): Promise<string>;
}

/** A request to the registry that failed: the endpoint, the status and MLflow's message. */
export class RegistryError extends Error {
    constructor(
        message: string,
        /** MLflow's `error_code` (RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST…), when it gave one. */
        readonly errorCode?: string,
    ) {
        super(message);
        this.name = "RegistryError";
    }
}

function errorCodeOf(text: string): string | undefined {
    try {
        const code = (JSON.parse(text) as { error_code?: unknown }).error_code;
        return typeof code === "string" ? code : undefined;
    } catch {
        return undefined;
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

    private async call(method: "GET" | "POST", path: string, body?: Record<string, unknown>): Promise<unknown> {
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
            throw new RegistryError(`${method} ${url} answered ${response.status}: ${message}`, errorCodeOf(text));
        }
        return text ? (JSON.parse(text) as unknown) : {};
    }

    async resolve(ref: RegistryModelReference): Promise<RegisteredVersion> {
        const uri =
            ref.version !== undefined ? `models:/${ref.name}/${ref.version}` : `models:/${ref.name}@${ref.alias}`;
        const found = (
            ref.version !== undefined
                ? await this.call(
                      "GET",
                      `/model-versions/get?${new URLSearchParams({ name: ref.name, version: ref.version }).toString()}`,
                  )
                : await this.call(
                      "GET",
                      `/registered-models/alias?${new URLSearchParams({ name: ref.name, alias: ref.alias! }).toString()}`,
                  )
        ) as { model_version?: { version?: string | number; source?: string } };
        const version = found.model_version?.version;
        const source = found.model_version?.source;
        if (version === undefined) throw new RegistryError(`${uri} names no version`);
        if (typeof source !== "string" || source === "")
            throw new RegistryError(`${uri} (version ${String(version)}) has no source`);
        return { version: String(version), source };
    }

    async recordDeployment(name: string, version: string, record: DeploymentRecord): Promise<void> {
        await this.call("POST", "/registered-models/alias", { name, alias: SERVING_ALIAS, version });
        try {
            for (const [key, value] of Object.entries(deploymentTags(record)))
                await this.call("POST", "/model-versions/set-tag", { name, version, key, value });
        } catch (e) {
            // The alias moved: say so, or the registry's alias and this report disagree.
            throw new RegistryError(
                `the alias ${SERVING_ALIAS} now names version ${version}, but its deployment tags were not set: ${(e as Error).message}`,
                e instanceof RegistryError ? e.errorCode : undefined,
            );
        }
    }

    async createVersion(name: string, source: string, tags: Record<string, string>): Promise<string> {
        try {
            await this.call("POST", "/registered-models/create", { name });
        } catch (e) {
            if (!(e instanceof RegistryError && e.errorCode === "RESOURCE_ALREADY_EXISTS")) throw e;
        }
        const created = (await this.call("POST", "/model-versions/create", {
            name,
            source,
            tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        })) as { model_version?: { version?: string | number } };
        const version = created.model_version?.version;
        if (version === undefined)
            throw new RegistryError(`POST /model-versions/create of ${name} returned no version`);
        return String(version);
    }
}
