import * as assert from "node:assert/strict";
import { coversInternet, ipv4CidrProblem } from "../catalog/cidr";
import { validateBlueGreenEcsServiceArgs } from "../components/aws/blueGreenEcsServiceArgs";
import { resolveSettings } from "../environments/loader";
import { goodRawConfig, problemsOf } from "./helpers";

describe("IPv4 CIDR blocks, as Go's net.ParseCIDR reads them (issue 34)", () => {
    it("accepts what the controllers and EC2 accept, and says what is wrong with the rest", () => {
        for (const ok of ["10.0.0.0/8", "0.0.0.0/0", "255.255.255.255/32", "192.168.0.0/16", "100.64.0.0/10"])
            assert.equal(ipv4CidrProblem(ok), undefined, ok);
        const table: Array<[string, string]> = [
            ["10.0.0.0", "it has no /prefix length"],
            ["10.0.0.999/8", "999 is over 255"],
            ["10.0.0.256/8", "256 is over 255"],
            ["10.0.0.0/33", 'the prefix length "33" is not a number from 0 to 32'],
            ["10.0.0.0/99", 'the prefix length "99" is not a number from 0 to 32'],
            ["10.0.0.0/08", 'the prefix length "08" is not a number from 0 to 32'],
            ["10.0.0.0/", 'the prefix length "" is not a number from 0 to 32'],
            ["10.01.0.0/16", '"01" is not a decimal number without leading zeros'],
            ["10.0.0/8", '"10.0.0" is not four numbers separated by dots'],
            ["10.0.0.0.0/8", '"10.0.0.0.0" is not four numbers separated by dots'],
            ["10.0.0.-1/8", '"-1" is not a decimal number without leading zeros'],
            ["10.0.0.0x1/8", '"0x1" is not a decimal number without leading zeros'],
            [" 10.0.0.0/8", '" 10" is not a decimal number without leading zeros'],
            ["::/0", '"::" is not four numbers separated by dots'],
        ];
        for (const [bad, why] of table) assert.equal(ipv4CidrProblem(bad), why, bad);
    });

    it("counts blocks that add up to the whole internet as open to it", () => {
        assert.ok(coversInternet(["0.0.0.0/1", "128.0.0.0/1"]));
        assert.ok(coversInternet(["0.0.0.0/0"]));
        assert.ok(!coversInternet(["0.0.0.0/1", "192.0.0.0/2"]));
    });

    it("refuses a bad block in the stack's config by its key, and two /1s over HTTP", () => {
        const entry = (v: object) => goodRawConfig({ "llm-platform:serving": JSON.stringify({ entryPoint: v }) });
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings("prod", entry({ internetFacing: true, allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1"] })),
            ),
            [
                "llm-platform:serving.entryPoint.certificateArn: required: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS, received nothing",
            ],
        );
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", entry({ allowedCidrs: ["10.0.0.999/8"] }))),
            [
                'llm-platform:serving.entryPoint.allowedCidrs[0]: expected an IPv4 CIDR block such as 10.0.0.0/16 (999 is over 255), received "10.0.0.999/8"',
            ],
        );
    });

    it("refuses the same in BlueGreenEcsService's arguments, for a program that is not ours", () => {
        const problems = validateBlueGreenEcsServiceArgs({
            vpcId: "vpc-1",
            loadBalancerSubnetIds: ["subnet-1", "subnet-2"],
            instanceSubnetIds: ["subnet-1"],
            modelBucketName: "models",
            modelReadPolicyArn: "arn:aws:iam::111122223333:policy/read",
            modelVersion: "v1",
            instanceTypes: ["g5.2xlarge"],
            internal: false,
            allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/33"],
        });
        assert.deepEqual(
            problems.filter((p) => p.startsWith("allowedCidrs") || p.startsWith("certificateArn")),
            [
                'allowedCidrs[2]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.0/33": the prefix length "33" is not a number from 0 to 32',
                "certificateArn: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS; set a certificate",
            ],
        );
    });
});
