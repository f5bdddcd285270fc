// cluster_node: moved to runtime/driver/cluster.ts (the rank driver's, shared by every protocol). This re-export
// serves processors/paxos/ until Paxos runs on the driver too (issue 13, part 2).
export * from '../runtime/driver/cluster.js';
