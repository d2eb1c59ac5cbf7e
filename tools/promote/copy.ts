/**
 * Carrying a verified version from one stage to the next. Staging and prod keep their own registry
 * and bucket (a staging run, role or pull request can write neither of prod's), so `models:/chat/7`
 * in staging's registry means nothing in prod's. A promotion with `--copy-from <staging registry>`
 * takes the exact version across:
 *
 * 1. resolves it in the source registry (an alias becomes its number) and lists its source folder:
 *    every object's key, size and full-object checksum (S3's CRC64NVME);
 * 2. copies the folder server-side into the target model's prefix, `copied/<name>-v<n>-<digest>/`
 *    (a folder per content, so a copy never overwrites another);
 * 3. lists the copy and compares it object by object with the source: any difference stops the
 *    promotion before anything is registered or deployed;
 * 4. registers the copy in the target registry, tagged with where it came from and the digest of
 *    its manifest (`llm-platform.copied-from`, `llm-platform.copied-source`,
 *    `llm-platform.weights-digest`), and releases that version by number, behind the same gate.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import type { RegistryModelReference } from "../../catalog/formats";
import type { ModelRegistryClient } from "./registry";

/** One object of a version's folder: its key below the folder, its size and its full-object checksum. */
export interface WeightsObject {
    key: string;
    size: number;
    /** `<algorithm>:<base64>`, e.g. `CRC64NVME:…`. */
    checksum: string;
}

/** Where weights are kept: S3, through the AWS CLI in the promotion's environment. */
export interface WeightsStore {
    /** Every object below `folder` (`s3://<bucket>/<prefix>`), sorted by key. */
    list(folder: string): Promise<WeightsObject[]>;
    /** Copies every object below `from` to the same keys below `to`, server-side. */
    copy(from: string, to: string): Promise<void>;
}

/** A copy that could not be made or does not match its source. */
export class CopyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CopyError";
    }
}

/** The digest of a folder's manifest: sha256 over its sorted `key size checksum` lines. */
export function manifestDigest(objects: readonly WeightsObject[]): string {
    const lines = [...objects]
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((o) => `${o.key} ${o.size} ${o.checksum}\n`)
        .join("");
    return `sha256:${createHash("sha256").update(lines).digest("hex")}`;
}

/** How the copy differs from its source, one line an object; empty when it is the same. */
export function manifestDifferences(source: readonly WeightsObject[], copy: readonly WeightsObject[]): string[] {
    const copied = new Map(copy.map((o) => [o.key, o]));
    const problems: string[] = [];
    for (const o of source) {
        const c = copied.get(o.key);
        if (!c) problems.push(`${o.key}: missing from the copy`);
        else if (c.size !== o.size) problems.push(`${o.key}: ${c.size} bytes, the source has ${o.size}`);
        else if (c.checksum !== o.checksum)
            problems.push(`${o.key}: checksum ${c.checksum}, the source's ${o.checksum}`);
        copied.delete(o.key);
    }
    for (const key of copied.keys()) problems.push(`${key}: in the copy, not in the source`);
    return problems;
}

const trim = (uri: string): string => uri.replace(/\/+$/, "");

/**
 * Copies the version `ref` of the source registry into the target model's prefix, checks the copy
 * and registers it in the target registry: resolves to the new version's reference and a line for the log.
 */
export async function copyVersion(args: {
    ref: RegistryModelReference;
    source: { registry: ModelRegistryClient; url: string };
    target: ModelRegistryClient;
    store: WeightsStore;
    /** The target model's `s3://<bucket>/<prefix>`. */
    modelSource: string;
}): Promise<{ pinned: string; note: string }> {
    const { ref, store } = args;
    const asked = ref.version !== undefined ? `models:/${ref.name}/${ref.version}` : `models:/${ref.name}@${ref.alias}`;
    const found = await args.source.registry.resolve(ref);
    if (!found.source.startsWith("s3://"))
        throw new CopyError(
            `${asked} in ${args.source.url} (version ${found.version}) has its weights at ${found.source}, not in S3: only a version registered by its s3:// folder can be copied`,
        );
    const objects = await store.list(found.source);
    if (objects.length === 0)
        throw new CopyError(`${asked} in ${args.source.url}: its source ${found.source} holds no object`);
    const digest = manifestDigest(objects);
    const destination = `${trim(args.modelSource)}/copied/${ref.name}-v${found.version}-${digest.slice(7, 19)}`;
    await store.copy(found.source, destination);
    const differences = manifestDifferences(objects, await store.list(destination));
    if (differences.length > 0)
        throw new CopyError(
            `the copy of ${asked} at ${destination} differs from its source ${found.source}, so it is not registered:\n  ${differences.join("\n  ")}`,
        );
    const version = await args.target.createVersion(ref.name, destination, {
        "llm-platform.copied-from": `${args.source.url} models:/${ref.name}/${found.version}`,
        "llm-platform.copied-source": found.source,
        "llm-platform.weights-digest": digest,
    });
    return {
        pinned: `models:/${ref.name}/${version}`,
        note: `copied ${asked} (version ${found.version} of ${args.source.url}, ${objects.length} objects, ${digest}) to ${destination} and registered it as models:/${ref.name}/${version}`,
    };
}

