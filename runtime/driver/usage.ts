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
  };
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
