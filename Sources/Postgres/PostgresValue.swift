import Foundation

/// One parameter as it goes over the wire: its declared type and its bytes. Values are always bound
/// (`$1..$n`), never spliced into SQL text, so quoting bugs and injection cannot happen.
public struct PostgresValue: Sendable, Equatable {
    enum Payload: Sendable, Equatable {
        case null
        /// The type's text input form (PostgreSQL parses it server-side).
        case text(String)
        /// Raw bytes in binary format; used for bytea so that 0x00 and invalid UTF-8 survive.
        case binary([UInt8])
    }

    public let type: PostgresType
    let payload: Payload

    public static let null = PostgresValue(type: .unspecified, payload: .null)

    /// A SQL NULL of a given type (so that `$1 IS NULL` and overloaded functions still resolve).
    public static func null(_ type: PostgresType) -> PostgresValue { PostgresValue(type: type, payload: .null) }

    /// A value in the type's text input form, e.g. `.text("{1,2}", type: .int4Array)`. PostgreSQL's text
    /// cannot hold NUL, so a string containing one is refused when the statement is sent.
    public static func text(_ text: String, type: PostgresType = .unspecified) -> PostgresValue {
        PostgresValue(type: type, payload: .text(text))
    }

    public static func bytes(_ bytes: [UInt8]) -> PostgresValue { PostgresValue(type: .bytea, payload: .binary(bytes)) }

    /// A JSON document (validated by the server); sent as `jsonb`, which also assigns to `json` columns.
    public static func json(_ document: String) -> PostgresValue { .text(document, type: .jsonb) }

    public var isNull: Bool { payload == .null }

    /// The value's text input form, as COPY's text format wants it (bytea as `\x` hex).
    var textForm: String? {
        switch payload {
        case .null: return nil
        case .text(let text): return text
        case .binary(let bytes): return "\\x" + Hex.encode(bytes)
        }
    }
}

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresEncodable {
    /// The type declared for a NULL of this Swift type.
    static var postgresType: PostgresType { get }
    func postgresValue() throws -> PostgresValue
}

extension PostgresValue: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public func postgresValue() throws -> PostgresValue { self }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public func postgresValue() throws -> PostgresValue {
        switch self {
        case .none: return .null(Wrapped.postgresType)
        case .some(let value): return try value.postgresValue()
        }
    }
}

extension String: PostgresEncodable {
    // Unspecified rather than text: the server then reads the string as whatever the context needs
    // (text, jsonb, uuid, a timestamp literal), as a quoted literal would be.
    public static var postgresType: PostgresType { .unspecified }
    public func postgresValue() throws -> PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public func postgresValue() throws -> PostgresValue { .text(String(self)) }
}

/// `Int` binds as `bigint`: assignment to `integer` columns and comparisons with them work, but a
/// function that takes `integer` (e.g. `pg_terminate_backend`) needs an `Int32` or a `$1::int` cast.
extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresValue() throws -> PostgresValue { .text(String(self), type: .int8) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresValue() throws -> PostgresValue { .text(String(self), type: .int8) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public func postgresValue() throws -> PostgresValue { .text(String(self), type: .int4) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresType { .int2 }
    public func postgresValue() throws -> PostgresValue { .text(String(self), type: .int2) }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public func postgresValue() throws -> PostgresValue { .text(FloatText.format(self), type: .float8) }
}

extension Float: PostgresEncodable {
    public static var postgresType: PostgresType { .float4 }
    public func postgresValue() throws -> PostgresValue { .text(FloatText.format(self), type: .float4) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public func postgresValue() throws -> PostgresValue { .text(self ? "t" : "f", type: .bool) }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func postgresValue() throws -> PostgresValue { .text(try Timestamp.format(self), type: .timestamptz) }
}

extension Data: PostgresEncodable {
    public static var postgresType: PostgresType { .bytea }
    public func postgresValue() throws -> PostgresValue { .bytes([UInt8](self)) }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public func postgresValue() throws -> PostgresValue { try Element.postgresValue(of: self) }
}

/// An element type of an array parameter: `[Float]` binds as `real[]`, `[Double]` as `float8[]`,
/// `[Int]` as `bigint[]`, `[String]` as `text[]`, and `[UInt8]` as `bytea` (bytes are what callers mean).
public protocol PostgresArrayElement {
    static var postgresArrayType: PostgresType { get }
    /// The element's text form, before array quoting.
    func arrayElementText() -> String
    /// Encodes a whole array; the default writes a one-dimensional array literal.
    static func postgresValue(of elements: [Self]) throws -> PostgresValue
    /// Decodes a whole array column (see PostgresDecodable.swift).
    static func decodeArray(_ cell: PostgresCell) throws -> [Self]
}

extension PostgresArrayElement {
    public static func postgresValue(of elements: [Self]) throws -> PostgresValue {
        .text(ArrayLiteral.format(elements.map { $0.arrayElementText() }), type: postgresArrayType)
    }
}

extension Float: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .float4Array }
    public func arrayElementText() -> String { FloatText.format(self) }
}

extension Double: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .float8Array }
    public func arrayElementText() -> String { FloatText.format(self) }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .int8Array }
    public func arrayElementText() -> String { String(self) }
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .textArray }
    public func arrayElementText() -> String { self }
}

extension UInt8: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .bytea }
    public func arrayElementText() -> String { String(self) }
    public static func postgresValue(of elements: [UInt8]) throws -> PostgresValue { .bytes(elements) }
}
