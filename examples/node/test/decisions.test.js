'use strict';
// The example client against a real cluster with the extension preloaded and V3 enabled
// (test/tap/017_node_client.pl starts one and runs this with PGHOST, PGPORT, PGDATABASE set,
// as a superuser: some cases pause the workers or turn notifications off).
//
// Every decision the extension makes, whichever path makes it, must reach a listening client
// without polling; the fallback read must give the truth when no notification comes.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');
const { DecisionListener, bookAndWait, readBookings } = require('../decisions');

// Long enough for a loaded machine; the cases that expect a notification never wait it out.
const DECISION_TIMEOUT_MS = 20000;
const SETTLE_TIMEOUT_MS = 30000;

const pool = new Pool({ max: 4 });
let listener;
let admin; // one connection: it sees its own reloads
let restaurant;
let legacyRestaurant;
let day = 0;

// A booking two hours long, on a day of its own (so none competes with another for a table).
function booking(restaurantId, partySize = 2) {
  day += 1;
  const start = new Date(Date.UTC(2032, 0, 1, 19) + day * 86400000);
  return { restaurant_id: restaurantId, party_size: partySize, start_at: start,
           end_at: new Date(start.getTime() + 2 * 3600000) };
}

async function pollUntil(sql, expected, client = admin) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query(sql);
    const value = String(Object.values(rows[0])[0]);
    if (value === expected) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${sql} to return ${expected} (last: ${value})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Sets a sighup setting, reloads, and waits until this connection and the workers run with it.
async function setAndReload(name, value) {
  await admin.query(`ALTER SYSTEM SET ${name} = '${value}'`);
  await admin.query('SELECT pg_reload_conf()');
  await pollUntil(`SELECT current_setting('${name}')`, value);
}

async function workersRunning(count) {
  await pollUntil(`SELECT count(*) FROM pg_stat_activity
                   WHERE backend_type = 'assignment_v3 worker'`, String(count));
}

test.before(async () => {
  admin = new Client();
  await admin.connect();
  const { rows } = await admin.query(`
    WITH r AS (INSERT INTO assignment_v3.restaurants (name)
               VALUES ('Node V3'), ('Node legacy') RETURNING id, name),
         t AS (INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
               SELECT r.id, 'T' || g, 4 FROM r, generate_series(1, 3) g)
    SELECT array_agg(id ORDER BY name DESC) AS ids FROM r`);
  [restaurant, legacyRestaurant] = rows[0].ids;
  await admin.query(`INSERT INTO assignment_v3.restaurant_rollout VALUES ($1, 'legacy')`,
                    [legacyRestaurant]);
  listener = await new DecisionListener({}).start();
});

test.after(async () => {
  await listener.stop();
  await admin.end();
  await pool.end();
});

// The notification says what the booking row says.
async function assertMatchesRow(result) {
  const [row] = await readBookings(pool, [result.booking_id]);
  for (const key of ['state', 'status', 'version', 'restaurant_id']) {
    assert.equal(result.decision[key], row.decision[key], key);
  }
  assert.deepEqual([...result.decision.tables].sort(), row.decision.tables);
}

test('a V3 confirmation is heard by LISTEN, with its tables', async () => {
  const [result] = await bookAndWait(pool, listener, [booking(restaurant)],
                                     { timeoutMs: DECISION_TIMEOUT_MS });
  assert.equal(result.via, 'notify');
  assert.equal(result.decision.state, 'confirmed');
  assert.equal(result.decision.pipeline, 'v3');
  assert.equal(result.decision.tables.length, 1);
  await assertMatchesRow(result);
});

test('60 bookings inserted in one statement are each heard once', async () => {
  let notifications = 0;
  const count = (m) => { if (m.channel === 'assignment_v3') notifications += 1; };
  listener.client.on('notification', count);
  const results = await bookAndWait(pool, listener,
                                    Array.from({ length: 60 }, () => booking(restaurant)),
                                    { timeoutMs: DECISION_TIMEOUT_MS });
  listener.client.off('notification', count);
  assert.deepEqual(results.map((r) => r.via), Array(60).fill('notify'));
  assert.deepEqual(results.map((r) => r.decision.state), Array(60).fill('confirmed'));
  assert.equal(notifications, 60);
  for (const r of results.slice(0, 5)) {
    await assertMatchesRow(r);
  }
});

test('a manual review is heard with its reason', async () => {
  const [result] = await bookAndWait(pool, listener, [booking(restaurant, 40)],
                                     { timeoutMs: DECISION_TIMEOUT_MS });
  assert.equal(result.via, 'notify');
  assert.equal(result.decision.state, 'manual_review');
  assert.equal(result.decision.status, 'pending');
  assert.equal(result.decision.reason, 'party_too_large');
  assert.deepEqual(result.decision.tables, []);
  await assertMatchesRow(result);
});

