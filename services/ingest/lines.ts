// A line of an events file as the importers take it: its bytes and its number in the file
// (1-based, blank lines counted), so a dead letter can say where it came from.
export interface NumberedLine {
  bytes: Buffer;
  line: number;
}

/** Events per partner id in a file, for the report of partners nobody has described. */
export class PartnerTally {
  readonly events = new Map<string, number>();

  add(partnerId: string): void {
    this.events.set(partnerId, (this.events.get(partnerId) ?? 0) + 1);
  }
}