/** `s3://bucket/a/b` → `{bucket, prefix: "a/b/"}`. */
export function splitS3Uri(uri: string): { bucket: string; prefix: string } {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!m) throw new CopyError(`${uri} is not an s3:// URI`);
    return { bucket: m[1], prefix: m[2] === "" ? "" : `${trim(m[2])}/` };
}

/**
 * The store through the AWS CLI (v2, as CI runners have it) with the credentials of the promotion's
 * environment: `aws s3 cp --recursive --checksum-algorithm CRC64NVME --copy-props none` copies
 * server-side and gives every copy a CRC64NVME checksum (full-object: it does not depend on how
 * the object was split into parts; `--copy-props none` spares the source's tags, whose reading
 * would need s3:GetObjectTagging); `aws s3api list-objects-v2` and `head-object --checksum-mode
 * ENABLED` give each object's size and checksum. An object carries CRC64NVME when it was uploaded
 * with it (AWS CLI v2 ≥ 2.23 by default) or with no checksum at all (S3 then adds it); boto3 and
 * MLflow upload with CRC32, which is refused here with how to rewrite the folder.
 */
export class AwsCliWeightsStore implements WeightsStore {
    constructor(private readonly command = "aws") {}

    private run(args: string[]): Promise<string> {
        return new Promise((resolve, reject) =>
            execFile(this.command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
                error
                    ? reject(
                          new CopyError(
                              `${this.command} ${args.join(" ")} failed: ${(stderr || error.message).trim()}`,
                          ),
                      )
                    : resolve(stdout),
            ),
        );
    }

    async list(folder: string): Promise<WeightsObject[]> {
        const { bucket, prefix } = splitS3Uri(folder);
        const listed = JSON.parse(
            (await this.run([
                "s3api",
                "list-objects-v2",
                "--bucket",
                bucket,
                "--prefix",
                prefix,
                "--output",
                "json",
            ])) || "{}",
        ) as { Contents?: Array<{ Key: string; Size: number }> };
        const objects: WeightsObject[] = [];
        for (const o of listed.Contents ?? []) {
            const head = JSON.parse(
                await this.run([
                    "s3api",
                    "head-object",
                    "--bucket",
                    bucket,
                    "--key",
                    o.Key,
                    "--checksum-mode",
                    "ENABLED",
                    "--output",
                    "json",
                ]),
            ) as Record<string, string | undefined>;
            if (head.ChecksumCRC64NVME === undefined) {
                const has = ["CRC32", "CRC32C", "SHA1", "SHA256"].find((a) => head[`Checksum${a}`] !== undefined);
                throw new CopyError(
                    `s3://${bucket}/${o.Key} has ${has ? `a ${has} checksum${head.ChecksumType ? ` (${head.ChecksumType})` : ""}` : "no checksum"}, not S3's CRC64NVME, so its copy cannot be compared with it: rewrite the folder with one (aws s3 cp --recursive --checksum-algorithm CRC64NVME <folder>/ <new folder>/), register the new folder and copy that; upload with AWS CLI v2, or boto3 with ChecksumAlgorithm="CRC64NVME", to have it from the start`,
                );
            }
            objects.push({
                key: o.Key.slice(prefix.length),
                size: o.Size,
                checksum: `CRC64NVME:${head.ChecksumCRC64NVME}`,
            });
        }
        return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }

    async copy(from: string, to: string): Promise<void> {
        await this.run([
            "s3",
            "cp",
            "--recursive",
            "--only-show-errors",
            "--checksum-algorithm",
            "CRC64NVME",
            "--copy-props",
            "none",
            `${trim(from)}/`,
            `${trim(to)}/`,
        ]);
    }
}
