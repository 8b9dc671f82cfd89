#!/usr/bin/env python3
"""Closed-loop load on a running `convnet serve`: C clients, each sending the next request as soon as its last answer
came back, for a fixed time, at each concurrency asked for. Prints throughput, latency percentiles, errors and the mean
images per forward pass the server reports (/metrics). Standard library only.

  convnet serve --checkpoint runs/NAME --threads 2 --max-batch 32 &
  python3 bench/serve_load.py --url http://127.0.0.1:8080 --image shirt.png --concurrency 1,8,32 --seconds 60

Its percentile arithmetic checks itself without a server: python3 -m doctest bench/serve_load.py
"""
import argparse
import http.client
import json
import math
import re
import sys
import threading
import time
import urllib.parse


def metric(text, name):
    match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def server_counters(url):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    return metric(text, "convnet_images_total"), metric(text, "convnet_forward_passes_total")


def percentile(sorted_values, p):
    """The p-th percentile by nearest rank, as the server's and `convnet bench`'s (Spread.Percentile): the smallest
    value that at least p % of the values do not exceed. (round() rounded half to even: p99 of 100 gave the 100th.)

    >>> percentile(list(range(1, 101)), 99), percentile(list(range(1, 101)), 7), percentile(list(range(1, 31)), 99)
    (99, 7, 30)
    >>> percentile([5], 50), percentile([1, 2], 0)
    (5, 1)
    """
    if not sorted_values:
        return float("nan")
    rank = math.ceil(p * len(sorted_values) / 100)  # p / 100 first would make 7 % of 100 rank 8 (0.07 x 100 = 7.000000000000001)
    return sorted_values[max(0, min(len(sorted_values) - 1, rank - 1))]


def client(url, path, body, content_type, stop_at, warm_until, latencies, errors, lock):
    connection = None
    mine, bad = [], {}
    while True:
        start = time.perf_counter()
        if start >= stop_at:
            break
        try:
            if connection is None:
                connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            connection.request("POST", path, body=body, headers={"Content-Type": content_type})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            connection = None
        end = time.perf_counter()
        if start < warm_until:
            continue  # warm-up requests are not counted
        if status == 200:
            mine.append(end - start)
        else:
            bad[status] = bad.get(status, 0) + 1
    with lock:
        latencies.extend(mine)
        for key, count in bad.items():
            errors[key] = errors.get(key, 0) + count


def run(url, path, body, content_type, concurrency, seconds, warmup):
    latencies, errors, lock = [], {}, threading.Lock()
    begin = time.perf_counter()
    warm_until, stop_at = begin + warmup, begin + warmup + seconds
    images_before = passes_before = None
    threads = [threading.Thread(target=client, args=(url, path, body, content_type, stop_at, warm_until, latencies, errors, lock))
               for _ in range(concurrency)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, warm_until - time.perf_counter()))
    images_before, passes_before = server_counters(url)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    for t in threads:
        t.join()
    images_after, passes_after = server_counters(url)
    # This generator's own CPU time (taken from the server's cores when on one machine), over the time it was measured.
    client_cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    latencies.sort()
    passes = passes_after - passes_before
    return {
        "concurrency": concurrency,
        "seconds": seconds,
        "requests": len(latencies),
        "throughput": len(latencies) / seconds,
        "p50Ms": 1000 * percentile(latencies, 50),
        "p95Ms": 1000 * percentile(latencies, 95),
        "p99Ms": 1000 * percentile(latencies, 99),
        "errors": sum(errors.values()),
        "errorsByStatus": {str(k): v for k, v in errors.items()},
        "meanBatch": (images_after - images_before) / passes if passes > 0 else None,
        "clientCpuPercent": 100 * client_cpu,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the server (default %(default)s)")
    parser.add_argument("--image", required=True, help="a JPEG or PNG sent with every request")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=60, help="measured time per concurrency (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured time first (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per concurrency")
    args = parser.parse_args()

    url = urllib.parse.urlparse(args.url)
    if url.scheme != "http" or not url.hostname:
        sys.exit(f"serve_load: --url must be http://HOST:PORT, got {args.url}")
    url = url._replace(netloc=f"{url.hostname}:{url.port or 80}")
    with open(args.image, "rb") as f:
        body = f.read()
    content_type = "image/png" if body[:4] == b"\x89PNG" else "image/jpeg"
    try:
        levels = [int(c) for c in args.concurrency.split(",")]
    except ValueError:
        sys.exit(f"serve_load: --concurrency must be whole numbers separated by commas, got {args.concurrency}")
    if any(c < 1 for c in levels) or args.seconds <= 0 or args.warmup < 0:
        sys.exit("serve_load: concurrency must be at least 1, --seconds positive, --warmup not negative")

    if not args.json:
        print("| concurrency | requests | img/s | p50 ms | p95 ms | p99 ms | errors | images per forward pass | load generator CPU |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in levels:
        r = run(url, "/v1/predict", body, content_type, c, args.seconds, args.warmup)
        if args.json:
            print(json.dumps(r))
        else:
            batch = f"{r['meanBatch']:.1f}" if r["meanBatch"] is not None else "n/a"
            print(f"| {c} | {r['requests']} | {r['throughput']:.1f} | {r['p50Ms']:.1f} | {r['p95Ms']:.1f} | {r['p99Ms']:.1f} | "
                  f"{r['errors']} | {batch} | {r['clientCpuPercent']:.0f} % |", flush=True)


if __name__ == "__main__":
    main()
