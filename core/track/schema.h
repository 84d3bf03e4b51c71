#pragma once

#include "core/track/sqlite.h"

#include <array>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

// The store's schema as numbered migrations keyed by PRAGMA user_version. This is a header
// because the runs table has a column named after the tensor library, and the build gives
// every .cpp that names it the 800 MB precompiled header.
namespace lathe::track::schema {

/// Migration i takes user_version i to i + 1, in its own transaction. Append new steps; never
/// edit a step that has shipped.
inline constexpr std::array<std::string_view, 3> kMigrations{
    // 1: the initial schema.
    R"sql(
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'created',
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    config_json TEXT NOT NULL DEFAULT '{}',
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0,
    pid_start INTEGER NOT NULL DEFAULT 0,
    torch_version TEXT NOT NULL DEFAULT '',
    seed INTEGER NOT NULL DEFAULT 0,
    parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    notes TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_name ON runs(name);
CREATE INDEX runs_parent ON runs(parent_id);
CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL,
    wall_time REAL,
    value REAL
);
CREATE INDEX metrics_series ON metrics(run_id, key, id);
-- A read cache for plotting whole series: each row packs 4096 consecutive samples of one
-- series (all of its metrics rows with first_id <= id <= last_id), column by column: step
-- (int64), epoch, wall_time, value (float64), native byte order. metrics stays the truth.
CREATE TABLE metric_blocks (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    first_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    max_step INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX metric_blocks_series ON metric_blocks(run_id, key, first_id);
CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE INDEX artifacts_run ON artifacts(run_id, id);
CREATE TABLE tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    UNIQUE (run_id, tag)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    wall_time REAL NOT NULL,
    payload_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_run ON events(run_id, id);
)sql",
    // 2: histograms of weights, gradients and activations recorded during training: one row
    // per (run, step, tensor name, kind) with the range [min, max] and the counts of its equal
    // bins as uint32 little-endian (see histogram_blob.h).
    R"sql(
CREATE TABLE histograms (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    step INTEGER NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    counts BLOB NOT NULL
);
CREATE UNIQUE INDEX histograms_series ON histograms(run_id, name, kind, step);
)sql",
    // 3: sweeps (core/track/sweep_store.h). A sweep holds its spec self-contained (the base
    // config inline, --set overrides applied) and the step limit of every trial (--max-steps,
    // 0: none), so that a worker joining it needs only its id. Each trial is a row numbered
    // from 0 in its sweep, owned while running by a worker process (host, pid, pid_start, as
    // runs are), with the run that trains it; the intermediate objective values the pruner
    // reads are rows of sweep_values.
    R"sql(
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    max_steps INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running',
    created_at REAL NOT NULL,
    ended_at REAL
);
CREATE TABLE sweep_trials (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    params_json TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'running',
    value REAL,
    error_message TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0,
    pid_start INTEGER NOT NULL DEFAULT 0,
    asked_at REAL NOT NULL,
    ended_at REAL,
    PRIMARY KEY (sweep_id, number)
);
CREATE INDEX sweep_trials_run ON sweep_trials(run_id);
CREATE TABLE sweep_values (
    sweep_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (sweep_id, number, step),
    FOREIGN KEY (sweep_id, number) REFERENCES sweep_trials(sweep_id, number) ON DELETE CASCADE
) WITHOUT ROWID;
)sql",
};

/// The schema version this build writes.
inline constexpr int kLatestVersion = static_cast<int>(kMigrations.size());

/// How long a connection waits for another writer before failing with Io.
inline constexpr int kBusyTimeoutMs = 5000;

/// Opens the store database: creates parent folders and the file if missing, refuses a file
/// that is not SQLite or not Lathe's (BadInput) or whose version is newer than `steps`
/// (SchemaTooNew; the file is left untouched), then sets WAL, synchronous=NORMAL, foreign keys
/// and a 5 s busy timeout and applies the missing steps. Safe against another process opening
/// the same file at the same time. The connection is for the calling thread.
Result<sql::Database> openDatabase(const std::filesystem::path &file,
                                   std::span<const std::string_view> steps = kMigrations);

/// Opens an existing store database read-only, whatever its version (a newer Lathe's too):
/// nothing is created, configured, migrated or written (PRAGMA query_only). NotFound for a
/// missing file, BadInput for one that is not a Lathe database.
Result<sql::Database> openDatabaseReadOnly(const std::filesystem::path &file);

/// A connection for a reader (the run views, `lathe-cli runs`): read-write where this build can
/// open the database, and read-only with the reason when a newer Lathe wrote it.
struct ReadingConnection
{
    sql::Database db;
    std::string readOnlyReason; ///< empty when writable; else why not (the SchemaTooNew message)
};

/// openDatabase(), falling back to openDatabaseReadOnly() when the schema is too new. Every
/// other failure of openDatabase() is returned as it is.
Result<ReadingConnection> openDatabaseForReading(const std::filesystem::path &file);

} // namespace lathe::track::schema
