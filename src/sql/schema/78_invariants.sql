--------------------------------------------------------------------------------------------
-- Invariants
--------------------------------------------------------------------------------------------

CREATE FUNCTION check_invariants()
RETURNS TABLE (invariant text, booking_id uuid, detail text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- No table holds two bookings at once (the exclusion constraint makes this impossible).
    SELECT 'double_booked_table', a.booking_id,
           format('table %s also holds booking %s during %s', a.table_id, b.booking_id, a.during * b.during)
    FROM assignment_v3.table_assignments a
    JOIN assignment_v3.table_assignments b
      ON a.table_id = b.table_id AND a.booking_id < b.booking_id AND a.during && b.during
    UNION ALL
    -- A confirmed booking has tables seating its party.
    SELECT 'confirmed_without_enough_seats', bk.id,
           format('party of %s, %s seats assigned', bk.party_size, coalesce(sum(t.capacity), 0))
    FROM assignment_v3.bookings bk
    LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
    WHERE bk.assignment_state = 'confirmed'
    GROUP BY bk.id, bk.party_size
    HAVING coalesce(sum(t.capacity), 0) < bk.party_size
    UNION ALL
    -- A confirmed booking not yet over sits at active tables that can still be combined (a
    -- booking under way keeps its seats when its table changes, and is reported here).
    SELECT p.invariant, p.booking_id,
           p.detail || CASE WHEN p.under_way THEN ' (under way: it keeps its seats)' ELSE '' END
    FROM assignment_v3_internal.seating_problems(NULL) p
    WHERE p.invariant <> 'confirmed_without_enough_seats'  -- reported above, for every booking
    UNION ALL
    -- Only confirmed bookings hold tables.
    SELECT DISTINCT ON (bk.id) 'tables_held_by_unconfirmed_booking', bk.id,
           format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    WHERE bk.assignment_state <> 'confirmed'
    UNION ALL
    -- Intermediate states live only inside an invocation; committed, they mean a lost update.
    SELECT 'stuck_in_intermediate_state', bk.id, format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    WHERE bk.assignment_state IN ('capacity_verified', 'table_selected')
    UNION ALL
    -- The last event that decided a booking's state agrees with the state it is in.
    SELECT 'outcome_event_mismatch', last.booking_id,
           format('last deciding event %s (event %s) implies %s, booking is %s',
                  last.event_type, last.id, last.implied, bk.assignment_state)
    FROM (
        SELECT DISTINCT ON (e.booking_id) e.booking_id, e.id, e.event_type,
               CASE
                   WHEN e.event_type = 'coordinator.confirmed' THEN 'confirmed'
                   WHEN e.event_type = 'coordinator.retry' THEN 'retry_scheduled'
                   WHEN e.event_type = 'coordinator.manual_review' THEN 'manual_review'
                   WHEN e.event_type = 'coordinator.error' THEN 'runnable'
                   WHEN e.event_type = 'auto_assign.summary' THEN
                       CASE e.context->>'outcome'
                           WHEN 'confirmed' THEN 'confirmed'
                           WHEN 'manual_review' THEN 'manual_review'
                           ELSE 'runnable'
                       END
                   ELSE e.context->>'to'
               END AS implied
        FROM assignment_v3.observability_events e
        WHERE e.booking_id IS NOT NULL
          AND (e.event_type IN ('coordinator.confirmed', 'coordinator.retry', 'coordinator.manual_review',
                                'coordinator.error')
               OR (e.event_type = 'auto_assign.summary' AND e.context->>'outcome' <> 'noop')
               OR (e.event_type = 'booking.assignment_state_transition'
                   AND e.context->>'cause' IN ('modification', 'cancellation', 'requeue', 'manual_assignment',
                                                    'inventory_change')))
        ORDER BY e.booking_id, e.created_at DESC, e.id DESC
    ) last
    JOIN assignment_v3.bookings bk ON bk.id = last.booking_id
    WHERE NOT (last.implied = bk.assignment_state
               OR (last.implied = 'runnable' AND bk.assignment_state IN ('created', 'retry_scheduled')))
$$;
COMMENT ON FUNCTION check_invariants() IS
    'Rows describe violations: double-booked tables, confirmed bookings without enough seats, '
    'on inactive tables or on tables that can no longer be combined, tables held by unconfirmed '
    'bookings, bookings stuck in an intermediate state, and outcome events that do not match a '
    'booking''s state. No rows: healthy.'
    ' Example: SELECT * FROM assignment_v3.check_invariants();';
REVOKE ALL ON FUNCTION check_invariants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION check_invariants() TO pg_monitor;
