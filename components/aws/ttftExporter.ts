/**
 * The time-to-first-token gate of the ECS service: a sidecar that reads vLLM's TTFT histogram from
 * the server's `/metrics` every minute and writes, as CloudWatch embedded metric format (EMF) on
 * its log stream, how many requests got their first token and how many of them after the latency
 * budget. CloudWatch Logs turns those log events into metrics; an alarm on their ratio is "p95
 * time to first token over the budget" exactly when the budget is one of the histogram's bucket
 * bounds (the 95th percentile is within the budget if and only if at least 95 % of requests are).
 *
 * The load balancer cannot measure it: `TargetResponseTime` ends at the target's response
 * headers, which vLLM sends before the first token of a stream and after the last of a whole
 * completion. The CloudWatch agent cannot carry it either: it drops Prometheus histograms.
 */
import { VLLM_TTFT_HISTOGRAM } from "../../catalog/vllm";

/** The CloudWatch namespace of the sidecar's metrics; their one dimension is `Service`. */
export const TTFT_METRIC_NAMESPACE = "LLMPlatform/Inference";
/** Requests whose first token came in a minute, over the service's tasks. */
export const TTFT_REQUESTS_METRIC = "TimeToFirstTokenRequests";
/** Of those, the requests whose first token came after the budget. */
export const TTFT_OVER_BUDGET_METRIC = "TimeToFirstTokenOverBudget";
/** Fewer requests in a minute than this never breach the gate: one slow request of three is not a p95. */
export const TTFT_GATE_MIN_REQUESTS = 20;

/**
 * The sidecar's program (Python 3 standard library only: it runs on the inference image's own
 * interpreter). Its environment: METRICS_CONTAINER and METRICS_PORT (the server's container and
 * port: its bridge address comes from the task metadata endpoint v4, which the ECS agent names in
 * ECS_CONTAINER_METADATA_URI_V4 — a Docker link would copy the server's environment, secrets
 * included, into this container), TTFT_BUDGET_SECONDS, SERVICE, NAMESPACE, PERIOD_SECONDS.
 * Counters are turned into per-period deltas (a restarted server's reset counts from zero); the
 * first read only sets the baseline; a failed read is reported on stderr, the address looked up
 * again, and the next delta spans both periods. Each datapoint is stamped with the start of the
 * period it counts.
 */
export const TTFT_EXPORTER_SCRIPT = `import json, os, re, sys, time, urllib.request
TARGET = os.environ["METRICS_CONTAINER"]
PORT = os.environ["METRICS_PORT"]
METADATA = os.environ["ECS_CONTAINER_METADATA_URI_V4"]
BUDGET = float(os.environ["TTFT_BUDGET_SECONDS"])
SERVICE = os.environ["SERVICE"]
NAMESPACE = os.environ["NAMESPACE"]
PERIOD = int(os.environ.get("PERIOD_SECONDS", "60"))
NAME = ${JSON.stringify(VLLM_TTFT_HISTOGRAM)}
LE = re.compile(r'(?:^|[{,])le="([^"]*)"')


def sample(line):
    labels_end = line.rfind("}")
    head, rest = (line[: labels_end + 1], line[labels_end + 1 :]) if labels_end >= 0 else line.split(" ", 1)
    name = head.split("{", 1)[0].strip()
    return name, head, float(rest.split()[0])


def read(text):
    total = within = 0.0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, head, value = sample(line)
        if name == NAME + "_count":
            total += value
        elif name == NAME + "_bucket":
            le = LE.search(head)
            if le and le.group(1) != "+Inf" and float(le.group(1)) == BUDGET:
                within += value
    return total, within


def metrics_url():
    with urllib.request.urlopen(METADATA + "/task", timeout=5) as answer:
        task = json.load(answer)
    for container in task.get("Containers", []):
        if container.get("Name") == TARGET:
            for network in container.get("Networks", []):
                for address in network.get("IPv4Addresses", []):
                    return "http://%s:%s/metrics" % (address, PORT)
    raise RuntimeError("the task metadata has no address of the %s container yet" % TARGET)


def emit(requests, over, start):
    print(json.dumps({
        "_aws": {"Timestamp": int(start * 1000), "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [["Service"]],
            "Metrics": [{"Name": ${JSON.stringify(TTFT_REQUESTS_METRIC)}, "Unit": "Count"},
                        {"Name": ${JSON.stringify(TTFT_OVER_BUDGET_METRIC)}, "Unit": "Count"}]}]},
        "Service": SERVICE, ${JSON.stringify(TTFT_REQUESTS_METRIC)}: requests, ${JSON.stringify(TTFT_OVER_BUDGET_METRIC)}: over,
    }), flush=True)


def delta(previous, current):
    total, within = current
    if previous is not None and total >= previous[0] and within >= previous[1]:
        total, within = total - previous[0], within - previous[1]
    return total, max(0.0, total - within)


url = None
previous = None
while True:
    time.sleep(PERIOD - time.time() % PERIOD)
    tick = time.time()
    try:
        url = url or metrics_url()
        with urllib.request.urlopen(url, timeout=10) as answer:
            current = read(answer.read().decode())
    except Exception as error:
        print("ttft-metrics: cannot read %s: %s" % (url or METADATA + "/task", error), file=sys.stderr, flush=True)
        url = None
        continue
    if previous is not None:
        # The period that just ended (rounded: a sleep may end a little before its boundary).
        emit(*delta(previous, current), round(tick / PERIOD) * PERIOD - PERIOD)
    previous = current
`;
