// The production-standards pack, compiled: `pulumi preview --policy-pack node_modules/llm-platform/pack`.
// The package's build writes dist/; the pack's entry point (policies/index.ts) constructs the PolicyPack.
require("../dist/policies/index.js");
