import CLibPQ
import Foundation

/// One session with PostgreSQL over libpq.
///
/// Statements take their values only as bound parameters (`$1..$n`); there is no API that splices values
/// into SQL. Every session runs with `TimeZone = UTC`, `DateStyle = ISO`, hex `bytea` output and exact
/// float output, so that decoding never depends on server defaults.
///
/// Calls are serialized by an internal lock, so a connection may be handed between threads; like any
/// PostgreSQL session it runs one statement at a time, so give each concurrent worker its own.
public final class PostgresConnection: @unchecked Sendable {
    /// `PGconn *`, nil once closed.
    private var connection: OpaquePointer?
    let lock = NSRecursiveLock()
    /// Channels to LISTEN on again after `reset()`, which starts a new server session.
    var listenedChannels: [String] = []
    var savepointDepth = 0
    /// `user@host:port/database`, never the password: safe for logs and error messages.
    public private(set) var target = ""
    private var secrets: [String] = []

    /// Connects to `url` (a `postgresql://` URL or a `key=value` connection string); "" uses libpq's
    /// `PG*` environment variables and defaults. `connectTimeout` applies unless the URL sets its own.
    public init(url: String = "", applicationName: String = "recame", connectTimeout: Int = 10) throws {
        secrets = ConnectionString.secrets(in: url)
        // Keywords after `dbname` override what the expanded URL says; those before it are defaults.
        // TCP keepalives notice a server that vanished (power loss, partition) within about half a
        // minute instead of the kernel's two hours, so a blocked statement fails as a connection failure.
        let parameters = [
            ("connect_timeout", String(connectTimeout)),
            ("keepalives_idle", "15"),
            ("keepalives_interval", "5"),
            ("keepalives_count", "3"),
            ("fallback_application_name", applicationName),
            ("dbname", url),
            ("client_encoding", "UTF8"),
        ]
        let handle = withCStrings(parameters.map(\.0)) { keywords in
            withCStrings(parameters.map(\.1)) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        target = Self.describe(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = redact(Self.errorMessage(handle))
            PQfinish(handle)
            let place = target.hasPrefix(":") ? "" : " at \(target)"
            throw PostgresError(kind: .connection, message: "could not connect to PostgreSQL\(place): \(message)")
        }
        connection = handle
        try configureSession()
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Ends the session; later calls throw a connection error.
    public func close() {
        lock.withLock {
            if let connection { PQfinish(connection) }
            connection = nil
        }
    }

    /// True while the session is usable (it may still fail on the next statement if the server went away).
    public var isConnected: Bool {
        lock.withLock { connection.map { PQstatus($0) == CONNECTION_OK } ?? false }
    }

    /// The server's version as a number, e.g. 150020 for 15.20.
    public var serverVersion: Int { lock.withLock { connection.map { Int(PQserverVersion($0)) } ?? 0 } }

    /// The server process serving this session (what `pg_notify` reports as the sender).
    public var backendProcessID: Int32 { lock.withLock { connection.map { PQbackendPID($0) } ?? 0 } }

    /// True inside `transaction { }` or after a manual BEGIN.
    public var inTransaction: Bool {
        lock.withLock { connection.map { PQtransactionStatus($0) != PQTRANS_IDLE } ?? false }
    }

    /// Reconnects with the same parameters after a connection failure (a new server session: session
    /// settings and LISTENs are restored; an open transaction is gone). Throws while the server is
    /// still unreachable, so callers retry it with backoff.
    public func reset() throws {
        try lock.withLock {
            guard let connection else {
                throw PostgresError(kind: .connection, message: "the connection to \(target) was closed")
            }
            PQreset(connection)
            savepointDepth = 0
            guard PQstatus(connection) == CONNECTION_OK else {
                throw PostgresError(
                    kind: .connection,
                    message: "could not reconnect to PostgreSQL at \(target): \(redact(Self.errorMessage(connection)))")
            }
            try configureSession()
            for channel in listenedChannels {
                try execute("LISTEN " + (try PostgresIdentifier.quote(channel)))
            }
        }
    }

    // MARK: Statements

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: any PostgresEncodable...) throws -> Int {
        try query(sql, parameters: parameters).affectedRows
    }

    @discardableResult
    public func execute(_ sql: String, parameters: [any PostgresEncodable]) throws -> Int {
        try query(sql, parameters: parameters).affectedRows
    }

    /// Runs a statement and returns its rows.
    public func query(_ sql: String, _ parameters: any PostgresEncodable...) throws -> PostgresResult {
        try query(sql, parameters: parameters)
    }

    public func query(_ sql: String, parameters: [any PostgresEncodable]) throws -> PostgresResult {
        var values: [PostgresValue] = []
        values.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            do {
                values.append(try parameter.postgresValue())
            } catch let error as PostgresError {
                throw PostgresError(
                    kind: error.kind, message: "parameter $\(index + 1): \(error.message)", statement: sql)
            }
        }
        return PostgresResult(storage: try run(sql, values: values))
    }

