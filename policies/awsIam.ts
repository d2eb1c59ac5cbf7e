/**
 * IAM beyond wildcards: the AWS-managed AdministratorAccess policy attached, privilege-escalation
 * actions and write actions on every resource.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { RESTRICTABLE_WRITES, WILDCARD_ONLY_ESCALATIONS } from "./iamActions";
import { ESCALATION_METHODS } from "./iamEscalation";
import { wildcard } from "./awsCommon";
import { forTypes, globSource } from "./util";

/** The AWS-managed policy that grants every action on every resource, in any partition. */
export const ADMINISTRATOR_ACCESS = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;

export const iamNoAdminPolicy: ResourceValidationPolicy = {
    name: "iam-no-admin-policy",
    description:
        "Checks whether the AWS-managed AdministratorAccess policy is attached to a role, user or group (by a policy attachment, an exclusive attachment set or a role's managedPolicyArns): no serving, training or CI identity needs every action on every resource.",
    severity: "critical",
    remediationSteps:
        "Attach a policy with the actions the identity needs (the components' own policies list them); for humans, use IAM Identity Center permission sets outside the platform's stacks.",
    validateResource: forTypes(
        [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            "aws:iam/policyAttachment:PolicyAttachment",
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
            "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
            "aws:iam/role:Role",
        ],
        (args, report) => {
            const arns =
                args.type === "aws:iam/role:Role"
                    ? ((args.props.managedPolicyArns as unknown[] | undefined) ?? [])
                    : args.type.endsWith("Exclusive")
                      ? ((args.props.policyArns as unknown[] | undefined) ?? [])
                      : [args.props.policyArn];
            if (arns.some((arn) => ADMINISTRATOR_ACCESS.test(String(arn))))
                report("AdministratorAccess is attached: it allows every action on every resource");
        },
    ),
};

/** The resources that hold identity policy documents, and where (`policy`, or a role's inline policies). */
export const IDENTITY_POLICY_TYPES = [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/role:Role",
];

/** A policy document as a resource holds it: a JSON string, or an object (`aws.iam.getPolicyDocument` output, a literal). */
const policyText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? {}));

/** The documents of an identity-policy resource, each with where it sits (a role's inline policy's name). */
export function identityDocuments(args: Pick<ResourceValidationArgs, "type" | "props">): Array<{
    where: string;
    text: string;
}> {
    return args.type === "aws:iam/role:Role"
        ? ((args.props.inlinePolicies as Array<{ name?: string; policy?: unknown }> | undefined) ?? []).map((ip) => ({
              where: ` (inline policy ${String(ip.name ?? "")})`,
              text: policyText(ip.policy),
          }))
        : [{ where: "", text: policyText(args.props.policy) }];
}

export interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, unknown>;
}

