import Foundation

/// Applies `migrations/NNNN_name.sql` in version order, each in its own transaction, and records each in
/// `schema_migrations` (version, name, SHA-256 checksum, applied_at).
///
/// Safe to run from several processes at once (a PostgreSQL advisory lock serializes them, and the
/// later ones find nothing to do), and safe to run again (a no-op when everything is applied). It refuses
/// to touch the database when the history does not match the files: an applied file was edited, renamed
/// or deleted, or a new file is numbered below one already applied. Migration files must not contain
/// COMMIT/ROLLBACK or statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY).
public struct Migrator {
    public struct Status: Sendable {
        public let migration: Migration
        /// When it was applied; nil while pending.
        public let appliedAt: Date?
    }

    /// Key of the session-level advisory lock that serializes migrators ("recamemg" in ASCII).
    public static let advisoryLockKey = 0x7265_6361_6d65_6d67

    public let directory: URL
    /// How long to wait for another migrator before giving up.
    public var lockTimeout: TimeInterval

    public init(directory: URL, lockTimeout: TimeInterval = 60) {
        self.directory = directory
        self.lockTimeout = lockTimeout
    }

    /// Applies every pending migration and returns them (empty when the database was up to date).
    /// `log` receives one line per applied migration.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, log: (String) -> Void = { _ in }) throws -> [Migration] {
        let migrations = try Migration.load(from: directory)
        guard !connection.inTransaction else {
            throw MigrationError("migrate needs a connection outside any transaction: each file commits on its own")
        }
        try acquireLock(connection, log: log)
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey) }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY CHECK (version > 0),
                name text NOT NULL,
                checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let pending = try verifyHistory(migrations, connection: connection)
        for migration in pending {
            let started = Date()
            try connection.transaction { connection in
                do {
                    try connection.runScript(migration.sql)
                } catch let error as PostgresError {
                    throw MigrationError("\(migration.url.path) failed, nothing of it was applied: \(error)")
                }
                guard connection.inTransaction else {
                    throw MigrationError(
                        "\(migration.url.path) ends the transaction itself (COMMIT or ROLLBACK); remove that: "
                            + "the migrator runs each file in its own transaction")
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version, migration.name, migration.checksum)
            }
            let milliseconds = Int(Date().timeIntervalSince(started) * 1000)
            log("applied \(migration.fileName) (sha256 \(migration.checksum.prefix(12))…, \(milliseconds) ms)")
        }
        return pending
    }

    /// Every migration file with when it was applied, without changing anything (it still checks that
    /// the history matches the files).
    public func status(_ connection: PostgresConnection) throws -> [Status] {
        let migrations = try Migration.load(from: directory)
        let exists = try connection.value("SELECT to_regclass('schema_migrations') IS NOT NULL", as: Bool.self)
        guard exists else { return migrations.map { Status(migration: $0, appliedAt: nil) } }
        _ = try verifyHistory(migrations, connection: connection)
        var appliedAt: [Int: Date] = [:]
        for row in try connection.query("SELECT version, applied_at FROM schema_migrations") {
            appliedAt[try row.decode("version")] = try row.decode("applied_at", as: Date.self)
        }
        return migrations.map { Status(migration: $0, appliedAt: appliedAt[$0.version]) }
    }

    /// Checks the recorded history against the files and returns the migrations still to apply.
    private func verifyHistory(_ migrations: [Migration], connection: PostgresConnection) throws -> [Migration] {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var applied: Set<Int> = []
        var latest = 0
        for row in try connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
        {
            let version: Int = try row.decode("version")
            let name: String = try row.decode("name")
            let checksum: String = try row.decode("checksum")
            let appliedAt: Date = try row.decode("applied_at")
            let recorded = "\(String(format: "%04d", version))_\(name).sql"
            guard let file = byVersion[version] else {
                throw MigrationError(
                    "\(directory.appendingPathComponent(recorded).path) was applied on \(appliedAt) but is missing "
                        + "from \(directory.path); restore it (applied migrations are never deleted)")
            }
            guard file.name == name else {
                throw MigrationError(
                    "\(file.url.path): version \(version) was applied as \(recorded); restore that name")
            }
            guard file.checksum == checksum else {
                throw MigrationError(
                    "\(file.url.path) changed after it was applied on \(appliedAt) (recorded sha256 \(checksum), "
                        + "file now \(file.checksum)); restore it and put the change in a new migration")
            }
            applied.insert(version)
            latest = max(latest, version)
        }
        let pending = migrations.filter { !applied.contains($0.version) }
        if let early = pending.first(where: { $0.version < latest }) {
            throw MigrationError(
                "\(early.url.path) is numbered below the latest applied migration (\(latest)); "
                    + "give it a version above \(latest)")
        }
        return pending
    }

    private func acquireLock(_ connection: PostgresConnection, log: (String) -> Void) throws {
        let deadline = Date().addingTimeInterval(lockTimeout)
        var announced = false
        while !(try connection.value("SELECT pg_try_advisory_lock($1)", Self.advisoryLockKey, as: Bool.self)) {
            if Date() >= deadline {
                throw PostgresError(
                    kind: .timeout,
                    message: "another migrator held the migration lock for over \(Int(lockTimeout)) s; try again")
            }
            if !announced {
                log("waiting for another migrator to finish…")
                announced = true
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
