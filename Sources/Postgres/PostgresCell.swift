import Foundation

/// One column of one row, handed to `PostgresDecodable` implementations. Values arrive in PostgreSQL's
/// text format (the session fixes the styles that matter: ISO dates in UTC, hex bytea, exact floats).
public struct PostgresCell {
    public let column: String
    public let type: PostgresType
    public let isNull: Bool
    /// Keeps libpq's result alive while `rawBytes` points into it.
    let storage: ResultStorage
    let rawBytes: UnsafeRawBufferPointer

    /// The value's text (empty for NULL).
    public var text: String { String(decoding: rawBytes, as: UTF8.self) }

    /// The error for a value of this column that cannot become a `T`.
    public func mismatch<T>(_ swiftType: T.Type, _ reason: String? = nil) -> PostgresError {
        var message = "column '\(column)' of type \(type) cannot be decoded as \(swiftType)"
        if let reason { message += ": \(reason)" }
        return PostgresError(kind: .decoding, message: message, column: column)
    }

    /// Throws unless the column's type is one of `accepted`.
    public func expect<T>(_ accepted: Set<PostgresType>, for swiftType: T.Type) throws {
        guard accepted.contains(type) else {
            let names = accepted.map(\.description).sorted().joined(separator: ", ")
            throw mismatch(swiftType, "expected \(names)")
        }
    }
}
