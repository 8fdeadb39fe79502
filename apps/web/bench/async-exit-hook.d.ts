// async-exit-hook ships no types: the one call bench:scale makes. A hook that takes `done` is
// awaited (up to 10 s) before the process exits on SIGINT, SIGTERM, an uncaught error or the end.
declare module "async-exit-hook" {
  export default function exitHook(hook: (done: () => void) => void): void;
}
