// Entry point of the CrossGuard pack: `pulumi preview --policy-pack policies` runs this module.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";

new PolicyPack(PACK_NAME, { policies: POLICIES });
