/**
 * Privilege-escalation methods, as cloudsplaining 0.7 lists them (`PRIVILEGE_ESCALATION_METHODS`
 * in cloudsplaining/shared/constants.py, the list checkov's CKV_AWS_286 uses), after Rhino
 * Security Labs' catalogue: each method escalates when every one of its actions is granted
 * without a constraint. Lowercase `service:action`.
 */
export const ESCALATION_METHODS: Readonly<Record<string, readonly string[]>> = {
    CreateAccessKey: ["iam:createaccesskey"],
    CreateLoginProfile: ["iam:createloginprofile"],
    UpdateLoginProfile: ["iam:updateloginprofile"],
    AddUserToGroup: ["iam:addusertogroup"],
    CreateNewPolicyVersion: ["iam:createpolicyversion"],
    SetExistingDefaultPolicyVersion: ["iam:setdefaultpolicyversion"],
    AttachUserPolicy: ["iam:attachuserpolicy"],
    AttachGroupPolicy: ["iam:attachgrouppolicy"],
    AttachRolePolicy: ["iam:attachrolepolicy", "sts:assumerole"],
    PutUserPolicy: ["iam:putuserpolicy"],
    PutGroupPolicy: ["iam:putgrouppolicy"],
    PutRolePolicy: ["iam:putrolepolicy", "sts:assumerole"],
    UpdateRolePolicyToAssumeIt: ["iam:updateassumerolepolicy", "sts:assumerole"],
    // Stricter than cloudsplaining on purpose: PassRole on every role hands any role, an admin's
    // included, to whatever service the principal can run, now or after a later grant.
    PassAnyRole: ["iam:passrole"],
    CreateEC2WithExistingIP: ["iam:passrole", "ec2:runinstances"],
    PassExistingRoleToNewLambdaThenInvoke: ["iam:passrole", "lambda:createfunction", "lambda:invokefunction"],
    PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo: [
        "iam:passrole",
        "lambda:createfunction",
        "lambda:createeventsourcemapping",
    ],
    PassExistingRoleToNewGlueDevEndpoint: ["iam:passrole", "glue:createdevendpoint"],
    PassExistingRoleToCloudFormation: ["iam:passrole", "cloudformation:createstack"],
    PassExistingRoleToNewDataPipeline: ["iam:passrole", "datapipeline:createpipeline"],
    UpdateExistingGlueDevEndpoint: ["glue:updatedevendpoint"],
    EditExistingLambdaFunctionWithRole: ["lambda:updatefunctioncode"],
};

/** Every action some method needs. */
export const ESCALATION_ACTIONS: readonly string[] = [...new Set(Object.values(ESCALATION_METHODS).flat())].sort();
