// A use case's refusal the caller can act on (bad input, nothing loaded yet): entry points
// show its message alone (the CLI as a one-line error, exit code 1).
export class Refusal extends Error {
  override name = 'Refusal';
}
