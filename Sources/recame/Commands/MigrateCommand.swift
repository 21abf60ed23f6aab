import Foundation
import Postgres

enum MigrateCommand: Command {
    static let name = "migrate"
    static let summary = "apply migrations/ to PostgreSQL (idempotent)"
    static let usage = """
        usage: recame migrate [--database-url URL] [--migrations DIR] [--status] [--lock-timeout SECONDS]

        Applies the migration files DIR/NNNN_name.sql that the database has not seen yet, in version order,
        each in its own transaction, and records each one (version, name, SHA-256, time) in the table
        schema_migrations. Prints one line per migration applied; running it again changes nothing.
        Several migrators may start at once: a PostgreSQL advisory lock makes them take turns.

        It refuses to run, exit status 1 with the file named, when the files do not match the recorded
        history: an applied file was edited, renamed or deleted, a new file is numbered below one already
        applied, or a file name is malformed or duplicated. A failing migration leaves nothing of itself.

        options:
          --database-url URL      PostgreSQL to migrate (default: DATABASE_URL, else libpq's PG* variables
                                  such as PGHOST, PGPORT, PGUSER, PGDATABASE)
          --migrations DIR        folder of migration files (default: ./migrations if it exists, else the
                                  migrations/ folder of the checkout or install that holds this executable)
          --status                list every migration as applied (with its time) or pending; change nothing
          --lock-timeout SECONDS  how long to wait for another running migrator (default 60)
          --help                  show this text

        exit status: 0 up to date, 1 refused or failed, 2 bad usage
        """
    static var booleanFlags: Set<String> { ["status"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let url = arguments.databaseURL()
        let folder = arguments.string("migrations")
        let statusOnly = arguments.flag("status")
        let lockTimeout = try arguments.double("lock-timeout", default: 60)
        try arguments.finish()
        guard lockTimeout > 0 else { throw UsageError("--lock-timeout must be above 0 (got \(lockTimeout))") }
        let directory = try folder.map(explicitDirectory) ?? defaultDirectory()

        let connection = try PostgresConnection(url: url, applicationName: "recame migrate")
        defer { connection.close() }
        let migrator = Migrator(directory: directory, lockTimeout: lockTimeout)
        print("migrations in \(directory.path), database \(connection.target)")

        if statusOnly {
            for status in try migrator.status(connection) {
                let state = status.appliedAt.map { "applied \(formatted($0))" } ?? "pending"
                print("  \(status.migration.fileName)  \(state)")
            }
            return 0
        }
        let applied = try migrator.migrate(connection) { print($0) }
        let total = try Migration.load(from: directory).count
        if applied.isEmpty {
            print("up to date: all \(total) migration(s) already applied")
        } else {
            print("applied \(applied.count) migration(s); \(total) in total")
        }
        return 0
    }

    private static func explicitDirectory(_ path: String) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("--migrations \(path) is not a folder")
        }
        return URL(fileURLWithPath: path)
    }

    /// ./migrations, else the nearest migrations/ folder above the executable (a checkout's
    /// .build/debug/recame, or an install laid out as PREFIX/bin/recame with PREFIX/migrations).
    static func defaultDirectory() throws -> URL {
        let fileManager = FileManager.default
        func isFolder(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("migrations")
        if isFolder(local) { return local }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("migrations")
            if isFolder(candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        throw UsageError("no migrations/ folder here or above \(executable.path); pass --migrations DIR")
    }

    private static func formatted(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
