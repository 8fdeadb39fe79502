// Where CSV text comes from, in Node and in the browser alike: a string, bytes, a web ReadableStream
// (fetch's body, File.stream()), a Node stream or any (async) iterable of strings or bytes. Bytes are
// decoded as a stream, so a character split between two chunks stays whole; large inputs are cut
// into slices so that no step holds more than a slice's records at once.

export type CsvChunk = string | Uint8Array;
export type CsvTextSource = string | Uint8Array | Iterable<CsvChunk>;
export type CsvSource = CsvTextSource | AsyncIterable<CsvChunk> | ReadableStream<CsvChunk>;

const sliceChars = 65_536;

export class CsvEncodingError extends Error {
  override readonly name = "CsvEncodingError";
  readonly code = "bad_encoding";
}

interface TextDecoding {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

class Decoder {
  readonly encoding: string;
  private readonly decoder: TextDecoding;
  constructor(encoding: string) {
    this.encoding = encoding;
    try {
      // fatal: a file in another encoding is refused with a message, not read with "�" in it.
      this.decoder = new TextDecoder(encoding, { fatal: true });
    } catch {
      throw new CsvEncodingError(`"${encoding}" is not a text encoding this reader knows`);
    }
  }

  decode(bytes: Uint8Array | undefined): string {
    try {
      return bytes === undefined ? this.decoder.decode() : this.decoder.decode(bytes, { stream: true });
    } catch {
      throw new CsvEncodingError(
        `The file is not ${this.encoding} text: choose its encoding (spreadsheets on Windows often save windows-1252)`,
      );
    }
  }
}

function* slices(chunk: CsvChunk, decoder: Decoder): Generator<string> {
  if (typeof chunk === "string") {
    for (let at = 0; at < chunk.length; at += sliceChars) yield chunk.slice(at, at + sliceChars);
    return;
  }
  for (let at = 0; at < chunk.length; at += sliceChars) {
    const text = decoder.decode(chunk.subarray(at, at + sliceChars));
    if (text !== "") yield text;
  }
}

function isChunk(source: unknown): source is CsvChunk {
  return typeof source === "string" || source instanceof Uint8Array;
}

/** The text of a source that is at hand (a string, bytes, an iterable of them), slice by slice. */
export function* textSlices(source: CsvTextSource, encoding = "utf-8"): Generator<string> {
  const decoder = new Decoder(encoding);
  if (isChunk(source)) yield* slices(source, decoder);
  else for (const chunk of source) yield* slices(chunk, decoder);
  const rest = decoder.decode(undefined);
  if (rest !== "") yield rest;
}

/** The text of any source, slice by slice. */
export async function* textChunks(source: CsvSource, encoding = "utf-8"): AsyncGenerator<string> {
  if (isChunk(source) || Symbol.iterator in source) {
    yield* textSlices(source, encoding);
    return;
  }
  const decoder = new Decoder(encoding);
  if ("getReader" in source) {
    // A web ReadableStream, read by hand: Safari's cannot be iterated with for await.
    const reader = source.getReader();
    try {
      for (let next = await reader.read(); !next.done; next = await reader.read()) yield* slices(next.value, decoder);
    } finally {
      reader.releaseLock();
    }
  } else {
    for await (const chunk of source) yield* slices(chunk, decoder);
  }
  const rest = decoder.decode(undefined);
  if (rest !== "") yield rest;
}
