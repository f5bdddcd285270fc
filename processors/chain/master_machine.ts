// master_machine: the chain master's durable decisions as a TRaft state machine (chain.md §8.1
// `replicated`, docs/protocols/chain-master.md §10). The single master's only durable state is its
// record (configuration, failed and leaving sets, live incarnations, §5), written whole and
// atomically on every change; the replicated master logs each such write as one command that
// replaces the fields it changed, named by the decision behind it: `ConfigInstalled` (a new
// configuration: a step done, a failure's or a join's), `NodeFailed`, `NodeLeaving`,
// `NodeJoined`. A step's end is the configuration it installs, so `StepDone` is a
// `ConfigInstalled`; a step still running is leader-local, like heartbeats (§10.2).
// `MasterLeader` changes nothing: a new leader waits until its own one is applied, so every
// decision of its predecessors that committed is in the machine before it acts.
import type { Access, Json, MachineKind, SmCommand, StateMachine } from '../traft/state_machine.js';
import type { Config } from './config.js';
import type { MasterRecord } from './types.js';
import { validateChainMsg } from './validate.js';

/** MasterDecision: the fields of a record a command replaces (absent: unchanged). */
export type RecordFields = Omit<MasterRecord, 'batchId'>;

export type MasterCommandType = 'ConfigInstalled' | 'NodeFailed' | 'NodeLeaving' | 'NodeJoined' | 'MasterLeader';

const TYPES: ReadonlySet<unknown> = new Set(['ConfigInstalled', 'NodeFailed', 'NodeLeaving', 'NodeJoined', 'MasterLeader']);

/** The one interference key: every decision reads the record another wrote, so all are ordered (R3). */
const RECORD_KEY = 'chain-master';

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/**
 * decisionOf: the command that turns the record `prev` into `next` (one persist of the single
 * master), with only the changed fields, or null if nothing changed.
 */
export function decisionOf(prev: RecordFields | undefined, next: RecordFields): SmCommand | null {
  const cmd: Record<string, Json> = {};
  const configChanged = prev === undefined || prev.config.epoch !== next.config.epoch;
  if (configChanged) cmd.config = toJson(next.config);
  if (!sameList(prev?.failed, next.failed)) cmd.failed = [...next.failed];
  if (!sameList(prev?.leaving, next.leaving)) cmd.leaving = [...next.leaving];
  if (!sameList(prev?.incarnations, next.incarnations)) cmd.incarnations = (next.incarnations ?? []).map(([r, i]) => [r, i]);
  if (Object.keys(cmd).length === 0) return null;
  const type: MasterCommandType = configChanged
    ? 'ConfigInstalled'
    : cmd.failed !== undefined
      ? 'NodeFailed'
      : cmd.leaving !== undefined
        ? 'NodeLeaving'
        : 'NodeJoined';
  return { type, ...cmd };
}

/** toJson: a Config as plain JSON (absent optional fields dropped, as on the wire). */
function toJson(c: Config): Json {
  return JSON.parse(JSON.stringify(c)) as Json;
}

/** MasterMachine: the record every master rank agrees on; undefined until the first configuration. */
export class MasterMachine implements StateMachine {
  constructor(
    public record: RecordFields | undefined = undefined,
    public leaders = 0,
  ) {}

  apply(cmd: SmCommand): Json {
    if (checkCommand(cmd) !== null) return null; // total: a malformed command changes nothing anywhere
    if (cmd.type === 'MasterLeader') {
      this.leaders++;
      return this.leaders;
    }
    const config = cmd.config === undefined ? this.record?.config : (cmd.config as unknown as Config);
    if (config === undefined) return null; // no decision precedes the first configuration
    // Epochs only grow (I7): a late command of a deposed leader never brings an older configuration back.
    if (this.record !== undefined && config.epoch < this.record.config.epoch) return null;
    const r = this.record;
    this.record = {
      config,
      failed: (cmd.failed as number[] | undefined) ?? r?.failed ?? [],
      leaving: (cmd.leaving as number[] | undefined) ?? r?.leaving ?? [],
      incarnations: (cmd.incarnations as [number, number][] | undefined) ?? r?.incarnations ?? [],
    };
    return config.epoch;
  }

  query(): Json {
    return this.image();
  }

  image(): Json {
    return { record: this.record === undefined ? null : (JSON.parse(JSON.stringify(this.record)) as Json), leaders: this.leaders };
  }

  describe(): string {
    const r = this.record;
    if (r === undefined) return `no configuration; leaders ${this.leaders}`;
    const chains = r.config.ranges.map((x) => `${x.rangeId}:[${x.chain.join(' ')}]`).join(' ');
    return `epoch ${r.config.epoch} ${chains} failed [${r.failed.join(' ')}] leaving [${r.leaving.join(' ')}] inc ${JSON.stringify(r.incarnations ?? [])} leaders ${this.leaders}`;
  }
}

const isRanks = (x: unknown): boolean => Array.isArray(x) && x.every((r) => Number.isSafeInteger(r) && (r as number) >= 0);

function checkFields(o: Record<string, unknown>): string | null {
  if (o.config !== undefined) {
    try {
      validateChainMsg({ type: 'config', config: o.config, incarnation: 0 });
    } catch (e) {
      return `cmd.config: ${(e as Error).message}`;
    }
  }
  if (o.failed !== undefined && !isRanks(o.failed)) return 'cmd.failed must be a list of ranks';
  if (o.leaving !== undefined && !isRanks(o.leaving)) return 'cmd.leaving must be a list of ranks';
  if (
    o.incarnations !== undefined &&
    !(Array.isArray(o.incarnations) && o.incarnations.every((p) => Array.isArray(p) && p.length === 2 && isRanks(p)))
  )
    return 'cmd.incarnations must be a list of [rank, incarnation]';
  return null;
}

function checkCommand(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'cmd must be an object';
  const o = x as Record<string, unknown>;
  if (!TYPES.has(o.type)) return 'cmd.type must be ConfigInstalled, NodeFailed, NodeLeaving, NodeJoined or MasterLeader';
  if (o.type === 'ConfigInstalled' && o.config === undefined) return 'ConfigInstalled carries its config';
  return checkFields(o);
}

function checkImage(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'a chain-master image is {record, leaders}';
  const o = x as { record?: unknown; leaders?: unknown };
  if (!Number.isSafeInteger(o.leaders)) return 'image.leaders must be an integer';
  if (o.record === null) return null;
  if (typeof o.record !== 'object' || o.record === undefined || Array.isArray(o.record)) return 'image.record must be a record or null';
  const r = o.record as Record<string, unknown>;
  if (r.config === undefined || r.failed === undefined || r.leaving === undefined) return 'image.record needs config, failed and leaving';
  return checkFields(r);
}

function restore(image: Json): MasterMachine | null {
  if (checkImage(image) !== null) return null;
  const o = image as unknown as { record: RecordFields | null; leaders: number };
  return new MasterMachine(o.record ?? undefined, o.leaders);
}

/** masterMachine: the chain master's decisions on TRaft; each command writes the one record, so none subsumes another (each returns a result a leader waits for). */
export const masterMachine: MachineKind = {
  name: 'chain-master',
  create: () => new MasterMachine(),
  restore,
  access: (): readonly Access[] => [{ key: RECORD_KEY, mode: 'write' }],
  checkCommand,
  checkImage,
};
