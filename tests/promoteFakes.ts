/**
 * The promotion's fakes: a stack in memory and a prober that answers by URL, for the state
 * machine's tests (tests/promote.test.ts, tests/qualityGate.test.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { releaseContract, type ReleaseContract } from "../components/release";
import { resolveSettings } from "../environments/loader";
import { servedModels } from "../environments/models";
import { releaseContractArgs } from "../stacks/releases";
import { stateOf, type ContractState } from "../tools/promote/contract";
import {
    PromotionError,
    type Held,
    type Journal,
    type JournalStore,
    type ReleaseState,
    type ProbeResult,
    type Prober,
    type PromotionStack,
    type ServingState,
} from "../tools/promote/machine";

export const PREVIEW = "https://preview.llm.test";
export const ACTIVE = "https://llm.test";

/** A stack in memory: records every call; `upFails` makes chosen deployments fail. */
export class FakeStack implements PromotionStack {
    readonly name = "prod";
    readonly calls: string[] = [];
    /** Every release state deployed, in order. */
    readonly deployed: ReleaseState[] = [];
    locked = false;
    upFails: (reason: string) => boolean = () => false;
    /** Every list of states checked before the first change; `refuse` makes the check fail with it. */
    readonly checked: Array<ReadonlyArray<ReleaseState>> = [];
    refuse: string | undefined;
    /** The journal, in memory; `writes` counts each write. */
    journalData: Journal = {};
    journalWrites = 0;
    readonly journal: JournalStore = {
        read: async () => structuredClone(this.journalData),
        write: async (j) => {
            this.journalWrites++;
            this.journalData = structuredClone(j);
        },
    };
    constructor(public state: ServingState) {}
    async check(states: ReadonlyArray<ReleaseState>): Promise<void> {
        this.checked.push(structuredClone(states));
        if (this.refuse !== undefined) throw new PromotionError(this.refuse);
    }
    async readState(): Promise<ServingState> {
        return structuredClone(this.state);
    }
    async deploy(state: ReleaseState, reason: string): Promise<void> {
        this.calls.push(`up: ${reason}`);
        this.deployed.push(structuredClone(state));
        if (this.upFails(reason)) throw new Error(`update failed: ${reason}`);
        this.state = { ...this.state, ...structuredClone(state) };
    }
    async lock(): Promise<Held> {
        if (this.locked) throw new PromotionError("a promotion of stack prod is already in progress");
        this.locked = true;
        return {
            release: async () => {
                this.locked = false;
            },
        };
    }
}

/** Answers by URL prefix; a function decides per call (so a check can fail only after the flip). */
export class FakeProber implements Prober {
    readonly requests: string[] = [];
    constructor(
        private readonly answer: (url: string, stack: FakeStack) => ProbeResult | Error,
        private readonly stack: FakeStack,
    ) {}
    async wait(seconds: number): Promise<void> {
        this.requests.push(`wait ${seconds} s`);
    }
    async get(url: string): Promise<ProbeResult> {
        this.requests.push(url);
        const a = this.answer(url, this.stack);
        if (a instanceof Error) throw a;
        return a;
    }
}

export function state(overrides: Partial<ServingState> = {}): ServingState {
    return {
        model: "inference",
        activeColor: "blue",
        strategy: "blue-green",
        platform: "eks",
        scaleDownInactive: false,
        releases: { blue: { image: undefined, modelVersion: "v1" }, green: { image: undefined, modelVersion: "v1" } },
        smoke: {
            path: "/health",
            expectedStatus: 200,
            latencyBudgetMs: 500,
            attempts: 2,
            previewUrl: PREVIEW,
            activeUrl: ACTIVE,
        },
        ...overrides,
    };
}

/**
 * A reference stack's release contract for `model`, as its program exports it (stacks/releases.ts),
 * from raw stack config, with the service's deployed facts taken from the settings and its entry
 * point URLs given: what `llm-platform promote` then reads.
 */
export async function referenceContract(
    stackName: string,
    raw: Record<string, string>,
    model: string,
    urls?: { active: string; preview: string },
): Promise<ReleaseContract> {
    const settings = resolveSettings(stackName, raw);
    const m = servedModels(settings).find((x) => x.name === model);
    if (!m) throw new Error(`no model ${model}`);
    const service = {
        releases: {
            blue: { image: pulumi.output(m.blue.image), modelVersion: m.blue.modelVersion },
            green: { image: pulumi.output(m.green.image), modelVersion: m.green.modelVersion },
        },
        strategy: settings.serving.strategy,
        activeColor: m.activeColor,
        scaleDownInactive: m.scaleDownInactive,
        servedModelName: m.servedModelName,
        urls: urls && { active: pulumi.output(urls.active), preview: pulumi.output(urls.preview) },
    } as unknown as BlueGreenEksService;
    const contract = releaseContract(releaseContractArgs(settings, m, service));
    return new Promise((resolve) => contract.apply(resolve));
}

/** The state promote reads for a reference model from raw stack config (its contract, then the config over it). */
export async function referenceState(
    stackName: string,
    raw: Record<string, string>,
    model: string,
    urls?: { active: string; preview: string },
): Promise<ContractState> {
    return stateOf(await referenceContract(stackName, raw, model, urls), raw);
}
