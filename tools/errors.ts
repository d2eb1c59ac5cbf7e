/**
 * The error every tool shares: bad project or stack files, CLI arguments or configuration. The
 * engine raises it for files the Pulumi CLI would refuse; the commands print its message alone
 * and exit 2.
 */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}
