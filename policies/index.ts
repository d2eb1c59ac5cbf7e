// Entry point of the CrossGuard pack: `pulumi preview --policy-pack policies` runs this module.
// Stack traces are rendered for every not-applicable check; mapping them through source maps
// (which tsx turns on) would dominate the pack's time.
process.setSourceMapsEnabled(false);
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";
import { memoizeStructDecoding, shareDecodedProperties } from "./runtime";
import { cachePodSites } from "./util";

memoizeStructDecoding();
shareDecodedProperties();
cachePodSites();
new PolicyPack(PACK_NAME, { policies: POLICIES });
