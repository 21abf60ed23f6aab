/// Quoting for identifiers (table, column and channel names), which SQL cannot take as parameters.
/// Names are taken literally and case-sensitively, exactly as `pg_notify` and the catalogs see them.
public enum PostgresIdentifier {
    /// `"name"` with inner quotes doubled. Refuses empty names, NUL, and names over PostgreSQL's 63-byte
    /// limit (which the server would otherwise truncate silently).
    public static func quote(_ name: String) throws -> String {
        guard !name.isEmpty else {
            throw PostgresError(kind: .invalidParameter, message: "an identifier cannot be empty")
        }
        guard !name.utf8.contains(0) else {
            throw PostgresError(kind: .invalidParameter, message: "identifier '\(name)' contains a NUL character")
        }
        guard name.utf8.count <= 63 else {
            throw PostgresError(
                kind: .invalidParameter, message: "identifier '\(name)' is longer than PostgreSQL's 63 bytes")
        }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A table name, optionally qualified as `schema.table` (a name containing a dot cannot be used).
    public static func quoteQualified(_ name: String) throws -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw PostgresError(kind: .invalidParameter, message: "table name '\(name)' has more than one '.'")
        }
        return try parts.map { try quote(String($0)) }.joined(separator: ".")
    }
}
