#!/usr/bin/env node
'use strict';
// Books a table and waits for the decision:
//   node book.js <restaurant_id> <party_size> <start ISO time> [minutes, default 120]
// Connection from the usual PG* environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER).
// Prints the decision as JSON; exits 0 when the booking was confirmed, 2 when it was not
// (manual review, or no decision within 5 s), 1 on an error.
const { Pool } = require('pg');
const { DecisionListener, bookAndWait } = require('./decisions');

async function main() {
  const [restaurantId, partySize, start, minutes = '120'] = process.argv.slice(2);
  if (!restaurantId || !partySize || !start) {
    console.error('usage: node book.js <restaurant_id> <party_size> <start ISO time> [minutes]');
    process.exit(1);
  }
  const startAt = new Date(start);
  const endAt = new Date(startAt.getTime() + Number(minutes) * 60000);
  const pool = new Pool({ max: 2 });
  const listener = await new DecisionListener({}).start();
  try {
    const [result] = await bookAndWait(pool, listener, [
      { restaurant_id: restaurantId, party_size: Number(partySize), start_at: startAt, end_at: endAt },
    ]);
    console.log(JSON.stringify(result));
    process.exitCode = result.decision && result.decision.state === 'confirmed' ? 0 : 2;
  } finally {
    await listener.stop();
    await pool.end();
  }
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
