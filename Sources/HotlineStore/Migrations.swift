import CSQLite
import Foundation

/// The schema, one step per version; each step runs in its own transaction.
enum Migrations {
    static let steps: [String] = [
        // 1: tickets, attachments, the append-only audit log, the tracking-code sequence.
        """
        CREATE TABLE sequences (name TEXT PRIMARY KEY, last INTEGER NOT NULL);
        INSERT INTO sequences (name, last) VALUES ('tracking', 0);
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            tracking_code TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL CHECK (channel IN ('phone', 'portal', 'app')),
            status TEXT NOT NULL,
            category TEXT CHECK (category IS NULL OR category IN ('infrastructure', 'socioeconomic', 'suggestion', 'directive')),
            caller_number TEXT NOT NULL DEFAULT '',
            confidential INTEGER NOT NULL DEFAULT 0,
            received_at REAL NOT NULL,
            due_at REAL,
            completed_at REAL,
            unit_code TEXT,
            sip_call_id TEXT,
            dialplan_version TEXT,
            interrupted INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX tickets_queue ON tickets (status, due_at, received_at);
        CREATE INDEX tickets_caller ON tickets (caller_number, received_at);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            kind TEXT NOT NULL CHECK (kind IN ('recording', 'photo', 'document')),
            path TEXT NOT NULL,
            duration_ms INTEGER,
            sha256 TEXT,
            added_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX attachments_path ON attachments (path);
        CREATE INDEX attachments_ticket ON attachments (ticket_id);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER REFERENCES tickets (id),
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_log_ticket ON audit_log (ticket_id, id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
        // 2: the full ticket (Art. 6), links, deadlines, rating; units and routing rules; the notification outbox.
        """
        ALTER TABLE tickets ADD COLUMN topic TEXT;
        ALTER TABLE tickets ADD COLUMN reporter_name TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN reporter_address TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN reporter_email TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN content TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN summary TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN ward TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN duplicate_of INTEGER REFERENCES tickets (id);
        ALTER TABLE tickets ADD COLUMN recurrence_of INTEGER REFERENCES tickets (id);
        ALTER TABLE tickets ADD COLUMN refusal_reason TEXT;
        ALTER TABLE tickets ADD COLUMN response_due_at REAL;
        ALTER TABLE tickets ADD COLUMN resolved_at REAL;
        ALTER TABLE tickets ADD COLUMN step_started_at REAL;
        ALTER TABLE tickets ADD COLUMN guidance INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tickets ADD COLUMN rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5);
        ALTER TABLE tickets ADD COLUMN rating_comment TEXT;
        ALTER TABLE tickets ADD COLUMN rated_at REAL;
        UPDATE tickets SET step_started_at = received_at;
        -- Reports aggregate by receipt time; the covering columns let SQLite count without visiting the table.
        CREATE INDEX tickets_report ON tickets (received_at, channel, category, topic, unit_code, status,
            due_at, resolved_at, completed_at, response_due_at);
        CREATE INDEX tickets_open_due ON tickets (due_at)
            WHERE status NOT IN ('completed', 'refused', 'withdrawn', 'merged');
        CREATE INDEX tickets_unit_status ON tickets (unit_code, status, due_at);
        CREATE INDEX tickets_ward_topic ON tickets (ward, topic, received_at);
        CREATE TABLE units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            wards TEXT NOT NULL DEFAULT '[]',
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE routing_rules (
            position INTEGER PRIMARY KEY,
            category TEXT,
            topic TEXT,
            ward TEXT,
            units TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            sent_at REAL,
            failed_at REAL,
            last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
        """,
        // 3: per-day counts by status and lateness, kept by triggers, so cumulative report figures over a
        //    million tickets read a few thousand rows instead of grouping every ticket. A day is a Vietnam
        //    day (UTC+7, 25200 s); "late" is a completed ticket resolved after its response deadline.
        """
        CREATE TABLE daily_counts (
            day INTEGER NOT NULL,
            status TEXT NOT NULL,
            late INTEGER NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (day, status, late)
        ) WITHOUT ROWID;
        INSERT INTO daily_counts (day, status, late, n)
            SELECT CAST((received_at + 25200) / 86400 AS INTEGER), status,
                   (status = 'completed' AND COALESCE(resolved_at, completed_at) > COALESCE(response_due_at, 1e18)), count(*)
            FROM tickets GROUP BY 1, 2, 3;
        CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO daily_counts (day, status, late, n) VALUES (CAST((NEW.received_at + 25200) / 86400 AS INTEGER), NEW.status, (NEW.status = 'completed' AND COALESCE(NEW.resolved_at, NEW.completed_at) > COALESCE(NEW.response_due_at, 1e18)), 1)
                ON CONFLICT (day, status, late) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER tickets_count_update
            AFTER UPDATE OF status, received_at, resolved_at, completed_at, response_due_at ON tickets BEGIN
            UPDATE daily_counts SET n = n - 1 WHERE day = CAST((OLD.received_at + 25200) / 86400 AS INTEGER) AND status = OLD.status AND late = (OLD.status = 'completed' AND COALESCE(OLD.resolved_at, OLD.completed_at) > COALESCE(OLD.response_due_at, 1e18));
            INSERT INTO daily_counts (day, status, late, n) VALUES (CAST((NEW.received_at + 25200) / 86400 AS INTEGER), NEW.status, (NEW.status = 'completed' AND COALESCE(NEW.resolved_at, NEW.completed_at) > COALESCE(NEW.response_due_at, 1e18)), 1)
                ON CONFLICT (day, status, late) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets BEGIN
            UPDATE daily_counts SET n = n - 1 WHERE day = CAST((OLD.received_at + 25200) / 86400 AS INTEGER) AND status = OLD.status AND late = (OLD.status = 'completed' AND COALESCE(OLD.resolved_at, OLD.completed_at) > COALESCE(OLD.response_due_at, 1e18));
        END;
        """,
        // 4: users and their roles, agents' claims, and when the handling unit received a ticket (the transfer
        //    window of Art. 8.2f runs from then).
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('agent', 'unit', 'supervisor', 'administrator')),
            unit_code TEXT REFERENCES units (code),
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            CHECK ((role = 'unit') = (unit_code IS NOT NULL))
        );
        CREATE TABLE claims (
            ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
            user_name TEXT NOT NULL REFERENCES users (name),
            claimed_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        ALTER TABLE tickets ADD COLUMN forwarded_at REAL;
        UPDATE tickets SET forwarded_at = step_started_at WHERE status IN ('forwarded', 'accepted', 'transferred');
        """,
        // v5: the unit's result in words (Art. 8.1c; seed 000 §6: no "chung chung" answers), shown in review
        // and sent to the citizen with the result.
        """
        ALTER TABLE tickets ADD COLUMN result_text TEXT;
        """,
    ]

    static func apply(_ db: Connection) throws {
        let current = try db.prepare("PRAGMA user_version").query { Int($0.int(0)) }.first ?? 0
        guard current <= steps.count else {
            throw SQLiteError(code: 0, message: "the database has schema version \(current), newer than this program (\(steps.count))",
                              context: "opening the store")
        }
        for version in current..<steps.count {
            try db.transaction {
                try db.execute(steps[version])
                try db.execute("PRAGMA user_version = \(version + 1)")
            }
        }
    }
}
