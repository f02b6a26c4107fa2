import GRDB

/// The outbox schema, as a sequence of migrations that upgrade a store in place.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: outbox, attempts, audit trail") { db in
            try db.execute(
                sql: """
                    CREATE TABLE message (
                        id TEXT PRIMARY KEY NOT NULL,
                        contact_id TEXT NOT NULL,
                        rule TEXT NOT NULL,
                        occurrence TEXT NOT NULL,
                        contact_kind TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        template TEXT NOT NULL,
                        state TEXT NOT NULL,
                        due_at REAL NOT NULL,
                        next_attempt_at REAL,
                        sender TEXT NOT NULL,
                        recipient_name TEXT,
                        recipient_address TEXT,
                        reply_to TEXT,
                        subject TEXT NOT NULL,
                        body_text TEXT NOT NULL,
                        body_html TEXT,
                        contact_json TEXT NOT NULL,
                        source_hash TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        requires_approval INTEGER NOT NULL,
                        approved_at REAL,
                        approved_by TEXT,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        lease_owner TEXT,
                        lease_expires_at REAL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        sent_at REAL,
                        closed_at REAL,
                        closed_by TEXT,
                        UNIQUE (contact_id, rule, occurrence)
                    );
                    CREATE INDEX message_by_state_due ON message (state, due_at);
                    CREATE INDEX message_by_contact ON message (contact_id);

                    CREATE TABLE attempt (
                        id INTEGER PRIMARY KEY,
                        message_id TEXT NOT NULL REFERENCES message (id),
                        started_at REAL NOT NULL,
                        transport TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        latency_ms INTEGER NOT NULL
                    );
                    CREATE INDEX attempt_by_message ON attempt (message_id);

                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY,
                        at REAL NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        message_id TEXT,
                        from_state TEXT,
                        to_state TEXT,
                        note TEXT
                    );
                    CREATE INDEX event_by_message ON event (message_id);
                    CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE TRIGGER event_is_append_only_delete BEFORE DELETE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    """)
        }
        migrator.registerMigration("v2-operator: contact events, heartbeats, kinds") { db in
            // Events name their contact, so a relationship's timeline is one query. The
            // append-only triggers are lifted for the one-time backfill only.
            try db.execute(
                sql: """
                    ALTER TABLE event ADD COLUMN contact_id TEXT;
                    DROP TRIGGER event_is_append_only_update;
                    UPDATE event SET contact_id = (SELECT contact_id FROM message WHERE message.id = event.message_id);
                    CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE INDEX event_by_contact ON event (contact_id);
                    CREATE INDEX event_by_time ON event (at);

                    CREATE TABLE daemon (
                        owner TEXT PRIMARY KEY NOT NULL,
                        host TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        version TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        tick_seconds REAL NOT NULL,
                        last_tick_at REAL,
                        last_error TEXT,
                        last_error_at REAL,
                        transports TEXT NOT NULL DEFAULT '[]',
                        stopped_at REAL
                    );

                    CREATE TABLE contact_kind (
                        contact_id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        since REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-planner: touchpoints, lateness bound") { db in
            try db.execute(
                sql: """
                    CREATE TABLE touchpoint (
                        id INTEGER PRIMARY KEY,
                        contact_id TEXT NOT NULL,
                        at REAL NOT NULL,
                        note TEXT,
                        actor TEXT NOT NULL,
                        recorded_at REAL NOT NULL
                    );
                    CREATE INDEX touchpoint_by_contact ON touchpoint (contact_id, at);
                    ALTER TABLE message ADD COLUMN max_lateness REAL;
                    """)
        }
        migrator.registerMigration("v3-consent: opt-outs, unsubscribe links, erasure") { db in
            try db.execute(
                sql: """
                    ALTER TABLE message ADD COLUMN unsubscribe_url TEXT;
                    ALTER TABLE message ADD COLUMN purged_at REAL;

                    CREATE TABLE opt_out (
                        contact_id TEXT PRIMARY KEY NOT NULL,
                        scope TEXT NOT NULL,
                        at REAL NOT NULL,
                        source TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        note TEXT
                    );
                    CREATE INDEX message_closed ON message (state, closed_at) WHERE purged_at IS NULL;
                    """)
        }
        migrator.registerMigration("v3-delivery: suppression list") { db in
            // Keyed by the hash of the normalised address, so erasure can keep a suppression
            // without keeping the address (`address` is then NULL).
            try db.execute(
                sql: """
                    CREATE TABLE suppression (
                        address_hash TEXT PRIMARY KEY NOT NULL,
                        address TEXT,
                        reason TEXT NOT NULL,
                        source TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        created_by TEXT NOT NULL
                    );
                    CREATE INDEX message_by_recipient ON message (recipient_address COLLATE NOCASE)
                        WHERE recipient_address IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v4-events: lifecycle event subscriptions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event_subscription (type TEXT PRIMARY KEY NOT NULL);
                    CREATE TABLE lifecycle_event (
                        id INTEGER PRIMARY KEY,
                        event_id TEXT NOT NULL UNIQUE,
                        type TEXT NOT NULL,
                        body TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        sent_at REAL,
                        lease_owner TEXT,
                        lease_expires_at REAL
                    );
                    CREATE INDEX lifecycle_event_due ON lifecycle_event (state, next_attempt_at);
                    """)
        }
        migrator.registerMigration("v4-planner: plan fingerprint") { db in
            // `setting` keeps the fingerprint of the inputs of the last plan; the index makes
            // "when did any message last change" one lookup.
            try db.execute(
                sql: """
                    CREATE TABLE setting (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE INDEX message_by_update ON message (updated_at);
                    """)
        }
        migrator.registerMigration("v5-store: attempt owner") { db in
            // Which daemon made the attempt (`host:pid`), when several share a store.
            try db.execute(sql: "ALTER TABLE attempt ADD COLUMN owner TEXT")
        }
        migrator.registerMigration("v6-planner: record index") { db in
            // The data file's records as the last plan saw them (`RecordIndex`), one blob.
            try db.execute(sql: "CREATE TABLE plan_record_index (slot INTEGER PRIMARY KEY, records BLOB NOT NULL)")
        }
        migrator.registerMigration("v7-operator: due time set by an operator") { db in
            // Who rescheduled a message, made it due now or retried it: the planner keeps that
            // time rather than re-timing it to the schedule's.
            try db.execute(sql: "ALTER TABLE message ADD COLUMN due_set_by TEXT")
        }
        migrator.registerMigration("v8-planner: record index in a file of its own") { db in
            // Kept beside the store (`Outbox.recordIndexPath`): a cache rewritten whole by
            // every plan of a changed file, which in the store cost its size twice in the
            // write-ahead log and the checkpoint.
            try db.execute(sql: "DROP TABLE plan_record_index")
            try db.execute(sql: "DELETE FROM setting WHERE key = 'plan_basis'")
        }
        migrator.registerMigration("v9-planner: message changes counted, not indexed") { db in
            // The planning marker needs to change whenever a message's `updated_at` is set. An
            // index on it served `max(updated_at)`, but cost every refresh of an old message a
            // random page (its old entry) in the write-ahead log and the checkpoint: about a
            // quarter of the pages of a plan of the changes. A trigger counts the changes in
            // one row instead (`SQLDialect.messageChanges`).
            try db.execute(
                sql: """
                    DROP INDEX message_by_update;
                    CREATE TRIGGER message_changes AFTER UPDATE OF updated_at ON message
                        BEGIN
                            INSERT INTO setting (key, value) VALUES ('message_changes', '1')
                                ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
                        END;
                    """)
        }
        return migrator
    }
}