    /// The first column of the first row, e.g. `try connection.value("SELECT count(*) FROM t", as: Int.self)`.
    /// Throws when the statement returned no row.
    public func value<T: PostgresDecodable>(
        _ sql: String, _ parameters: any PostgresEncodable..., as type: T.Type = T.self
    ) throws -> T {
        let result = try query(sql, parameters: parameters)
        guard let row = result.first else {
            throw PostgresError(kind: .decoding, message: "the statement returned no rows", statement: sql)
        }
        return try row.decode(at: 0, as: type)
    }

    /// Runs a script of several statements separated by semicolons (a migration file). It takes no
    /// parameters, by design: scripts are static SQL from files, never built from values. An error
    /// names the line of the script where the server found it.
    public func runScript(_ sql: String) throws {
        try lock.withLock {
            let connection = try liveConnection()
            try Self.refuseNUL(in: sql)
            let result = PQexec(connection, sql)
            do {
                _ = try check(result, sql: sql, connection: connection)
            } catch let error as PostgresError {
                throw Self.locate(error, in: sql)
            }
        }
    }

    // MARK: Internals shared by the extensions

    /// The live handle, or a connection error when closed or broken (so callers know to `reset()`).
    func liveConnection() throws -> OpaquePointer {
        guard let connection else {
            throw PostgresError(kind: .connection, message: "the connection to \(target) was closed")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError(
                kind: .connection,
                message: "the connection to \(target) is broken: \(redact(Self.errorMessage(connection)))")
        }
        return connection
    }

