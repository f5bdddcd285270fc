// logdir: a rank's claim on its log directory. A marker file (.csplab-rank<i>.json) records
// which run (cluster id) wrote the rank's files, so a fresh rank never silently overwrites
// another run's logs and a restarted rank never appends to a stranger's.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ForeignStateError } from '../errors.js';

export interface RankFiles {
  instanceLog: string;
  marker: string;
}

/** rankFiles: where rank's files are in logDir. */
export function rankFiles(logDir: string, rank: number): RankFiles {
  return { instanceLog: join(logDir, `instancelog${rank}.log`), marker: join(logDir, `.csplab-rank${rank}.json`) };
}

interface Marker {
  clusterId: string;
  incarnation: number;
  protocol: string;
}

function readMarker(path: string): Marker | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<Marker>;
    if (typeof m.clusterId === 'string')
      return { clusterId: m.clusterId, incarnation: Number(m.incarnation ?? 0), protocol: String(m.protocol ?? '') };
  } catch {
    // fall through: an unreadable marker is foreign state
  }
  throw new ForeignStateError(`${path} is not a csplab marker (corrupt?); pass --clean to start over`);
}

/**
 * claimLogDir prepares logDir for `rank`: creates it, checks the marker against this run and
 * records this incarnation. Throws ForeignStateError for another run's files (unless clean),
 * or Node's own error (EACCES, ENOTDIR …) when the directory cannot be used.
 */
export function claimLogDir(o: {
  logDir: string;
  rank: number;
  clusterId: string;
  incarnation: number;
  clean: boolean;
  protocol: string;
}): RankFiles {
  mkdirSync(o.logDir, { recursive: true });
  const files = rankFiles(o.logDir, o.rank);
  const marker = o.clean && o.incarnation === 0 ? undefined : readMarker(files.marker);
  if (o.incarnation === 0) {
    if (!o.clean && marker === undefined && existsSync(files.instanceLog)) {
      throw new ForeignStateError(`${files.instanceLog} was left by another run; pass --clean to overwrite it`);
    }
    if (!o.clean && marker !== undefined && marker.clusterId !== o.clusterId) {
      throw new ForeignStateError(
        `${files.instanceLog} belongs to run ${marker.clusterId}, not ${o.clusterId}; pass --clean to overwrite it`,
      );
    }
    // This rank already ran in this very run: starting it afresh would erase what it promised
    // (a vote, accepted records, acceptances) while its peers still count on it, which breaks
    // safety for every protocol here. A restart recovers; starting the whole run over is --clean.
    if (!o.clean && marker !== undefined)
      throw new ForeignStateError(
        `rank ${o.rank} already ran in run ${o.clusterId} (incarnation ${marker.incarnation}) in ${o.logDir}: a fresh start would ` +
          `erase what it promised its peers; restart it with --incarnation ${marker.incarnation + 1}, or pass --clean to start the run over`,
      );
  } else {
    if (marker === undefined)
      throw new ForeignStateError(`rank ${o.rank} has no earlier incarnation in ${o.logDir} to restart from (use --incarnation 0)`);
    if (marker.clusterId !== o.clusterId) {
      throw new ForeignStateError(
        `${files.instanceLog} belongs to run ${marker.clusterId}, not ${o.clusterId}: refusing to restart over it`,
      );
    }
    if (marker.protocol !== o.protocol)
      throw new ForeignStateError(`${files.instanceLog} was written by protocol ${marker.protocol}, not ${o.protocol}`);
  }
  writeFileSync(files.marker, `${JSON.stringify({ clusterId: o.clusterId, incarnation: o.incarnation, protocol: o.protocol })}\n`);
  return files;
}
