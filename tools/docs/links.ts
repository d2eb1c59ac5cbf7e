/**
 * Dead links and anchors in the Markdown, checked offline (issue 38): remark-validate-links run
 * through unified-engine, which is what makes it check anchors in other files (the plugin adds
 * each linked file to the engine's file set and compares the set's headings once all are parsed;
 * `.use` on one processor checks only the file's own anchors). Headings get GitHub's slugs
 * (github-slugger); raw HTML anchors (`<a id="…">`, as TypeDoc's Markdown writes them) count too.
 * Links to this repository on GitHub (`https://github.com/llm-platform/llm-platform/blob/<ref>/…`)
 * are checked as local files, at the working tree whatever the ref; links to other hosts are not
 * fetched. Links that live outside Markdown (runbook URLs, SARIF help links) are checked by
 * writing them as links into in-memory files at the root.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { remark } from "remark";
import remarkValidateLinks from "remark-validate-links";
import { engine, type Options as EngineOptions } from "unified-engine";
import { VFile } from "vfile";

/** One dead link: where it is (file relative to the root, 1-based line and column) and why. */
export interface LinkProblem {
    file: string;
    line: number;
    column: number;
    message: string;
}

/** This repository on GitHub: its `blob/` URLs are checked against the working tree. */
export const REPOSITORY = "llm-platform/llm-platform";

/** The few mdast fields the anchor plugin reads and writes. */
interface MdNode {
    type: string;
    value?: string;
    url?: string;
    children?: MdNode[];
    position?: unknown;
    data?: { hProperties?: Record<string, unknown> };
}

const START_TAG = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/**
 * The anchors a piece of raw HTML defines: every element's `id` and an `<a>`'s `name`, as GitHub
 * keeps them (prefixed with `user-content-`, which its pages resolve from the bare fragment).
 */
export function htmlAnchors(html: string): string[] {
    const found: string[] = [];
    for (const tag of html.matchAll(START_TAG)) {
        const element = tag[1].toLowerCase();
        for (const attribute of (tag[2] ?? "").matchAll(ATTRIBUTE)) {
            const name = attribute[1].toLowerCase();
            const value = attribute[2] ?? attribute[3] ?? attribute[4];
            if (value && (name === "id" || (name === "name" && element === "a"))) found.push(value);
        }
    }
    return found;
}

/**
 * remark plugin, run before remark-validate-links: each raw HTML anchor becomes the
 * `data.hProperties.id` of an `html` node, which remark-validate-links collects as a landmark of
 * the file. It reads one id per node, so a node with several anchors gets an empty `html` sibling
 * per extra anchor. Ids are lower-cased: the plugin lower-cases every link's fragment.
 */
export function remarkHtmlAnchors() {
    return (tree: MdNode): void => {
        const walk = (node: MdNode): void => {
            const children = node.children;
            if (!children) return;
            for (let i = 0; i < children.length; i++) {
                const child = children[i];
                if (child.type === "html" && child.value) {
                    const [first, ...rest] = htmlAnchors(child.value).map((a) => a.toLowerCase());
                    if (first === undefined) continue;
                    child.data = { ...child.data, hProperties: { ...child.data?.hProperties, id: first } };
                    const extra = rest.map((id): MdNode => ({
                        type: "html",
                        value: "",
                        position: child.position,
                        data: { hProperties: { id } },
                    }));
                    children.splice(i + 1, 0, ...extra);
                    i += extra.length;
                } else {
                    walk(child);
                }
            }
        };
        walk(tree);
    };
}

const TREE_PREFIX = `https://github.com/${REPOSITORY}/tree/`;

/**
 * remark plugin: links to this repository's folders on GitHub (`…/tree/<ref>/<folder>`) are
 * checked as its files are (remark-validate-links only knows `…/blob/<ref>/…`, and GitHub shows a
 * folder under either).
 */
