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
        // Transcription (issue 14): one speech-to-text job per recording, the transcripts, and a word index over
        // transcripts, summaries, content and addresses. The index folds diacritics (unicode61 remove_diacritics 2)
        // and đ/Đ to d/D (which Unicode does not decompose; TicketStore.searchFold does the same to queries), so
        // "den duong" finds "đèn đường". A trigger on attachments queues every recording in the transaction that
        // stores it (new drafts, drafts recovered after a crash, re-recordings); open drafts already stored are
        // queued here. Self-contained: it names only tables of steps 1–2.
        """
        CREATE TABLE transcription_jobs (
            id INTEGER PRIMARY KEY,
            attachment_id INTEGER NOT NULL UNIQUE REFERENCES attachments (id),
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            path TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            claimed_at REAL,
            claimed_by TEXT,
            last_error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        -- Jobs not done are few; done ones pile up (one per recording, for years): pollers read only the former.
        CREATE INDEX transcription_jobs_pending ON transcription_jobs (status, next_attempt_at) WHERE status != 'done';
        CREATE TABLE transcripts (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            attachment_id INTEGER NOT NULL UNIQUE REFERENCES attachments (id),
            recording_path TEXT NOT NULL,
            text TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            audio_ms INTEGER NOT NULL,
            processing_ms INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX transcripts_ticket ON transcripts (ticket_id, id);
        CREATE TRIGGER attachments_transcription_enqueue AFTER INSERT ON attachments WHEN NEW.kind = 'recording' BEGIN
            INSERT OR IGNORE INTO transcription_jobs (attachment_id, ticket_id, path, status, next_attempt_at, created_at, updated_at)
                VALUES (NEW.id, NEW.ticket_id, NEW.path, 'queued', NEW.added_at, NEW.added_at, NEW.added_at);
        END;
        INSERT INTO transcription_jobs (attachment_id, ticket_id, path, status, next_attempt_at, created_at, updated_at)
            SELECT a.id, a.ticket_id, a.path, 'queued', a.added_at, a.added_at, a.added_at
            FROM attachments a JOIN tickets t ON t.id = a.ticket_id
            WHERE a.kind = 'recording' AND t.status IN ('draft', 'returned');
        CREATE VIRTUAL TABLE ticket_search USING fts5(transcript, summary, content, address,
            tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO ticket_search (rowid, transcript, summary, content, address)
            SELECT id, '', replace(replace(summary, 'đ', 'd'), 'Đ', 'D'), replace(replace(content, 'đ', 'd'), 'Đ', 'D'),
                   replace(replace(reporter_address || ' ' || ward, 'đ', 'd'), 'Đ', 'D')
            FROM tickets;
        CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO ticket_search (rowid, transcript, summary, content, address)
                VALUES (NEW.id, '', replace(replace(NEW.summary, 'đ', 'd'), 'Đ', 'D'),
                        replace(replace(NEW.content, 'đ', 'd'), 'Đ', 'D'),
                        replace(replace(NEW.reporter_address || ' ' || NEW.ward, 'đ', 'd'), 'Đ', 'D'));
        END;
        CREATE TRIGGER tickets_search_update AFTER UPDATE OF summary, content, reporter_address, ward ON tickets BEGIN
            UPDATE ticket_search SET summary = replace(replace(NEW.summary, 'đ', 'd'), 'Đ', 'D'),
                content = replace(replace(NEW.content, 'đ', 'd'), 'Đ', 'D'),
                address = replace(replace(NEW.reporter_address || ' ' || NEW.ward, 'đ', 'd'), 'Đ', 'D')
                WHERE rowid = NEW.id;
        END;
        CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
            DELETE FROM ticket_search WHERE rowid = OLD.id;
        END;
        CREATE TRIGGER transcripts_search_insert AFTER INSERT ON transcripts BEGIN
            UPDATE ticket_search SET transcript = (
                SELECT replace(replace(group_concat(text, ' '), 'đ', 'd'), 'Đ', 'D') FROM transcripts WHERE ticket_id = NEW.ticket_id)
                WHERE rowid = NEW.ticket_id;
        END;
        CREATE TRIGGER transcripts_search_update AFTER UPDATE OF text ON transcripts BEGIN
            UPDATE ticket_search SET transcript = (
                SELECT replace(replace(group_concat(text, ' '), 'đ', 'd'), 'Đ', 'D') FROM transcripts WHERE ticket_id = NEW.ticket_id)
                WHERE rowid = NEW.ticket_id;
        END;
        """,
        // The console (issue 12): each user's password (a `$scrypt$...` string from DeskSecurity; NULL: cannot sign
        // in yet); the cases waiting for the City Office's guidance, by deadline, for the live queue; and a word
        // index of callers (the reporter's name folded like ticket_search, and the caller's number with every
        // ending of 3 to 11 digits as a word, so "5678" finds 0912345678 through the index, not a scan).
        // Self-contained: it names only tables of steps 1-4.
        """
        ALTER TABLE users ADD COLUMN password_hash TEXT;
        ALTER TABLE users ADD COLUMN password_changed_at REAL;
        CREATE INDEX tickets_guidance_due ON tickets (due_at) WHERE status = 'forwarded' AND guidance = 1;
        CREATE VIRTUAL TABLE caller_search USING fts5(name, phone, tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO caller_search (rowid, name, phone)
            SELECT id, replace(replace(reporter_name, 'đ', 'd'), 'Đ', 'D'),
                   caller_number || ' ' || substr(caller_number, -3) || ' ' || substr(caller_number, -4) || ' ' || substr(caller_number, -5) || ' ' || substr(caller_number, -6) || ' ' || substr(caller_number, -7) || ' ' || substr(caller_number, -8) || ' ' || substr(caller_number, -9) || ' ' || substr(caller_number, -10) || ' ' || substr(caller_number, -11)
            FROM tickets;
        CREATE TRIGGER tickets_caller_search_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO caller_search (rowid, name, phone)
                VALUES (NEW.id, replace(replace(NEW.reporter_name, 'đ', 'd'), 'Đ', 'D'),
                        NEW.caller_number || ' ' || substr(NEW.caller_number, -3) || ' ' || substr(NEW.caller_number, -4) || ' ' || substr(NEW.caller_number, -5) || ' ' || substr(NEW.caller_number, -6) || ' ' || substr(NEW.caller_number, -7) || ' ' || substr(NEW.caller_number, -8) || ' ' || substr(NEW.caller_number, -9) || ' ' || substr(NEW.caller_number, -10) || ' ' || substr(NEW.caller_number, -11));
        END;
        CREATE TRIGGER tickets_caller_search_update AFTER UPDATE OF reporter_name, caller_number ON tickets BEGIN
            UPDATE caller_search SET name = replace(replace(NEW.reporter_name, 'đ', 'd'), 'Đ', 'D'),
                phone = NEW.caller_number || ' ' || substr(NEW.caller_number, -3) || ' ' || substr(NEW.caller_number, -4) || ' ' || substr(NEW.caller_number, -5) || ' ' || substr(NEW.caller_number, -6) || ' ' || substr(NEW.caller_number, -7) || ' ' || substr(NEW.caller_number, -8) || ' ' || substr(NEW.caller_number, -9) || ' ' || substr(NEW.caller_number, -10) || ' ' || substr(NEW.caller_number, -11)
                WHERE rowid = NEW.id;
        END;
        CREATE TRIGGER tickets_caller_search_delete AFTER DELETE ON tickets BEGIN
            DELETE FROM caller_search WHERE rowid = OLD.id;
        END;
        """,
        // The citizens' own channels (issue 13): the city app's Open311 clients, one API key each, stored as the
        // SHA-256 of the key (a 256-bit random key needs no slow hash); the key itself is shown once, when made.
        """
        CREATE TABLE api_clients (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            key_sha256 TEXT NOT NULL UNIQUE,
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            last_used_at REAL
        );
        """,
        // Issue 17: the recording's audio integrity, the share of RTP packets lost or late while it was recorded.
        """
        ALTER TABLE attachments ADD COLUMN audio_loss_percent INTEGER;
        """,
        // Issue 25: carriers (Kannel/SMPP, Zalo ZNS) and their delivery reports. `fields` keeps the values a
        // message was made from (ZNS templates take parameters, not text); `route` is the index of the sender
        // to try next in the configured list; `delivery` is NULL while pending, then sent, delivered, failed,
        // expired or unknown; `report_token` authenticates the carrier's report for this one message;
        // `informed_*` records that a person told the citizen by other means.
        """
        ALTER TABLE outbox ADD COLUMN fields TEXT;
        ALTER TABLE outbox ADD COLUMN channel TEXT;
        ALTER TABLE outbox ADD COLUMN carrier_ref TEXT;
        ALTER TABLE outbox ADD COLUMN delivery TEXT;
        ALTER TABLE outbox ADD COLUMN delivery_code TEXT;
        ALTER TABLE outbox ADD COLUMN reported_at REAL;
        ALTER TABLE outbox ADD COLUMN route INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN report_due_at REAL;
        ALTER TABLE outbox ADD COLUMN unknown_retried INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN report_token TEXT;
        ALTER TABLE outbox ADD COLUMN informed_at REAL;
        ALTER TABLE outbox ADD COLUMN informed_by TEXT;
        UPDATE outbox SET report_token = lower(hex(randomblob(16))),
            delivery = CASE WHEN sent_at IS NOT NULL THEN 'sent' WHEN failed_at IS NOT NULL THEN 'failed' END;
        CREATE INDEX outbox_awaiting ON outbox (report_due_at) WHERE delivery = 'sent' AND report_due_at IS NOT NULL;
        CREATE INDEX outbox_carrier_ref ON outbox (channel, carrier_ref) WHERE carrier_ref IS NOT NULL;
        CREATE INDEX outbox_ticket ON outbox (ticket_id);
        CREATE INDEX outbox_not_told ON outbox (ticket_id) WHERE kind = 'acknowledgement' AND informed_at IS NULL
            AND (delivery IN ('failed', 'expired', 'unknown') OR failed_at IS NOT NULL);
        """,
        // Issue 23: the live queue's log (one row per thing that happened to a caller in the queue, the figures
        // are computed from it) and each gateway host's live state (who waits, each agent's state) as JSON.
        """
        CREATE TABLE queue_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            call_serial TEXT NOT NULL,
            caller_number TEXT NOT NULL,
            agent TEXT,
            queue_position INTEGER,
            wait_seconds INTEGER,
            talk_seconds INTEGER,
            pressed_key TEXT,
            outcome TEXT,
            ticket_code TEXT
        );
        CREATE INDEX queue_log_at ON queue_log (at);
        CREATE TABLE queue_state (host TEXT PRIMARY KEY, snapshot TEXT NOT NULL, at REAL NOT NULL);
        """,
        // Issue 23 §1–2: agents' phones (a registrar account's digest HA1, or an external URI) and the state
        // each agent last asked for.
        """
        CREATE TABLE agent_phones (
            user_name TEXT PRIMARY KEY REFERENCES users (name),
            digest_ha1 TEXT,
            uri TEXT,
            requested TEXT NOT NULL DEFAULT 'ready' CHECK (requested IN ('ready', 'break', 'offline')),
            reason TEXT,
            updated_at REAL NOT NULL,
            CHECK ((digest_ha1 IS NULL) <> (uri IS NULL))
        );
        """,
        // Issue 23 §6: supervisors' requests to listen in on an agent's call, taken up by the gateway holding it.
        """
        CREATE TABLE listen_requests (
            id INTEGER PRIMARY KEY,
            supervisor TEXT NOT NULL REFERENCES users (name),
            agent TEXT NOT NULL REFERENCES users (name),
            requested_at REAL NOT NULL,
            handled_at REAL,
            handled_by TEXT
        );
        """,
        // Issue 23 §4: live conversations' recordings, and the case each goes with (made from the call or picked).
        // A row may come first from either side: the agent's case during the call, or the gateway's recording.
        """
        CREATE TABLE conversations (
            call_ref TEXT PRIMARY KEY,
            ticket_id INTEGER REFERENCES tickets (id),
            caller_number TEXT NOT NULL DEFAULT '',
            agent TEXT,
            path TEXT,
            duration_ms INTEGER,
            sha256 TEXT,
            audio_loss_percent INTEGER,
            started_at REAL,
            filed_at REAL,
            linked_by TEXT,
            linked_at REAL
        );
        CREATE INDEX conversations_ticket ON conversations (ticket_id);
        """,
        // Issue 23 §5: agents' "Gọi lại", placed by the gateway holding their phone.
        """
        CREATE TABLE callback_requests (
            id INTEGER PRIMARY KEY,
            agent TEXT NOT NULL REFERENCES users (name),
            number TEXT NOT NULL,
            requested_at REAL NOT NULL,
            handled_at REAL,
            handled_by TEXT
        );
        """,
        // Issue 24: the review list (resolved cases, oldest first) without a scan of every ticket.
        """
        CREATE INDEX tickets_review ON tickets (resolved_at) WHERE status = 'resolved';
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
