// What the GCS test server has seen, for tests and benchmarks: requests per operation and the bytes
// of upload bodies (media, multipart and resumable) as they arrive and once stored.

export interface GcsServerStats {
  /** Count per operation name ('objects.insert', 'objects.compose'…). */
  requests: Record<string, number>;
  /** Upload body bytes read, including bodies that later failed or were cut. */
  uploadBytesReceived: number;
  /** Bytes of uploads stored as objects (or persisted in a resumable session). */
  uploadBytesStored: number;
  /** Date.now() when the last upload body byte arrived. */
  lastUploadByteAtMs: number | null;
  inFlightUploads: number;
}

export class StatsRecorder {
  private requests = new Map<string, number>();
  private uploadBytesReceived = 0;
  private uploadBytesStored = 0;
  private lastUploadByteAtMs: number | null = null;
  private inFlightUploads = 0;

  countRequest(operation: string): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }

  uploadBytesArrived(bytes: number): void {
    this.uploadBytesReceived += bytes;
    this.lastUploadByteAtMs = Date.now();
  }

  uploadStored(bytes: number): void {
    this.uploadBytesStored += bytes;
  }

  uploadStarted(): void {
    this.inFlightUploads += 1;
  }

  uploadEnded(): void {
    this.inFlightUploads -= 1;
  }

  snapshot(): GcsServerStats {
    return {
      requests: Object.fromEntries(this.requests),
      uploadBytesReceived: this.uploadBytesReceived,
      uploadBytesStored: this.uploadBytesStored,
      lastUploadByteAtMs: this.lastUploadByteAtMs,
      inFlightUploads: this.inFlightUploads,
    };
  }

  /** Zeroes the counters; uploads in flight stay counted, they are still in flight. */
  reset(): void {
    this.requests.clear();
    this.uploadBytesReceived = 0;
    this.uploadBytesStored = 0;
    this.lastUploadByteAtMs = null;
  }
}
