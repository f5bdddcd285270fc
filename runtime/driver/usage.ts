// usage: the resource figures every rank reports in its summary event (benchmarks read them).
export function resourceSummary(): { cpuUserMs: number; cpuSystemMs: number; maxRssKiB: number } {
  const u = process.resourceUsage();
  return { cpuUserMs: Math.round(u.userCPUTime / 1000), cpuSystemMs: Math.round(u.systemCPUTime / 1000), maxRssKiB: u.maxRSS };
}
