//! The PostgreSQL + PostGIS schema: migrations applied in order, the number applied kept in
//! `schema_version`. Never edit a migration that has shipped; add a new one.
//!
//! Times are Unix seconds (`bigint`), as in SQLite, so both backends return identical
//! values. Incident locations are kept as the exact `lon`/`lat` doubles they were given and
//! as `geom geometry(Point, 4326)` (generated, GiST-indexed) for GIS clients; areas keep
//! their GeoJSON text and a `geom geometry(MultiPolygon, 4326)`. H3 cells are `bigint[]`
//! computed by lagesbild (one per stored resolution), so no H3 extension is needed.

/// Schema migrations, applied in order.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite migrations 1-5 in one step.
    r#"
    CREATE EXTENSION IF NOT EXISTS postgis;
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO meta (key, value) VALUES ('data_version', '0'), ('interventions_version', '0');
    CREATE TABLE batches (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        format text NOT NULL,
        started_at text NOT NULL,
        accepted bigint NOT NULL DEFAULT 0,
        duplicates bigint NOT NULL DEFAULT 0,
        rejected bigint NOT NULL DEFAULT 0,
        outside bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE incidents (
        id bigserial PRIMARY KEY,
        partner text NOT NULL,
        ext_id text NOT NULL,
        category text NOT NULL,
        occurred_at bigint NOT NULL,
        occurred_to bigint,
        lon double precision NOT NULL,
        lat double precision NOT NULL,
        geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
        description text,
        batch_id bigint NOT NULL REFERENCES batches(id),
        source_row bigint NOT NULL,
        cells bigint[] NOT NULL,
        UNIQUE (partner, ext_id)
    );
    CREATE INDEX incidents_by_time ON incidents (occurred_at);
    CREATE INDEX incidents_geom ON incidents USING gist (geom);
    CREATE TABLE area_layers (
        id bigserial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        source text NOT NULL,
        imported_at text NOT NULL
    );
    CREATE TABLE areas (
        id bigserial PRIMARY KEY,
        layer_id bigint NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        code text NOT NULL,
        name text NOT NULL,
        population bigint,
        parent text,
        geometry text NOT NULL,
        geom geometry(MultiPolygon, 4326),
        UNIQUE (layer_id, code)
    );
    CREATE INDEX areas_geom ON areas USING gist (geom);
    CREATE TABLE incident_areas (
        incident_id bigint NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        layer_id bigint NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        area_id bigint NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
        PRIMARY KEY (incident_id, layer_id)
    );
    CREATE INDEX incident_areas_by_layer ON incident_areas (layer_id, incident_id);
    CREATE TABLE changes (
        version bigint PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('incidents', 'all')),
        from_ts bigint,
        to_ts bigint
    );
    CREATE TABLE interventions (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        partner text NOT NULL,
        target text NOT NULL,
        target_key text NOT NULL,
        start_day text NOT NULL,
        end_day text NOT NULL CHECK (end_day >= start_day),
        description text NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL
    );
    CREATE INDEX interventions_by_days ON interventions (start_day, end_day);
    CREATE INDEX interventions_by_target ON interventions (target_key, kind, partner);
    CREATE TABLE report_notes (
        report text NOT NULL,
        scope text NOT NULL,
        notes text NOT NULL,
        updated_at text NOT NULL,
        PRIMARY KEY (report, scope)
    );
    CREATE TABLE partners (
        code text PRIMARY KEY,
        name text NOT NULL,
        shares boolean NOT NULL DEFAULT true,
        created_at bigint NOT NULL
    );
    CREATE TABLE tokens (
        id bigserial PRIMARY KEY,
        hash bytea NOT NULL UNIQUE,
        partner text NOT NULL REFERENCES partners(code),
        role text NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
        label text NOT NULL DEFAULT '',
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint
    );
    CREATE TABLE audit (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        actor text NOT NULL,
        partner text,
        role text,
        action text NOT NULL,
        target text NOT NULL,
        rows bigint NOT NULL,
        detail text NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_time ON audit (at);
    CREATE FUNCTION lagesbild_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
    CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION lagesbild_audit_append_only();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION lagesbild_audit_append_only();
    "#,
    // 2: sign-in sessions and rate-limit counts, shared by every server (SQLite's 6).
    r#"
    CREATE TABLE sessions (
        key bytea PRIMARY KEY,
        token_id bigint NOT NULL REFERENCES tokens(id),
        csrf text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        ended_at bigint
    );
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    CREATE TABLE rate_limits (
        key text NOT NULL,
        window_start bigint NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (key, window_start)
    );
    CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
    "#,
    // 3: aggregates for GIS clients (`lagesbild gis refresh`) and read-only views of them in
    // schema lagesbild_gis; `lagesbild gis grant ROLE` lets a role read the views only.
    r#"
    CREATE TABLE gis_area_weeks (
        id bigserial PRIMARY KEY,
        layer text NOT NULL,
        area text NOT NULL,
        week text NOT NULL,
        incidents double precision NOT NULL,
        harm double precision NOT NULL,
        gi_z double precision,
        gi_bin smallint NOT NULL,
        significance text NOT NULL,
        UNIQUE (layer, area, week)
    );
    CREATE TABLE gis_hex_weeks (
        id bigserial PRIMARY KEY,
        res smallint NOT NULL,
        cell text NOT NULL,
        week text NOT NULL,
        incidents double precision NOT NULL,
        harm double precision NOT NULL,
        gi_z double precision,
        gi_bin smallint NOT NULL,
        geom geometry(Polygon, 4326) NOT NULL,
        UNIQUE (res, cell, week)
    );
    CREATE INDEX gis_hex_weeks_geom ON gis_hex_weeks USING gist (geom);
    CREATE SCHEMA lagesbild_gis;
    CREATE VIEW lagesbild_gis.area_weeks AS
        SELECT g.id, g.layer, g.area, a.name AS area_name, g.week, g.incidents, g.harm, g.gi_z,
               g.gi_bin, g.significance, a.geom
        FROM gis_area_weeks g
        JOIN area_layers l ON l.name = g.layer
        JOIN areas a ON a.layer_id = l.id AND a.code = g.area;
    CREATE VIEW lagesbild_gis.hex_weeks AS
        SELECT id, res, cell, week, incidents, harm, gi_z, gi_bin, geom FROM gis_hex_weeks;
    "#,
    // 4: interventions become actions (status, responsible, goal, decided_at, hotspot,
    // outcome); the last day becomes optional. Old rows get a status from their days.
    r#"
    ALTER TABLE interventions ALTER COLUMN end_day DROP NOT NULL;
    ALTER TABLE interventions
        ADD COLUMN status text NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'active', 'done', 'cancelled')),
        ADD COLUMN responsible text NOT NULL DEFAULT '',
        ADD COLUMN goal text NOT NULL DEFAULT '',
        ADD COLUMN decided_at text,
        ADD COLUMN hotspot text,
        ADD COLUMN outcome text NOT NULL DEFAULT '';
    UPDATE interventions SET status = CASE
        WHEN end_day < to_char(current_date, 'YYYY-MM-DD') THEN 'done'
        WHEN start_day <= to_char(current_date, 'YYYY-MM-DD') THEN 'active'
        ELSE 'planned' END;
    CREATE INDEX interventions_by_status ON interventions (status);
    "#,
    // 5: every save of meeting notes, decisions and partner input kept as a version;
    // `report_notes` keeps the current meeting notes for the reports.
    r#"
    CREATE TABLE report_note_versions (
        id bigserial PRIMARY KEY,
        report text NOT NULL,
        scope text NOT NULL,
        section text NOT NULL CHECK (section IN ('notes', 'decisions', 'partner')),
        partner text NOT NULL,
        author text NOT NULL,
        saved_at text NOT NULL,
        text text NOT NULL
    );
    CREATE INDEX report_note_versions_by_report ON report_note_versions (report, scope, id);
    INSERT INTO report_note_versions (report, scope, section, partner, author, saved_at, text)
    SELECT report, scope, 'notes', '', '', updated_at, notes FROM report_notes ORDER BY updated_at;
    CREATE FUNCTION lagesbild_note_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'note versions are append-only'; END $$;
    CREATE TRIGGER report_note_versions_no_update BEFORE UPDATE ON report_note_versions
        FOR EACH ROW EXECUTE FUNCTION lagesbild_note_versions_append_only();
    "#,
    // 6: import profiles: a partner's columns and formats, as JSON.
    r#"
    CREATE TABLE import_profiles (
        name text PRIMARY KEY,
        partner text NOT NULL,
        spec text NOT NULL,
        updated_at bigint NOT NULL
    );
    "#,
    // 7: partners' own category codes and labels mapped to category codes.
    r#"
    CREATE TABLE category_mappings (
        id bigserial PRIMARY KEY,
        partner text NOT NULL,
        value_key text NOT NULL,
        value text NOT NULL,
        category text NOT NULL,
        updated_at bigint NOT NULL,
        UNIQUE (partner, value_key)
    );
    "#,
];
