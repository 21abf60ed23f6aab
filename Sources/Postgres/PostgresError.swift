/// Everything that can go wrong talking to PostgreSQL, with what an operator needs to act on it: the
/// SQLSTATE and the server's own words, the statement that failed, and whether a retry could help.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// No usable connection: connecting failed, or the server went away.
        case connection
        /// The server rejected a statement (the SQLSTATE says why).
        case server
        /// A value could not be sent as a parameter (before anything reached the server).
        case invalidParameter
        /// A column could not be decoded as the requested Swift type.
        case decoding
        /// The server answered something that this client did not ask for.
        case protocolViolation
        /// A lock or wait took longer than allowed.
        case timeout
    }

    public let kind: Kind
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation; nil for client-side errors.
    public let sqlState: String?
    /// `ERROR`, `FATAL` or `PANIC` (not localized).
    public let severity: String?
    public let message: String
    public let detail: String?
    public let hint: String?
    /// Where the server was when it failed (function, trigger, line of a script).
    public let context: String?
    /// The first line of the statement that failed, for logs.
    public let statement: String?
    /// The 1-based character position in the statement where the server found the error.
    public let position: Int?
    public let constraint: String?
    public let table: String?
    public let column: String?

    public init(
        kind: Kind, message: String, sqlState: String? = nil, severity: String? = nil, detail: String? = nil,
        hint: String? = nil, context: String? = nil, statement: String? = nil, position: Int? = nil,
        constraint: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.context = context
        self.statement = statement.map(PostgresError.firstLine)
        self.position = position
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    /// True when the failure is about the connection rather than the statement: retrying the same work
    /// after `reset()` (with backoff) is the right response. Class 08 is "connection exception";
    /// 57P01..57P03 are admin shutdown, crash shutdown and "cannot connect now" (starting up).
    public var isConnectionFailure: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// 23505: a unique or primary-key constraint was violated.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// 40001 and 40P01: the transaction lost a serialization race or a deadlock and may be retried.
    public var isTransient: Bool { sqlState == "40001" || sqlState == "40P01" }

    public var description: String {
        var text = ""
        if let severity { text += "\(severity): " }
        text += message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        if let context { text += "\nCONTEXT: \(context)" }
        if let statement {
            text += "\nSTATEMENT: \(statement)"
            if let position { text += " (at character \(position))" }
        }
        return text
    }

    static func firstLine(_ sql: String) -> String {
        let trimmed = sql.drop { $0.isWhitespace || $0.isNewline }
        let line = trimmed.prefix { $0 != "\n" && $0 != "\r" }
        return line.count > 200 ? String(line.prefix(200)) + "…" : String(line)
    }
}
