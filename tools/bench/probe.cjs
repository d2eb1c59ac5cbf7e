// Preloaded into each measured process: at exit, writes its peak resident memory (KiB) and the
// @pulumi packages it loaded to the file named by LLM_PLATFORM_BENCH_OUT.
"use strict";
const fs = require("node:fs");
const out = process.env.LLM_PLATFORM_BENCH_OUT;
if (out) {
    process.on("exit", () => {
        const packages = new Set();
        for (const file of Object.keys(require.cache)) {
            const m = /node_modules[\\/](@pulumi[\\/][^\\/]+)[\\/]/.exec(file);
            if (m) packages.add(m[1].replace("\\", "/"));
        }
        fs.writeFileSync(
            out,
            JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, packages: [...packages].sort() }),
        );
    });
}
