-- The audit log is append-only: the database itself refuses to change or remove an entry,
-- whatever code (or person with a SQL prompt through the app's connection) asks.
CREATE TRIGGER "audit_event_no_update" BEFORE UPDATE ON "audit_event"
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;

CREATE TRIGGER "audit_event_no_delete" BEFORE DELETE ON "audit_event"
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;
