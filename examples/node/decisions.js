'use strict';
// Waiting for assignment_v3's decisions from node-postgres, without polling.
//
// The extension announces every booking it decides (confirmed, sent to manual review, cancelled)
// with NOTIFY on channel "assignment_v3" when the deciding transaction commits; the payload is a
// JSON object: booking_id, restaurant_id, state, status, version, pipeline, tables (ids) and,
// for a manual review, reason (docs/operations.md, "Hearing decisions").
//
// The pattern, for an application:
//   1. one long-lived connection LISTENs (a DecisionListener per process, not per request);
//   2. pick the booking's id yourself and register the wait *before* inserting, so that a
//      decision that comes quickly cannot be missed;
//   3. insert (any number of rows, in one statement);
//   4. await the decision, with a timeout; when it runs out, or the listening connection was
//      lost, read the booking instead: the row is the truth, the notification only the news.

const crypto = require('node:crypto');
const { Client } = require('pg');

const CHANNEL = 'assignment_v3';

// The booking as it is now, with its tables: what a fallback read returns.
const READ_BOOKINGS = `
  SELECT b.id AS booking_id, b.restaurant_id, b.assignment_state AS state, b.status,
         b.assignment_version AS version, b.last_reason AS reason,
         coalesce(array_agg(a.table_id ORDER BY a.table_id) FILTER (WHERE a.table_id IS NOT NULL),
                  '{}') AS tables,
         min(a.pipeline) AS pipeline
  FROM assignment_v3.bookings b
  LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
  WHERE b.id = ANY ($1::uuid[])
  GROUP BY b.id`;

class DecisionListener {
  // `connection`: a pg Client configuration (or connection string) for the listening connection.
  constructor(connection) {
    this.client = new Client(connection);
    this.waiters = new Map(); // booking id -> { resolve, timer }
    this.connected = false;
    this.client.on('notification', (message) => this.onNotification(message));
    // A lost connection loses notifications: everyone waiting reads the booking instead.
    this.client.on('error', () => this.onLost());
    this.client.on('end', () => this.onLost());
  }

  async start() {
    await this.client.connect();
    await this.client.query(`LISTEN ${CHANNEL}`);
    this.connected = true;
    return this;
  }

  async stop() {
    this.connected = false;
    for (const [id] of this.waiters) {
      this.settle(id, null);
    }
    await this.client.end();
  }

  onNotification(message) {
    if (message.channel !== CHANNEL) {
      return;
    }
    let decision;
    try {
      decision = JSON.parse(message.payload);
    } catch (e) {
      return; // not ours to judge; the fallback read covers whoever waits
    }
    this.settle(decision.booking_id, { via: 'notify', decision });
  }

  onLost() {
    if (!this.connected) {
      return;
    }
    this.connected = false;
    for (const [id] of this.waiters) {
      this.settle(id, null);
    }
  }

  settle(bookingId, outcome) {
    const waiter = this.waiters.get(bookingId);
    if (waiter) {
      this.waiters.delete(bookingId);
      clearTimeout(waiter.timer);
      waiter.resolve(outcome);
    }
  }

  // A promise of the notification for one booking, or null after `timeoutMs` (or when the
  // listening connection is lost). Register before the booking's insert commits.
  expect(bookingId, timeoutMs) {
    if (!this.connected) {
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(bookingId, null), timeoutMs);
      this.waiters.set(bookingId, { resolve, timer });
    });
  }
}

// Reads bookings as they are now: [{ via: 'read', decision }], in the order of `ids`.
async function readBookings(pool, ids) {
  const { rows } = await pool.query(READ_BOOKINGS, [ids]);
  const byId = new Map(rows.map((r) => [r.booking_id, r]));
  return ids.map((id) => ({ via: 'read', decision: byId.get(id) || null }));
}

// Inserts bookings in one statement and waits for each one's decision. `bookings`: objects
// with restaurant_id, party_size, start_at, end_at (Date or ISO text). Resolves to one result
// per booking, in order: { via: 'notify' | 'read', decision }; 'read' means no notification
// came within timeoutMs and `decision` is the booking as it is (perhaps still pending).
async function bookAndWait(pool, listener, bookings, { timeoutMs = 5000 } = {}) {
  const ids = bookings.map(() => crypto.randomUUID());
  const heard = ids.map((id) => listener.expect(id, timeoutMs));
  try {
    await pool.query(
      `INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::timestamptz[])`,
      [ids, bookings.map((b) => b.restaurant_id), bookings.map((b) => b.party_size),
       bookings.map((b) => b.start_at), bookings.map((b) => b.end_at)]);
  } catch (e) {
    ids.forEach((id) => listener.settle(id, null));
    throw e;
  }
  const results = await Promise.all(heard);
  const unheard = [...results.keys()].filter((i) => results[i] === null);
  if (unheard.length > 0) {
    const read = await readBookings(pool, unheard.map((i) => ids[i]));
    unheard.forEach((i, k) => { results[i] = read[k]; });
  }
  return results.map((r, i) => ({ booking_id: ids[i], ...r }));
}

module.exports = { CHANNEL, DecisionListener, bookAndWait, readBookings };
