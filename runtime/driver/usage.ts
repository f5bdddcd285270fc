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