/** A document's statements (none when it is not JSON). */
export function statementsOf(policyJson: string): Statement[] {
    let doc: { Statement?: unknown } = {};
    try {
        doc = JSON.parse(policyJson) as { Statement?: unknown };
    } catch {
        return [];
    }
    return (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter(
        (st): st is Statement => typeof st === "object" && st !== null,
    );
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** An IAM action pattern (`s3:Put*`, `*`) as a matcher of lowercase `service:action` names: AWS compares them ignoring case. */
function actionMatcher(pattern: string): (action: string) => boolean {
    const re = new RegExp(`^${globSource(pattern.toLowerCase(), { "*": ".*", "?": "." })}$`);
    return (action) => re.test(action);
}

/** Every write and permissions-management action that takes a resource, as lowercase `service:action`. */
let restrictableWrites: string[] | undefined;
const allRestrictableWrites = (): string[] =>
    (restrictableWrites ??= Object.entries(RESTRICTABLE_WRITES).flatMap(([service, actions]) =>
        actions.split(",").map((a) => `${service}:${a}`),
    ));

/** Whether a statement applies to every resource: `Resource: "*"`, or NotResource (everything but a list). */
const everyResource = (st: Statement): boolean =>
    list(st.Resource).some(isEveryResource) || st.NotResource !== undefined;

/**
 * `*`, or an ARN whose resource part names no resource (`*`, `*` then `/*`, or `<type>/*` outside S3)
 * in any account and region: `arn:aws:iam::*:role/*` is every role, `arn:aws:s3:::*` every bucket.
 */
export function isEveryResource(resource: string): boolean {
    if (resource === "*") return true;
    const arn = /^arn:[^:]+:([^:]+):[^:]*:[^:]*:(.*)$/.exec(resource);
    if (!arn) return false;
    const [, service, part] = arn;
    // S3's resource part is a bucket name (bucket/*: that bucket's objects), not a type.
    return part === "*" || part === "*/*" || (service !== "s3" && /^[A-Za-z-]+\/\*$/.test(part));
}
const unconditioned = (st: Statement): boolean => !st.Condition || Object.keys(st.Condition).length === 0;

/**
 * Which of `candidates` (lowercase `service:action`) a document allows on every resource without a
 * condition (`anywhere`: also those allowed on any resource, for actions that take none), minus
 * those an unconditioned Deny on every resource takes back. Effect defaults to Allow (AWS refuses a
 * statement without one; flagging it costs nothing).
 */
export function unconstrained(
    statements: readonly Statement[],
    candidates: readonly string[],
    anywhere: readonly string[] = [],
): Set<string> {
    const granted = new Set<string>();
    const denied = new Set<string>();
    for (const st of statements) {
        const allow = (st.Effect ?? "Allow") === "Allow";
        if (!unconditioned(st)) continue;
        // A Deny takes an action back only where it covers every resource too.
        const pool = candidates.filter((a) => everyResource(st) || (allow && anywhere.includes(a)));
        const negated = st.NotAction !== undefined;
        const matchers = list(negated ? st.NotAction : st.Action).map(actionMatcher);
        for (const a of pool) if (matchers.some((m) => m(a)) !== negated) (allow ? granted : denied).add(a);
    }
    for (const a of denied) granted.delete(a);
    return granted;
}

const IAM_TYPES_NOTE = "managed, role, user and group policies, and roles' inline policies";

export const iamNoPrivilegeEscalation: ResourceValidationPolicy = {
    name: "iam-no-privilege-escalation",
    description: `Checks whether IAM identity policies (${IAM_TYPES_NOTE}) grant a privilege-escalation path without a resource or condition: the methods checkov's CKV_AWS_286 takes from cloudsplaining (iam:CreatePolicyVersion, iam:AttachUserPolicy, iam:PassRole with ec2:RunInstances or lambda:CreateFunction, …), and iam:PassRole on every role by itself (stricter than checkov, on purpose).`,
    severity: "critical",
    remediationSteps:
        'Name the roles iam:PassRole may pass (their ARNs, with an iam:PassedToService condition) and the policies, users and functions the other actions may touch; never pair them with Resource "*".',
    validateResource: forTypes(IDENTITY_POLICY_TYPES, (args, report) => {
        const candidates = [...new Set(Object.values(ESCALATION_METHODS).flat())];
        for (const d of identityDocuments(args)) {
            const granted = unconstrained(statementsOf(d.text), candidates, WILDCARD_ONLY_ESCALATIONS);
            const methods = Object.entries(ESCALATION_METHODS).filter(([, actions]) =>
                actions.every((a) => granted.has(a)),
            );
            if (methods.length > 0)
                report(
                    `the policy allows privilege escalation on every resource${d.where}: ${methods
                        .map(([name, actions]) => `${name} (${actions.join(", ")})`)
                        .join("; ")}`,
                );
        }
    }),
};

/** At most this many actions are named in a finding; the rest are counted. */
const NAMED = 5;

export const iamNoUnscopedWrites: ResourceValidationPolicy = {
    name: "iam-no-unscoped-writes",
    description: `Checks whether IAM identity policies (${IAM_TYPES_NOTE}) allow write or permissions-management actions on every resource ("*") without a condition, where the action could name its resources (checkov's CKV_AWS_290 and CKV_AWS_289; actions that take no resource, such as cloudwatch:PutMetricData without a dataset, are not counted). Policies reviewed as they stand are named by URN pattern in \`reviewedUrns\`: the prod tier names the AWS Load Balancer Controller's upstream policy, which creates security groups, load balancers and listeners whose names it cannot know in advance.`,
    severity: "high",
    configSchema: {
        properties: { reviewedUrns: { type: "array", items: { type: "string" }, default: [] } },
    },
    remediationSteps:
        "Replace Resource \"*\" with the ARNs the principal writes to (the model bucket's policy names its bucket and key), or add a condition such as aws:ResourceTag; a policy reviewed as it stands (a controller's upstream policy) goes into reviewedUrns, by URN pattern.",
    validateResource: forTypes(IDENTITY_POLICY_TYPES, (args, report) => {
        const { reviewedUrns } = args.getConfig<{ reviewedUrns: string[] }>();
        if (reviewedUrns.some((pattern) => wildcard(pattern).test(args.urn))) return;
        for (const d of identityDocuments(args)) {
            const granted = [...unconstrained(statementsOf(d.text), allRestrictableWrites())].sort();
            if (granted.length > 0)
                report(
                    `the policy allows ${granted.length} write action${granted.length === 1 ? "" : "s"} on every resource${d.where}: ${granted
                        .slice(0, NAMED)
                        .join(", ")}${granted.length > NAMED ? `, and ${granted.length - NAMED} more` : ""}`,
                );
        }
    }),
};
