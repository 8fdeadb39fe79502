import type pg from "pg";

// The readers' connections (client.ts, readInContext), shared. A hot read is one pipelined round
// trip: BEGIN with its settings, its statements, COMMIT, all written before the first answer. When
// each read took a connection of its own from the pool, every read cost the host a socket write and
// PostgreSQL a wake-up; under load those writes were the largest single cost in the host's profile.
//
// Here a few pipelined connections stay checked out and every read queues its statements whole on
// one of them: the first that has fewer than `depth` reads in flight, so that one connection
// carries the load until reads pile up on it (a slow statement, a busy server), and only then the
// next. Spreading reads evenly over 4 connections served 25-45% fewer calls than filling one,
// with goal.list's p99 about twice as long (the API benchmark on 2 cores): every connection in
// use costs a write and a wake-up per turn, and a backend competing with the host.
//
// PostgreSQL answers a connection's statements in order, one transaction after another, so
// reads on one connection never interleave: a read that fails aborts only its own transaction,
// which its COMMIT ends. What the reads of one turn of the event loop queue on a connection
// leaves in one write (the socket is corked until the turn ends).
//
// A connection that dies, or whose COMMIT failed (its state is then unknown), leaves the rotation:
// reads already queued on it get its answers or its error, and it goes back to the pool, which
// drops it, once the last has settled. A read that finds every connection at `depth` opens another
// while there are fewer than `size`. The cost of sharing: a slow read delays the reads queued
// behind it on its connection; past `depth`, new reads go to the next one.

interface Connection {
  client: pg.PoolClient;
  /** Reads queued on it and not yet settled. */
  reads: number;
  /** Retired: out of the rotation, released once `reads` is 0. */
  state: "shared" | "retired" | "released";
  /** Released as broken, for the pool to drop. */
  broken: boolean;
  corked: boolean;
}

/** A connection lent to one read: send its statements at once (before any await). */
export interface SharedConnection {
  client: pg.PoolClient;
  /** Takes the connection out of the rotation (its state is unknown); it is dropped once idle. */
  drop: () => void;
}

/** Reads in flight on a connection before the next is used (see above). */
export const defaultReadDepth = 32;

export class SharedReaders {
  readonly #pool: pg.Pool;
  readonly #size: number;
  readonly #depth: number;
  #connections: Connection[] = [];
  #opening: Promise<void> | null = null;
  #closed = false;

  /**
   * `size` connections at most, taken from `pool` (which should allow that many); the next is used
   * once `depth` reads are in flight on each before it.
   */
  constructor(pool: pg.Pool, size: number, depth = defaultReadDepth) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a whole number of at least 1`);
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`depth must be a whole number of at least 1`);
    this.#pool = pool;
    this.#size = size;
    this.#depth = depth;
  }

  /**
   * Runs `read` on a shared connection. `read` must queue all its statements synchronously, before
   * its first await: that is what keeps them together on the connection.
   */
  async use<T>(read: (connection: SharedConnection) => Promise<T>): Promise<T> {
    // Taken and counted in the same turn as `read` queues on it: between an await and the next
    // line, another read's drop() could retire and release the connection.
    let connection = this.#pick();
    while (!connection) {
      // None yet: wait for the one being opened (its error is this read's).
      await this.#opening;
      connection = this.#pick();
    }
    connection.reads += 1;
    if (!connection.corked) {
      connection.corked = true;
      const socket = connection.client.connection.stream;
      socket.cork();
      setImmediate(() => {
        connection.corked = false;
        socket.uncork();
      });
    }
    try {
      return await read({
        client: connection.client,
        drop: () => {
          this.#retire(connection, true);
        },
      });
    } finally {
      connection.reads -= 1;
      if (connection.state === "retired") this.#releaseIfIdle(connection);
    }
  }

  /** Returns every connection to the pool once its reads have settled; later reads are refused. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#connections) this.#retire(connection, false);
  }

  /**
   * The first shared connection with fewer than `depth` reads in flight; when every one has as
   * many, the least busy, and another is opened while there are fewer than `size`.
   */
  #pick(): Connection | undefined {
    if (this.#closed) throw new Error("The database client is closed.");
    const live = this.#connections;
    let best: Connection | undefined;
    for (const connection of live) {
      if (connection.reads < this.#depth) return connection;
      if (!best || connection.reads < best.reads) best = connection;
    }
    if (live.length < this.#size) this.#openOne();
    return best;
  }

  #openOne(): void {
    if (this.#opening) return;
    this.#opening = this.#pool
      .connect()
      .then((client) => {
        const connection: Connection = { client, reads: 0, state: "shared", broken: false, corked: false };
        if (this.#closed) {
          client.release();
          return;
        }
        // The client's own error handling (client.ts) releases it; here it only leaves the rotation.
        client.once("error", () => {
          this.#retire(connection, true);
        });
        client.once("end", () => {
          this.#retire(connection, true);
        });
        this.#connections = [...this.#connections, connection];
      })
      .finally(() => {
        this.#opening = null;
      });
    // A failure is seen by the read that waits for it; the next read tries again.
    this.#opening.catch(() => undefined);
  }

  #retire(connection: Connection, broken: boolean): void {
    if (connection.state !== "shared") return;
    connection.state = "retired";
    connection.broken = broken;
    this.#connections = this.#connections.filter((each) => each !== connection);
    this.#releaseIfIdle(connection);
  }

  #releaseIfIdle(connection: Connection): void {
    if (connection.reads > 0 || connection.state !== "retired") return;
    connection.state = "released";
    connection.client.release(connection.broken);
  }
}
