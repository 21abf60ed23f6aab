import Foundation

/// A Swift type that a column can be decoded into. Types are matched strictly (an `int4` column is not
/// silently read as a `String`), so a schema change shows up as a clear error rather than wrong data.
public protocol PostgresDecodable {
    static func decode(_ cell: PostgresCell) throws -> Self
    /// Called for SQL NULL; only `Optional` accepts it.
    static func decodeNull(_ cell: PostgresCell) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(_ cell: PostgresCell) throws -> Self {
        throw PostgresError(
            kind: .decoding,
            message: "column '\(cell.column)' is NULL; decode it as \(Self.self)? to accept NULL", column: cell.column)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Wrapped? { try Wrapped.decode(cell) }
    public static func decodeNull(_ cell: PostgresCell) throws -> Wrapped? { nil }
}

extension String: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> String {
        try cell.expect(PostgresType.textual, for: String.self)
        return cell.text
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Int {
        try cell.expect(PostgresType.integers, for: Int.self)
        guard let value = Int(cell.text) else { throw cell.mismatch(Int.self, "'\(cell.text)'") }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Int64 { Int64(try Int.decode(cell)) }
}

extension Int32: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Int32 {
        let value = try Int.decode(cell)
        guard let narrow = Int32(exactly: value) else { throw cell.mismatch(Int32.self, "\(value) is out of range") }
        return narrow
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Double {
        try cell.expect(PostgresType.floatingPoint, for: Double.self)
        guard let value = FloatText.parseDouble(cell.text) else { throw cell.mismatch(Double.self, "'\(cell.text)'") }
        return value
    }
}

extension Float: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Float {
        try cell.expect(PostgresType.floatingPoint, for: Float.self)
        guard let value = FloatText.parseFloat(cell.text) else { throw cell.mismatch(Float.self, "'\(cell.text)'") }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Bool {
        try cell.expect([.bool], for: Bool.self)
        switch cell.text {
        case "t": return true
        case "f": return false
        default: throw cell.mismatch(Bool.self, "'\(cell.text)'")
        }
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Date {
        try cell.expect([.timestamptz, .timestamp], for: Date.self)
        guard let date = Timestamp.parse(cell.text) else {
            throw cell.mismatch(Date.self, "unexpected timestamp text '\(cell.text)' (is DateStyle ISO?)")
        }
        return date
    }
}

extension Data: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws -> Data { Data(try [UInt8].decode(cell)) }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(_ cell: PostgresCell) throws -> [Element] { try Element.decodeArray(cell) }
}

extension PostgresCell {
    /// The elements of a one-dimensional array column; NULL elements are refused (the Swift element
    /// types here have no NULL).
    func arrayElements<T>(accepting types: Set<PostgresType>, as swiftType: [T].Type) throws -> [String] {
        try expect(types, for: swiftType)
        let elements: [String?]
        do {
            elements = try ArrayLiteral.parse(text)
        } catch ArrayLiteral.ParseError.malformed(let reason) {
            throw mismatch(swiftType, reason)
        }
        return try elements.enumerated().map { index, element in
            guard let element else { throw mismatch(swiftType, "element \(index + 1) is NULL") }
            return element
        }
    }
}

extension Float {
    public static func decodeArray(_ cell: PostgresCell) throws -> [Float] {
        try cell.arrayElements(accepting: PostgresType.floatingPointArrays, as: [Float].self).map { text in
            guard let value = FloatText.parseFloat(text) else { throw cell.mismatch([Float].self, "'\(text)'") }
            return value
        }
    }
}

extension Double {
    public static func decodeArray(_ cell: PostgresCell) throws -> [Double] {
        try cell.arrayElements(accepting: PostgresType.floatingPointArrays, as: [Double].self).map { text in
            guard let value = FloatText.parseDouble(text) else { throw cell.mismatch([Double].self, "'\(text)'") }
            return value
        }
    }
}

extension Int {
    public static func decodeArray(_ cell: PostgresCell) throws -> [Int] {
        try cell.arrayElements(accepting: PostgresType.integerArrays, as: [Int].self).map { text in
            guard let value = Int(text) else { throw cell.mismatch([Int].self, "'\(text)'") }
            return value
        }
    }
}

extension String {
    public static func decodeArray(_ cell: PostgresCell) throws -> [String] {
        try cell.arrayElements(accepting: PostgresType.textArrays, as: [String].self)
    }
}

extension UInt8 {
    /// `bytea` in hex output (`\x0a1b…`), which the session selects with `bytea_output = hex`.
    public static func decodeArray(_ cell: PostgresCell) throws -> [UInt8] {
        try cell.expect([.bytea], for: [UInt8].self)
        let raw = cell.rawBytes
        guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x") else {
            throw cell.mismatch([UInt8].self, "bytea is not in hex output format")
        }
        guard let bytes = Hex.decode(UnsafeRawBufferPointer(rebasing: raw[2...])) else {
            throw cell.mismatch([UInt8].self, "invalid hex digits")
        }
        return bytes
    }
}
