/**
 * `llm-platform/testing`: unit tests of programs built on the library, in Pulumi's `setMocks`
 * style, with the provider answers of the package's offline engine — ids, ARNs, names and
 * endpoints in AWS's and Kubernetes' formats (an EKS node group reports its Auto Scaling group, a
 * bucket its ARN, a role its name) and the invokes the components send (caller identity, region,
 * availability zones, AMI and SSM parameters, IAM policy documents). Importing this module sets
 * nothing; `await setPlatformMocks()` does, before the program under test is imported.
 *
 *     import { promiseOf, setPlatformMocks } from "llm-platform/testing";
 *     before(async () => {
 *         await setPlatformMocks({ stack: "test" });
 *         infra = await import("../index");
 *     });
 *
 * Only the provider answers are the engine's; everything else is the Pulumi SDK's own mock runtime.
 *
 * @module llm-platform/testing
 */
import * as pulumi from "@pulumi/pulumi";
import { call, newResource, OFFLINE_ACCOUNT_ID, type CloudContext } from "../engine/mocks";

export interface PlatformMocksOptions {
    /** @default "project" */
    project?: string;
    /** @default "stack" */
    stack?: string;
    /** The AWS region the invokes answer for. @default "us-east-1" */
    region?: string;
    /** The account in ARNs and ids. @default "111122223333" (AWS's documentation example) */
    accountId?: string;
    /**
     * Run as `pulumi preview` (`pulumi.runtime.isDryRun()` true). The SDK's mock runtime still
     * resolves every output with the mocks' answers.
     * @default false
     */
    preview?: boolean;
}

/** The provider answers as a `pulumi.runtime.Mocks`, to pass to `setMocks` yourself or to wrap. */
export function platformMocks(options: PlatformMocksOptions = {}): pulumi.runtime.Mocks {
    const ctx: CloudContext = {
        project: options.project ?? "project",
        stack: options.stack ?? "stack",
        region: options.region ?? "us-east-1",
        accountId: options.accountId ?? OFFLINE_ACCOUNT_ID,
    };
    return {
        newResource: (args) => newResource(args, ctx),
        call: (args) => call(args, ctx),
    };
}

/** Puts the Pulumi SDK in unit-test mode with {@link platformMocks}; await it before importing the program. */
export async function setPlatformMocks(options: PlatformMocksOptions = {}): Promise<void> {
    await pulumi.runtime.setMocks(
        platformMocks(options),
        options.project ?? "project",
        options.stack ?? "stack",
        options.preview ?? false,
    );
}

/** An output's value, for assertions (under mocks every output resolves; an unknown one would never). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}
