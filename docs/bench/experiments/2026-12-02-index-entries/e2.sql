-- e1, and the bookings and assignments without their (restaurant, start) indexes. Not shippable,
-- and slower: the workers read a restaurant's seatings and covers through those indexes.
DROP INDEX assignment_v3.observability_events_booking_idx;
DROP INDEX assignment_v3.observability_events_source_created_at_idx;
DROP INDEX assignment_v3.bookings_restaurant_start_idx;
DROP INDEX assignment_v3.table_assignments_restaurant_start_idx;
