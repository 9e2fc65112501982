// What the server has seen, for tests and benchmarks to assert on: requests per operation and the
// bytes of part and object bodies as they arrive.

export interface S3ServerStats {
  /** Count per operation name. */
  requests: Record<string, number>;
  /** Body bytes read for UploadPart requests (including ones that later failed or were aborted). */
  partBytesReceived: number;
  /** Bytes of parts fully received and stored. */
  partBytesStored: number;
  /** Body bytes of PutObject. */
  objectBytesReceived: number;
  /** PutObject requests that took effect (whether or not their answer reached the client). */
  objectsStored: number;
  /** Date.now() when the last UploadPart body byte arrived. */
  lastPartByteAtMs: number | null;
  inFlightParts: number;
}

export class StatsRecorder {
  private requests = new Map<string, number>();
  private partBytesReceived = 0;
  private partBytesStored = 0;
  private objectBytesReceived = 0;
  private objectsStored = 0;
  private lastPartByteAtMs: number | null = null;
  private inFlightParts = 0;

  countRequest(operation: string): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }

  partBytesArrived(bytes: number): void {
    this.partBytesReceived += bytes;
    this.lastPartByteAtMs = Date.now();
  }

  partStored(bytes: number): void {
    this.partBytesStored += bytes;
  }

  objectBytesArrived(bytes: number): void {
    this.objectBytesReceived += bytes;
  }

  objectStored(): void {
    this.objectsStored += 1;
  }

  partStarted(): void {
    this.inFlightParts += 1;
  }

  partEnded(): void {
    this.inFlightParts -= 1;
  }

  snapshot(): S3ServerStats {
    return {
      requests: Object.fromEntries(this.requests),
      partBytesReceived: this.partBytesReceived,
      partBytesStored: this.partBytesStored,
      objectBytesReceived: this.objectBytesReceived,
      objectsStored: this.objectsStored,
      lastPartByteAtMs: this.lastPartByteAtMs,
      inFlightParts: this.inFlightParts,
    };
  }

  /** Zeroes the counters; parts in flight stay counted, they are still in flight. */
  reset(): void {
    this.requests.clear();
    this.partBytesReceived = 0;
    this.partBytesStored = 0;
    this.objectBytesReceived = 0;
    this.objectsStored = 0;
    this.lastPartByteAtMs = null;
  }
}
