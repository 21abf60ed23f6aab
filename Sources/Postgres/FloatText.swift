/// Floating-point text in the forms PostgreSQL reads and writes. Swift's `description` is the shortest
/// text that round-trips, and the session sets `extra_float_digits = 3`, so values survive exactly.
enum FloatText {
    static func format<Value: BinaryFloatingPoint & CustomStringConvertible>(_ value: Value) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }

    static func parseFloat(_ text: String) -> Float? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Float(text)
        }
    }
}
