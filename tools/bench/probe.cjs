// Preloaded into each measured process (through NODE_OPTIONS, so the program processes the plan
// starts load it too): at exit, writes its peak resident memory (KiB) and the @pulumi packages it
// loaded to probe-<pid>.json in the folder named by LLM_PLATFORM_BENCH_OUT.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const out = process.env.LLM_PLATFORM_BENCH_OUT;
if (out) {
    process.on("exit", () => {
        const packages = new Set();
        for (const file of Object.keys(require.cache)) {
            const m = /node_modules[\\/](@pulumi[\\/][^\\/]+)[\\/]/.exec(file);
            if (m) packages.add(m[1].replace("\\", "/"));
        }
        fs.writeFileSync(
            path.join(out, `probe-${process.pid}.json`),
            JSON.stringify({
                pid: process.pid,
                maxRssKiB: process.resourceUsage().maxRSS,
                packages: [...packages].sort(),
            }),
        );
    });
}