    func run(_ sql: String, values: [PostgresValue]) throws -> ResultStorage {
        guard values.count <= 65_535 else {
            throw PostgresError(
                kind: .invalidParameter,
                message: "\(values.count) parameters exceed PostgreSQL's limit of 65535 per statement", statement: sql)
        }
        try Self.refuseNUL(in: sql)
        var buffer: [UInt8] = [0]  // never empty, so that baseAddress exists
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var types: [Oid] = []
        for (index, value) in values.enumerated() {
            types.append(value.type.oid)
            switch value.payload {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                if text.utf8.contains(0) {
                    throw PostgresError(
                        kind: .invalidParameter,
                        message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold",
                        statement: sql)
                }
                offsets.append(buffer.count)
                buffer.append(contentsOf: text.utf8)
                buffer.append(0)
                lengths.append(Int32(clamping: text.utf8.count))
                formats.append(0)
            case .binary(let bytes):
                guard bytes.count < Int32.max else {
                    throw PostgresError(
                        kind: .invalidParameter, message: "parameter $\(index + 1) is over 2 GiB", statement: sql)
                }
                offsets.append(buffer.count)
                buffer.append(contentsOf: bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        return try lock.withLock {
            let connection = try liveConnection()
            let result = buffer.withUnsafeBufferPointer { base -> OpaquePointer? in
                let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                    offset.map { UnsafeRawPointer(base.baseAddress! + $0).assumingMemoryBound(to: CChar.self) }
                }
                return PQexecParams(
                    connection, sql, Int32(values.count), types, pointers, lengths, formats, 0)
            }
            return try check(result, sql: sql, connection: connection)
        }
    }

    /// Turns a libpq result into rows or a thrown error (freeing it in the error case).
    func check(_ result: OpaquePointer?, sql: String, connection: OpaquePointer) throws -> ResultStorage {
        guard let result else {
            throw failure(nil, sql: sql, connection: connection)
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return ResultStorage(result)
        }
        if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
            PQclear(result)
            abandonCopy(connection)
            throw PostgresError(
                kind: .protocolViolation, message: "COPY … STDIN/STDOUT cannot run through execute; use copyIn",
                statement: sql)
        }
        let error = failure(result, sql: sql, connection: connection)
        PQclear(result)
        throw error
    }

    /// The error that a failed result (or a missing one) stands for.
    func failure(_ result: OpaquePointer?, sql: String?, connection: OpaquePointer) -> PostgresError {
        let broken = PQstatus(connection) != CONNECTION_OK
        guard let result else {
            return PostgresError(
                kind: broken ? .connection : .protocolViolation, message: redact(Self.errorMessage(connection)),
                statement: sql)
        }
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let fallback = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let message = field("M") ?? (fallback.isEmpty ? Self.errorMessage(connection) : fallback)
        let sqlState = field("C")
        return PostgresError(
            kind: broken ? .connection : .server, message: redact(message), sqlState: sqlState,
            severity: field("V") ?? field("S"), detail: field("D"), hint: field("H"), context: field("W"),
            statement: sql, position: field("P").flatMap { Int($0) }, constraint: field("n"), table: field("t"),
            column: field("c"))
    }

    /// Leaves a COPY that was started by accident so that the session stays usable.
    func abandonCopy(_ connection: OpaquePointer) {
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_COPY_IN {
                _ = PQputCopyEnd(connection, "COPY must go through copyIn")
            } else if status == PGRES_COPY_OUT {
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
            }
        }
    }

    func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    private func configureSession() throws {
        try runScript(
            """
            SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET bytea_output TO 'hex';
            SET extra_float_digits TO 3; SET client_min_messages TO warning
            """)
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libpq error" : text
    }

    private static func describe(_ connection: OpaquePointer) -> String {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String { value.map { String(cString: $0) } ?? "" }
        let host = text(PQhost(connection))
        let port = text(PQport(connection))
        let user = text(PQuser(connection))
        let database = text(PQdb(connection))
        let hostPart = host.hasPrefix("/") ? "[socket \(host)]" : host
        return "\(user.isEmpty ? "" : user + "@")\(hostPart):\(port)/\(database)"
    }

    private static func refuseNUL(in sql: String) throws {
        if sql.utf8.contains(0) {
            throw PostgresError(kind: .invalidParameter, message: "the SQL text contains a NUL character")
        }
    }

    /// Points an error from a multi-statement script at the line where the server found it.
    private static func locate(_ error: PostgresError, in script: String) -> PostgresError {
        guard let position = error.position, position > 0 else {
            // A runtime error carries no position; the script's first line would point at the wrong statement.
            return PostgresError(
                kind: error.kind, message: error.message, sqlState: error.sqlState, severity: error.severity,
                detail: error.detail, hint: error.hint, context: error.context, statement: nil,
                constraint: error.constraint, table: error.table, column: error.column)
        }
        let scalars = script.unicodeScalars
        let before = scalars.prefix(position - 1)
        let lineNumber = before.filter { $0 == "\n" }.count + 1
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        let lineText = lineNumber <= lines.count ? String(lines[lineNumber - 1]) : ""
        return PostgresError(
            kind: error.kind, message: error.message, sqlState: error.sqlState, severity: error.severity,
            detail: error.detail, hint: error.hint, context: error.context,
            statement: "line \(lineNumber): \(lineText.trimmingCharacters(in: .whitespaces))", position: nil,
            constraint: error.constraint, table: error.table, column: error.column)
    }
}

/// Calls `body` with a NULL-terminated array of C strings that lives for the duration of the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
