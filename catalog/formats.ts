/**
 * Reference formats the platform accepts in settings and arguments, and the values AWS allows:
 * shared by the settings schema, the components and the policies.
 */

/** An image reference pinned by digest: `repository@sha256:<64 hex>`. */
export const DIGEST_REFERENCE = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?@sha256:[0-9a-f]{64}$/;

/** A Secrets Manager secret or an SSM parameter, by ARN. */
export const SECRET_REFERENCE =
    /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter\/.+)$/;

/** Retention periods CloudWatch Logs accepts. */
export const CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A prefix of the model bucket (one model's weights): path segments without a leading or trailing '/'. */
export const MODEL_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
