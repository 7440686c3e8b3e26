import { describe, expect, it } from "vitest";
import { describeProgress } from "../ingest/progress.js";

describe("progress line", () => {
  it("projects the ETA by files as well as bytes: large files done first do not make it look nearly finished", () => {
    // 10 large PDFs (95% of the bytes) done after 20 s, 1,700 small files still to go.
    const line = describeProgress({ filesDone: 10, filesTotal: 1710, bytesDone: 95, bytesTotal: 100, chunksEmbedded: 1000 }, 20_000);
    expect(line).toBe("files 10/1710 (95%) · chunks 1000 · 50.0 chunks/s · ETA 56m40s");
  });

  it("projects by bytes when they are the slower part, and says 0s when done", () => {
    expect(describeProgress({ filesDone: 5, filesTotal: 10, bytesDone: 10, bytesTotal: 100, chunksEmbedded: 0 }, 10_000)).toMatch(/ETA 1m30s$/);
    expect(describeProgress({ filesDone: 10, filesTotal: 10, bytesDone: 100, bytesTotal: 100, chunksEmbedded: 0 }, 10_000)).toMatch(/ETA 0s$/);
    expect(describeProgress({ filesDone: 0, filesTotal: 10, bytesDone: 0, bytesTotal: 100, chunksEmbedded: 0 }, 1_000)).toMatch(/ETA \?$/);
  });
});
