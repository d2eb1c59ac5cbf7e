/**
 * What the configuration loader shares with the offline engine, without the loader's dependencies:
 * how a configuration error reads (the engine's commands recognise a program's configuration
 * refusal by it without loading the Pulumi SDK), and how a secure value the engine could not
 * decrypt is handed to the program.
 */
import { createHash } from "node:crypto";

/** How every configuration error message begins. */
export const CONFIG_ERROR_PREFIX = "Invalid configuration for stack ";

/**
 * Whether a message (e.g. one a program logged under the engine) is a configuration error's: this
 * package's (the reference settings, `readReleaseConfig`), or the Pulumi SDK's for a required key
 * that is not set (`config.require…`: "Missing required configuration variable 'ns:key'").
 */
export function isConfigErrorMessage(message: string): boolean {
    return message.startsWith(CONFIG_ERROR_PREFIX) || message.startsWith("Missing required configuration variable ");
}

/**
 * A secure value whose plaintext this run does not have: `[secret <16 hex>]`, the hex the start
 * of the SHA-256 of its ciphertext (public in the stack file; the plaintext is never read). The
 * Pulumi CLI decrypts every secure value before the program starts, so a program under it never
 * receives one; the offline engine, which holds no key, hands these to the program instead. The
 * loader validates such a value by its type alone (a secure value is always a string), since
 * its format cannot be known, and a change of the ciphertext changes the marker, so a plan's
 * secret fingerprints follow it.
 */
const WITHHELD = /^\[secret [0-9a-f]{16}\]$/;

/** The marker for a secure value with this ciphertext. */
export function withheldSecret(ciphertext: string): string {
    return `[secret ${createHash("sha256").update(ciphertext).digest("hex").slice(0, 16)}]`;
}

/** Whether a config value is a {@link withheldSecret} marker. */
export function isWithheldSecret(value: unknown): boolean {
    return typeof value === "string" && WITHHELD.test(value);
}
