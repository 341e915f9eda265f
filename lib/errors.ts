// Helpers every layer may import (domain/ included): no dependencies, no I/O. Kept out of
// domain/ because they say nothing about partner programs; they are about JavaScript.

/** The message of a thrown value: an Error's message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
