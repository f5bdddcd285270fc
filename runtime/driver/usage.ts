// usage: the resource figures every rank reports in its summary event (benchmarks read them).
// Beside the peak RSS, where the memory sits at the end: the JS heap (what the collector traces
// and what the young generation adds to), and what lives outside it (Buffers, typed arrays),
// so a rank's memory can be attributed without a heap snapshot.
export interface ResourceSummary {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssKiB: number;
  heapUsedKiB: number;
  heapTotalKiB: number;
  externalKiB: number;
  /** arrayBuffersKiB: the part of external that is ArrayBuffers and Buffers (TRaft's KEY blocks, read buffers). */
  arrayBuffersKiB: number;
}

export function resourceSummary(): ResourceSummary {
  const u = process.resourceUsage();
  const m = process.memoryUsage();
  const kib = (bytes: number): number => Math.round(bytes / 1024);
  return {
    cpuUserMs: Math.round(u.userCPUTime / 1000),
    cpuSystemMs: Math.round(u.systemCPUTime / 1000),
    maxRssKiB: u.maxRSS,
    heapUsedKiB: kib(m.heapUsed),
    heapTotalKiB: kib(m.heapTotal),
    externalKiB: kib(m.external),
    arrayBuffersKiB: kib(m.arrayBuffers),
  };
}

/** rssKiB: this process's resident set now (a rank reports it with each second's progress: RSS over time, issue 20). */
export function rssKiB(): number {
  return Math.round(process.memoryUsage.rss() / 1024);
}

/**
 * cpuMs: this process's CPU so far (user + system), ms. A rank reads it when the run starts
 * (`cpuAtStartMs` in its summary): start-up costs a rank 0.6–1 s on a busy machine, which, left
 * in, made CPU per op mostly a measure of how few ops a run did (docs/benchmarks.md, CRAQ).
 */
export function cpuMs(): number {
  const u = process.resourceUsage();
  return Math.round((u.userCPUTime + u.systemCPUTime) / 1000);
}

/**
 * cpuShareSampler: a function returning the share of one core this process used since its
 * previous call (percent; above 100 on several cores), for a protocol whose load is its CPU.
 * nowMs is the rank's clock (wall time between readings).
 */
export function cpuShareSampler(nowMs: () => number): () => number {
  let lastUs = process.cpuUsage();
  let lastMs = nowMs();
  return () => {
    const us = process.cpuUsage();
    const ms = nowMs();
    const usedUs = us.user - lastUs.user + (us.system - lastUs.system);
    const share = ms > lastMs ? (usedUs / 1000 / (ms - lastMs)) * 100 : 0;
    lastUs = us;
    lastMs = ms;
    return share;
  };
}
