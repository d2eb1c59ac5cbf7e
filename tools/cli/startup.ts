/**
 * Run first by the command line (and the benchmark's baseline, so that both start alike).
 *
 * tsx turns Node's source maps on; Node then reads the source map of every module it loads
 * (the provider SDKs ship thousands) and maps every stack trace the Pulumi SDK renders to record
 * resource source positions. That is a fifth of a plan's time. Set LLM_PLATFORM_SOURCE_MAPS=1
 * to keep them, for TypeScript line numbers in the stack trace of a failing program.
 */
export function startup(): void {
    if (process.env.LLM_PLATFORM_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
}
