import Foundation

/// `timestamptz` text in ISO style with microseconds, computed with integer calendar arithmetic (no
/// DateFormatter: it is slow, locale-dependent and rounds to milliseconds). A `Date` is a Double of
/// seconds since 2001, which resolves every microsecond exactly within about 70 years of 2001; further
/// out, values are rounded to the nearest representable microsecond.
enum Timestamp {
    private static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Seconds from 1970-01-01 to 2001-01-01, Foundation's reference date.
    private static let referenceOffsetMicroseconds: Int64 = 978_307_200_000_000

    /// Microseconds since the Unix epoch, rounded to the nearest microsecond (PostgreSQL's resolution).
    static func microseconds(_ date: Date) -> Int64? {
        let sinceReference = date.timeIntervalSinceReferenceDate * 1_000_000
        // PostgreSQL's range ends in the year 294276; anything beyond cannot be stored anyway.
        guard sinceReference.isFinite, abs(sinceReference) < 9.2e18 - 1e15 else { return nil }
        return Int64(sinceReference.rounded()) + referenceOffsetMicroseconds
    }

    static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(microseconds - referenceOffsetMicroseconds) / 1_000_000)
    }

    /// `2024-02-29 12:34:56.789012+00`; throws for a date that is not a storable instant.
    static func format(_ date: Date) throws -> String {
        guard let micros = microseconds(date) else {
            throw PostgresError(
                kind: .invalidParameter, message: "date \(date.timeIntervalSince1970) is not a storable instant")
        }
        let days = floorDivide(micros, microsecondsPerDay)
        var rest = micros - days * microsecondsPerDay
        let (year, month, day) = civil(fromDays: days)
        let hour = rest / 3_600_000_000
        rest -= hour * 3_600_000_000
        let minute = rest / 60_000_000
        rest -= minute * 60_000_000
        let second = rest / 1_000_000
        let fraction = rest - second * 1_000_000
        let era = year <= 0 ? " BC" : ""
        let displayYear = year <= 0 ? 1 - year : year
        return "\(pad(displayYear, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2)):"
            + "\(pad(second, 2)).\(pad(fraction, 6))+00\(era)"
    }

    /// Parses the server's ISO output (`DateStyle = ISO`): `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]][ BC]`,
    /// and `infinity` / `-infinity` as `distantFuture` / `distantPast`. Without an offset (`timestamp`
    /// columns) the time is read as UTC, the session's time zone.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var bytes = Array(text.utf8)
        var beforeChrist = false
        if bytes.count > 3, bytes.suffix(3) == Array(" BC".utf8) {
            beforeChrist = true
            bytes.removeLast(3)
        }
        var reader = Reader(bytes: bytes)
        guard var year = reader.number(minDigits: 4), reader.skip("-"),
            let month = reader.number(exactDigits: 2), reader.skip("-"),
            let day = reader.number(exactDigits: 2), reader.skip(" "),
            let hour = reader.number(exactDigits: 2), reader.skip(":"),
            let minute = reader.number(exactDigits: 2), reader.skip(":"),
            let second = reader.number(exactDigits: 2)
        else { return nil }
        var fraction: Int64 = 0
        if reader.skip(".") {
            guard let digits = reader.digits(), !digits.isEmpty, digits.count <= 6 else { return nil }
            fraction = Int64(digits)! * pow10(6 - digits.count)
        }
        var offsetSeconds: Int64 = 0
        if let sign = reader.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            reader.advance()
            guard let hours = reader.number(exactDigits: 2) else { return nil }
            var total = hours * 3600
            if reader.skip(":") {
                guard let minutes = reader.number(exactDigits: 2) else { return nil }
                total += minutes * 60
                if reader.skip(":") {
                    guard let seconds = reader.number(exactDigits: 2) else { return nil }
                    total += seconds
                }
            }
            offsetSeconds = sign == UInt8(ascii: "-") ? -total : total
        }
        guard reader.atEnd, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        if beforeChrist { year = 1 - year }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return date(microseconds: seconds * 1_000_000 + fraction)
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, day 0 = 1970-01-01).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    private static func pow10(_ exponent: Int) -> Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
        mutating func advance() { index += 1 }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard peek() == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digits() -> String? {
            let start = index
            while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func number(exactDigits: Int) -> Int64? {
            guard let text = digits(), text.count == exactDigits else { return nil }
            return Int64(text)
        }

        mutating func number(minDigits: Int) -> Int64? {
            guard let text = digits(), text.count >= minDigits, text.count <= 6 else { return nil }
            return Int64(text)
        }
    }
}