export function remarkRepositoryFolders() {
    return (tree: MdNode): void => {
        const walk = (node: MdNode): void => {
            if (typeof node.url === "string" && node.url.startsWith(TREE_PREFIX)) {
                node.url = `https://github.com/${REPOSITORY}/blob/${node.url.slice(TREE_PREFIX.length)}`;
            }
            node.children?.forEach(walk);
        };
        walk(tree);
    };
}

/** The parts of a VFile message the report reads. */
interface Message {
    reason: string;
    line?: number;
    column?: number;
}

/**
 * Checks every relative link, anchor and link to this repository's files in `files` (paths
 * relative to `root`) and in `virtual` (in-memory Markdown, its path relative to `root`, its links
 * resolved from there). Prints and writes nothing. Problems in files the links lead to but that are
 * not listed are not reported: a link from a listed file to an anchor that does not exist is.
 */
export async function checkLinks(options: {
    root: string;
    files: string[];
    virtual?: Array<{ path: string; contents: string }>;
}): Promise<LinkProblem[]> {
    const root = path.resolve(options.root);
    const virtual = (options.virtual ?? []).map(
        (v) => new VFile({ cwd: root, path: path.resolve(root, v.path), value: v.contents }),
    );
    const given = new Set(
        [...options.files, ...(options.virtual ?? []).map((v) => v.path)].map((f) => path.resolve(root, f)),
    );
    const files = await new Promise<VFile[]>((resolve, reject) => {
        engine(
            {
                processor: remark,
                cwd: root,
                files: [...options.files, ...virtual],
                // remark-validate-links' options are typed narrower than unified's plugin list admits.
                plugins: [
                    [remarkHtmlAnchors],
                    [remarkRepositoryFolders],
                    [remarkValidateLinks, { repository: REPOSITORY, root }],
                ] as EngineOptions["plugins"],
                // Nothing read from the environment: no .remarkrc, package.json field or ignore file.
                detectConfig: false,
                detectIgnore: false,
                // Nothing written or printed: no output files, no stdout, a reporter that says nothing.
                out: false,
                output: false,
                color: false,
                quiet: true,
                reporter: () => "",
            },
            (error, _code, context) => (error ? reject(error) : resolve(context?.files ?? [])),
        );
    });
    const problems: LinkProblem[] = [];
    for (const file of files) {
        const absolute = path.resolve(root, file.path);
        if (!given.has(absolute)) continue;
        const messages = file.messages as Message[];
        // A link with an anchor into a missing file gets both "Cannot find file `x`" and "Cannot
        // find heading for `#a` in `x`" at the same place: the first says it all.
        const missingFiles = new Set(
            messages
                .filter((m) => m.reason.startsWith("Cannot find file `"))
                .map((m) => `${m.line}:${m.column}:${m.reason.split("`")[1]}`),
        );
        for (const message of messages) {
            const inFile = /^Cannot find heading for `[^`]*` in `([^`]*)`/.exec(message.reason);
            if (inFile && missingFiles.has(`${message.line}:${message.column}:${inFile[1]}`)) continue;
            problems.push({
                file: path.relative(root, absolute).split(path.sep).join("/"),
                line: message.line ?? 1,
                column: message.column ?? 1,
                message: message.reason,
            });
        }
    }
    return problems.sort(
        (a, b) =>
            (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
            a.line - b.line ||
            a.column - b.column ||
            (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
    );
}

/**
 * Every Markdown file of the repository at `root` that git tracks or would add (ignored files
 * left out), except node_modules and tests/fixtures/ (copies of upstream files the tests read, not
 * this project's documentation) and files deleted from the working tree. Sorted, relative to `root`.
 */
export function markdownFiles(root: string): string[] {
    const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.md"], {
        cwd: root,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return (
        [...new Set(listed.split("\0").filter(Boolean))]
            .filter((f) => !f.split("/").includes("node_modules") && !f.startsWith("tests/fixtures/"))
            // Listed by --cached but deleted from the working tree (not yet `git rm`ed).
            .filter((f) => fs.existsSync(path.join(root, f)))
            .sort()
    );
}

/** One line per problem: `file:line:column: message`. */
export function formatProblems(problems: LinkProblem[]): string {
    return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join("\n");
}
