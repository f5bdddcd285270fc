// heap: the simulator's event queue is the runtime's timed min-heap (ties keep insertion
// order, so a seed replays exactly).
export { TimedHeap as EventHeap } from '../../../runtime/heap.js';
