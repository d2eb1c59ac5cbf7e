/**
 * How a configuration error reads, without the loader's dependencies: the offline engine's commands
 * recognise a program's configuration refusal by it without loading the Pulumi SDK themselves.
 */

/** How every configuration error message begins. */
export const CONFIG_ERROR_PREFIX = "Invalid configuration for stack ";

/** Whether a message (e.g. one the program logged under the engine) is a configuration error's. */
export function isConfigErrorMessage(message: string): boolean {
    return message.startsWith(CONFIG_ERROR_PREFIX);
}
