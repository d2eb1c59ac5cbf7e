import type { ResourceValidationPolicy } from "@pulumi/policy";
import { providerDefaultTags } from "llm-platform/policies";

/**
 * The team's own rule: every AWS resource's Owner tag names a team of the company (team-…),
 * whether the resource carries it or its provider adds it to everything (defaultTags).
 */
export const ownerIsATeam: ResourceValidationPolicy = {
    name: "acme-owner-is-a-team",
    description: "Checks whether the Owner tag of an AWS resource names a team (team-<name>).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!args.type.startsWith("aws:") || !("tags" in args.props)) return;
        const tags = {
            ...providerDefaultTags(args.provider),
            ...(args.props.tags as Record<string, string> | undefined),
        };
        if (tags.Owner !== undefined && !/^team-[a-z0-9-]+$/.test(tags.Owner))
            report(`Owner "${tags.Owner}" is not a team (team-<name>)`);
    },
};
