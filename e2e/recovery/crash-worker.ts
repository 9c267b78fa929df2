// The engine's worker (src/worker/worker-entry.ts) plus one way to kill it for the recovery tests: a
// message on the "nextscale-crash" BroadcastChannel makes the worker throw at top level, as a real bug
// would (an uncaught error: the page's Worker gets an "error" event, and the engine in it is gone).
import '../../src/worker/worker-entry';

new BroadcastChannel('nextscale-crash').onmessage = () => {
  setTimeout(() => {
    throw new Error('planted crash in the engine worker');
  });
};
