/** What every serving platform of the stack program builds on: the settings, tags and shared components. */
import type * as pulumi from "@pulumi/pulumi";
import type { InferenceImage } from "../components/aws/inferenceImage";
import type { ModelArtifactBucket } from "../components/aws/modelArtifactBucket";
import type { Network } from "../components/aws/network";
import type { PlatformSettings } from "../environments/loader";

export interface Shared {
    settings: PlatformSettings;
    tags: Record<string, string>;
    protect: boolean;
    network: Network;
    models: ModelArtifactBucket;
    image: InferenceImage;
}

/** The release a colour runs: its configured image by digest, or the image the stack builds. */
export function releaseOf(
    shared: Shared,
    release: { image?: string; modelVersion: string },
): { image: pulumi.Input<string>; modelVersion: string } {
    return { image: release.image ?? shared.image.imageRef, modelVersion: release.modelVersion };
}
