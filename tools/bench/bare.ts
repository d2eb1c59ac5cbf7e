// The baseline: a program that only loads the provider SDKs the plan loads (listed in
// LLM_PLATFORM_BENCH_PACKAGES), so the plan's extra cost is our own code.
import { startup } from "../cli/startup";

startup();

const packages = (process.env.LLM_PLATFORM_BENCH_PACKAGES ?? "@pulumi/pulumi").split(",");
for (const p of packages) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(p);
}
