//! The SQLite schema: migrations applied in order; `PRAGMA user_version` is the number
//! applied. Never edit a migration that has shipped; add a new one.

/// Schema migrations, applied in order; `user_version` is the number applied.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    INSERT INTO meta (key, value) VALUES ('data_version', '0');
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        started_at TEXT NOT NULL,
        accepted INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        outside INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        partner TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        category TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        occurred_to INTEGER,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        description TEXT,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        source_row INTEGER NOT NULL,
        cells BLOB NOT NULL,
        UNIQUE (partner, ext_id)
    ) STRICT;
    CREATE INDEX incidents_by_time ON incidents (occurred_at);
    CREATE TABLE area_layers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE areas (
        id INTEGER PRIMARY KEY,
        layer_id INTEGER NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        population INTEGER,
        parent TEXT,
        geometry TEXT NOT NULL,
        UNIQUE (layer_id, code)
    ) STRICT;
    CREATE TABLE incident_areas (
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        layer_id INTEGER NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
        PRIMARY KEY (incident_id, layer_id)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 2: a log of what each data version changed, for incremental recomputation.
    r#"
    CREATE TABLE changes (
        version INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('incidents', 'all')),
        from_ts INTEGER,
        to_ts INTEGER
    ) STRICT;
    "#,
    // 3: the interventions register (see `interventions.rs`).
    r#"
    CREATE TABLE interventions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        partner TEXT NOT NULL,
        target TEXT NOT NULL,
        target_key TEXT NOT NULL,
        start_day TEXT NOT NULL,
        end_day TEXT NOT NULL CHECK (end_day >= start_day),
        description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX interventions_by_days ON interventions (start_day, end_day);
    CREATE INDEX interventions_by_target ON interventions (target_key, kind, partner);
    INSERT INTO meta (key, value) VALUES ('interventions_version', '0');
    "#,
    // 4: meeting notes stored with a report (see `notes.rs`).
    r#"
    CREATE TABLE report_notes (
        report TEXT NOT NULL,
        scope TEXT NOT NULL,
        notes TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (report, scope)
    ) STRICT;
    "#,
    // 5: access control (see `access`): partners, API tokens (hashes only) and the
    // append-only audit log, guarded by triggers.
    r#"
    CREATE TABLE partners (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        shares INTEGER NOT NULL DEFAULT 1 CHECK (shares IN (0, 1)),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        partner TEXT NOT NULL REFERENCES partners(code),
        role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
        label TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
    ) STRICT;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        partner TEXT,
        role TEXT,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        rows INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX audit_by_time ON audit (at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 6: sign-in sessions and rate-limit counts, in the database so that several servers
    // share them (see `sessions.rs`).
    r#"
    CREATE TABLE sessions (
        key BLOB PRIMARY KEY,
        token_id INTEGER NOT NULL REFERENCES tokens(id),
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER
    ) STRICT;
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    CREATE TABLE rate_limits (
        key TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key, window_start)
    ) STRICT;
    CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
    "#,
    // 7: interventions become actions (see `interventions.rs`): status, responsible, goal,
    // the meeting period it was decided at, the motivating hotspot, an outcome note; the
    // last day becomes optional (open-ended). Old rows get a status from their days.
    r#"
    CREATE TABLE interventions_v6 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        partner TEXT NOT NULL,
        target TEXT NOT NULL,
        target_key TEXT NOT NULL,
        start_day TEXT NOT NULL,
        end_day TEXT CHECK (end_day IS NULL OR end_day >= start_day),
        description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'active', 'done', 'cancelled')),
        responsible TEXT NOT NULL DEFAULT '',
        goal TEXT NOT NULL DEFAULT '',
        decided_at TEXT,
        hotspot TEXT,
        outcome TEXT NOT NULL DEFAULT ''
    ) STRICT;
    INSERT INTO interventions_v6 (id, kind, partner, target, target_key, start_day, end_day,
        description, created_at, updated_at, status)
    SELECT id, kind, partner, target, target_key, start_day, end_day, description, created_at,
        updated_at,
        CASE WHEN end_day < date('now') THEN 'done'
             WHEN start_day <= date('now') THEN 'active'
             ELSE 'planned' END
    FROM interventions;
    DROP TABLE interventions;
    ALTER TABLE interventions_v6 RENAME TO interventions;
    CREATE INDEX interventions_by_days ON interventions (start_day, end_day);
    CREATE INDEX interventions_by_target ON interventions (target_key, kind, partner);
    CREATE INDEX interventions_by_status ON interventions (status);
    "#,
    // 8: every save of meeting notes, decisions and partner input kept as a version (see
    // `notes.rs`); `report_notes` keeps the current meeting notes for the reports. Notes
    // saved before become the first version of the `notes` section.
    r#"
    CREATE TABLE report_note_versions (
        id INTEGER PRIMARY KEY,
        report TEXT NOT NULL,
        scope TEXT NOT NULL,
        section TEXT NOT NULL CHECK (section IN ('notes', 'decisions', 'partner')),
        partner TEXT NOT NULL,
        author TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        text TEXT NOT NULL
    ) STRICT;
    CREATE INDEX report_note_versions_by_report ON report_note_versions (report, scope, id);
    INSERT INTO report_note_versions (report, scope, section, partner, author, saved_at, text)
    SELECT report, scope, 'notes', '', '', updated_at, notes FROM report_notes ORDER BY updated_at;
    CREATE TRIGGER report_note_versions_no_update BEFORE UPDATE ON report_note_versions
        BEGIN SELECT RAISE(ABORT, 'note versions are append-only'); END;
    "#,
    // 9: import profiles (see `profiles.rs`): a partner's columns and formats, as JSON.
    r#"
    CREATE TABLE import_profiles (
        name TEXT PRIMARY KEY,
        partner TEXT NOT NULL,
        spec TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 10: partners' own category codes and labels mapped to category codes.
    r#"
    CREATE TABLE category_mappings (
        id INTEGER PRIMARY KEY,
        partner TEXT NOT NULL,
        value_key TEXT NOT NULL,
        value TEXT NOT NULL,
        category TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (partner, value_key)
    ) STRICT;
    "#,
];
