import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { memoizeStructDecoding } from "../policies/runtime";
import { SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN_VALUE } from "../tools/engine/stackExport";
import { analyzerProperties } from "../tools/policy/decode";
import { appendField, diagnosticsOf, encodeStruct, repeatedField } from "../tools/policy/wire";

const decode = (bytes: Uint8Array): unknown => Struct.deserializeBinary(bytes).toJavaScript();

describe("Policy gate wire encoding", () => {
    it("encodes a Struct that protobuf decodes to the same value, every kind of value included", () => {
        const value = {
            nothing: null,
            yes: true,
            no: false,
            zero: 0,
            int: 42,
            negative: -7,
            float: 0.25,
            big: 2 ** 53 - 1,
            empty: "",
            unicode: "Grüße, 模型 🚀",
            long: "x".repeat(200), // two-byte length
            longer: "é".repeat(10_000), // three-byte length
            list: [1, "two", null, false, [3], { four: 4 }],
            emptyList: [],
            nested: { a: { b: { c: ["deep"] } }, emptyObject: {} },
        };
        assert.deepEqual(decode(encodeStruct(value)), value);
    });

    it("leaves undefined members out and sends undefined list items as null", () => {
        assert.deepEqual(decode(encodeStruct({ a: undefined, b: 1, c: [undefined, 2] })), { b: 1, c: [null, 2] });
    });

    it("encodes exactly as many bytes as google-protobuf for the same value", () => {
        const value = { type: "Deployment", spec: { replicas: 2, ports: [{ containerPort: 8000 }] }, on: true };
        assert.equal(encodeStruct(value).length, Struct.fromJavaScript(value).serializeBinary().length);
    });

    it("sends exported secrets as the analyzer protocol's {sig, value}; a ciphertext-only one as unknown", () => {
        const secret = { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "AAAA" };
        const plain = { [SECRET_SIG]: SECRET_SIG_VALUE, value: "kept" };
        const { properties } = analyzerProperties({ password: secret, token: plain, list: [secret] });
        assert.deepEqual(decode(encodeStruct(properties)), {
            password: { [SECRET_SIG]: SECRET_SIG_VALUE, value: UNKNOWN_VALUE },
            token: plain,
            list: [{ [SECRET_SIG]: SECRET_SIG_VALUE, value: UNKNOWN_VALUE }],
        });
    });

    it("refuses values JSON cannot hold, naming the kind", () => {
        assert.throws(() => encodeStruct({ f: () => 1 }), {
            name: "TypeError",
            message: "a function cannot be sent in a protobuf Struct",
        });
        assert.throws(() => encodeStruct({ n: 1n }), { message: "a bigint cannot be sent in a protobuf Struct" });
    });

    it("appends a message field that decodes as part of the message", () => {
        const req = new pb.AnalyzeRequest();
        req.setType("aws:s3/bucket:Bucket");
        req.setUrn("urn:pulumi:prod::p::aws:s3/bucket:Bucket::b");
        const decoded = pb.AnalyzeRequest.deserializeBinary(
            appendField(req.serializeBinary(), 2, encodeStruct({ bucket: "models" })),
        );
        assert.equal(decoded.getType(), "aws:s3/bucket:Bucket");
        assert.equal(decoded.getUrn(), "urn:pulumi:prod::p::aws:s3/bucket:Bucket::b");
        assert.deepEqual(decoded.getProperties()?.toJavaScript(), { bucket: "models" });
    });

    it("builds a repeated field that decodes as the list of messages, in order", () => {
        const resources = ["a", "b", "c".repeat(300)].map((name) => {
            const r = new pb.AnalyzerResource();
            r.setName(name);
            return appendField(r.serializeBinary(), 2, encodeStruct({ name }));
        });
        const decoded = pb.AnalyzeStackRequest.deserializeBinary(repeatedField(1, resources));
        assert.deepEqual(
            decoded.getResourcesList().map((r) => [r.getName(), r.getProperties()?.toJavaScript()]),
            [
                ["a", { name: "a" }],
                ["b", { name: "b" }],
                ["c".repeat(300), { name: "c".repeat(300) }],
            ],
        );
        assert.equal(repeatedField(1, []).length, 0);
    });

    it("reads a response's diagnostics and skips its not-applicable list", () => {
        const res = new pb.AnalyzeResponse();
        for (const name of ["s3-bucket-hardened", "resource-tags"]) {
            const d = new pb.AnalyzeDiagnostic();
            d.setPolicyname(name);
            d.setMessage(`${name} failed`);
            d.setEnforcementlevel(pb.EnforcementLevel.MANDATORY);
            res.addDiagnostics(d);
        }
        for (const name of ["ecs-task-hardened", "kms-key-rotation"]) {
            const na = new pb.PolicyNotApplicable();
            na.setPolicyName(name);
            na.setReason("other type");
            res.addNotApplicable(na);
        }
        const found = diagnosticsOf(res.serializeBinary());
        assert.deepEqual(
            found.map((d) => [d.getPolicyname(), d.getMessage(), d.getEnforcementlevel()]),
            [
                ["s3-bucket-hardened", "s3-bucket-hardened failed", pb.EnforcementLevel.MANDATORY],
                ["resource-tags", "resource-tags failed", pb.EnforcementLevel.MANDATORY],
            ],
        );
        assert.deepEqual(diagnosticsOf(new Uint8Array()), []);
    });

    it("names a damaged response", () => {
        assert.throws(() => diagnosticsOf(Uint8Array.of(0x12, 0x80)), { message: "truncated AnalyzeResponse" });
        assert.throws(() => diagnosticsOf(Uint8Array.of(0x13)), {
            message: "unexpected wire type 3 in an AnalyzeResponse",
        });
    });
});

describe("Pack runtime: Struct decoding memoized", () => {
    class Fake {
        static calls = 0;
        toJavaScript(): unknown {
            Fake.calls++;
            return { decoded: Fake.calls };
        }
    }

    it("patches the copy of google-protobuf the SDK decodes requests with", () => {
        const ours = require.resolve("google-protobuf/google/protobuf/struct_pb");
        for (const sdk of ["@pulumi/pulumi/package.json", "@pulumi/policy/package.json"]) {
            const theirs = require.resolve("google-protobuf/google/protobuf/struct_pb", {
                paths: [path.dirname(require.resolve(sdk))],
            });
            assert.equal(theirs, ours, sdk);
        }
    });

    it("decodes each instance once, keeps instances apart, and installs only once", () => {
        memoizeStructDecoding(Fake.prototype);
        const patched = Fake.prototype.toJavaScript;
        memoizeStructDecoding(Fake.prototype);
        assert.equal(Fake.prototype.toJavaScript, patched);

        const a = new Fake();
        const b = new Fake();
        const first = a.toJavaScript();
        assert.equal(a.toJavaScript(), first);
        assert.deepEqual(first, { decoded: 1 });
        assert.deepEqual(b.toJavaScript(), { decoded: 2 });
        assert.equal(Fake.calls, 2);
    });
});