test('the legacy planner\'s decisions are heard too', async () => {
  const [result] = await bookAndWait(pool, listener, [booking(legacyRestaurant)],
                                     { timeoutMs: DECISION_TIMEOUT_MS });
  assert.equal(result.via, 'notify');
  assert.equal(result.decision.state, 'confirmed');
  assert.equal(result.decision.pipeline, 'legacy');
  await assertMatchesRow(result);
});

test('an operator\'s manual assignment is heard', async () => {
  const [review] = await bookAndWait(pool, listener, [booking(restaurant, 8)],
                                     { timeoutMs: DECISION_TIMEOUT_MS });
  assert.equal(review.decision.state, 'manual_review');
  const { rows } = await admin.query(`SELECT array_agg(id ORDER BY label) AS ids
                                      FROM assignment_v3.restaurant_tables
                                      WHERE restaurant_id = $1 AND label IN ('T1', 'T2')`,
                                     [restaurant]);
  const heard = listener.expect(review.booking_id, DECISION_TIMEOUT_MS);
  await admin.query('SELECT assignment_v3.assign_manually($1, $2)', [review.booking_id, rows[0].ids]);
  const result = await heard;
  assert.ok(result, 'a notification came');
  assert.equal(result.decision.state, 'confirmed');
  assert.equal(result.decision.pipeline, 'manual');
  assert.deepEqual([...result.decision.tables].sort(), [...rows[0].ids].sort());
  assert.equal(result.decision.version, review.decision.version + 1);
});

test('a booking re-seated after its table is deactivated is heard again', async () => {
  const [first] = await bookAndWait(pool, listener, [booking(restaurant)],
                                    { timeoutMs: DECISION_TIMEOUT_MS });
  assert.equal(first.decision.state, 'confirmed');
  const heard = listener.expect(first.booking_id, DECISION_TIMEOUT_MS);
  await admin.query('UPDATE assignment_v3.restaurant_tables SET active = false WHERE id = $1',
                    [first.decision.tables[0]]);
  const again = await heard;
  await admin.query('UPDATE assignment_v3.restaurant_tables SET active = true WHERE id = $1',
                    [first.decision.tables[0]]);
  assert.ok(again, 'a notification came');
  assert.equal(again.decision.state, 'confirmed');
  assert.ok(again.decision.version > first.decision.version);
  assert.notEqual(again.decision.tables[0], first.decision.tables[0]);
});

test('with the workers paused: the timeout falls back to a read, process_pending() is heard',
  async () => {
    await setAndReload('assignment_v3.paused', 'on');
    await workersRunning(0);
    try {
      const [waited] = await bookAndWait(pool, listener, [booking(restaurant)], { timeoutMs: 300 });
      assert.equal(waited.via, 'read');
      assert.equal(waited.decision.state, 'created');
      const heard = listener.expect(waited.booking_id, DECISION_TIMEOUT_MS);
      await admin.query('SELECT * FROM assignment_v3.process_pending()');
      const result = await heard;
      assert.ok(result, 'a notification came from the caller\'s own transaction');
      assert.equal(result.decision.state, 'confirmed');
      assert.equal(result.decision.booking_id, waited.booking_id);
    } finally {
      await setAndReload('assignment_v3.paused', 'off');
    }
  });

test('with assignment_v3.notify off nothing is announced, and the read still answers', async () => {
  await setAndReload('assignment_v3.paused', 'on');
  await workersRunning(0);
  await setAndReload('assignment_v3.notify', 'off');
  try {
    const b = booking(restaurant);
    const id = require('node:crypto').randomUUID();
    const heard = listener.expect(id, 1000);
    await admin.query(`INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
                       VALUES ($1, $2, $3, $4, $5)`,
                      [id, b.restaurant_id, b.party_size, b.start_at, b.end_at]);
    // Decided in this connection's own transaction, which runs with notify off for certain.
    await admin.query('SELECT * FROM assignment_v3.process_pending()');
    assert.equal(await heard, null);
    const [read] = await readBookings(pool, [id]);
    assert.equal(read.decision.state, 'confirmed');
  } finally {
    await setAndReload('assignment_v3.notify', 'on');
    await setAndReload('assignment_v3.paused', 'off');
  }
});

test('a lost listening connection makes waiters read instead of hanging', async () => {
  const lonely = await new DecisionListener({}).start();
  const { rows } = await admin.query('SELECT pg_backend_pid() AS pid');
  const pending = lonely.expect('00000000-0000-0000-0000-000000000000', DECISION_TIMEOUT_MS);
  const listenerPid = (await lonely.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  assert.notEqual(listenerPid, rows[0].pid);
  await admin.query('SELECT pg_terminate_backend($1)', [listenerPid]);
  assert.equal(await pending, null);
  await lonely.stop().catch(() => {});
});
