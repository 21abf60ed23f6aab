import Foundation
import Postgres
import XCTest

final class TypeRoundTripTests: XCTestCase {
    private static var database: ScratchDatabase!
    private var connection: PostgresConnection!

    override class func setUp() {
        super.setUp()
        database = try! ScratchDatabase("pg_types")
        let connection = try! database.connect()
        try! connection.execute(
            """
            CREATE TABLE everything (
                id int PRIMARY KEY, t text, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
                n numeric, b boolean, bytes bytea, at timestamptz, reals real[], doubles float8[], ints bigint[],
                texts text[], doc jsonb
            )
            """)
        connection.close()
    }

    override class func tearDown() {
        database.drop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        connection = try Self.database.connect()
        try connection.execute("TRUNCATE everything")
    }

    override func tearDown() {
        connection.close()
    }

    private let awkwardText = "Grüße, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 tab\tnewline\nCR\r quote' dq\" back\\slash {braces} NULL"

    func testEveryTypeRoundTrips() throws {
        let bytes = [UInt8](0...255)
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let reals: [Float] = [0, -1.5, .pi, 1e-30, Float.leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity]
        let doubles: [Double] = [.pi, -1e-300, .greatestFiniteMagnitude, -.infinity, 0.1]
        let texts = ["a", "b,c", "\"quoted\"", "back\\slash", "NULL", "", "  spaced  ", "ünï", "{x}"]
        try connection.execute(
            """
            INSERT INTO everything (id, t, i2, i4, i8, f4, f8, n, b, bytes, at, reals, doubles, ints, texts, doc)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            """,
            1, awkwardText, Int16(-32768), Int32.max, Int.min, Float(0.1), Double.pi, 12345.678, true, bytes, when,
            reals, doubles, [Int.max, 0, -1], texts, PostgresValue.json(#"{"a": [1, 2], "é": null}"#))

        let row = try XCTUnwrap(try connection.query("SELECT * FROM everything WHERE id = $1", 1).first)
        XCTAssertEqual(try row.decode("t", as: String.self), awkwardText)
        XCTAssertEqual(try row.decode("i2", as: Int.self), -32768)
        XCTAssertEqual(try row.decode("i4", as: Int32.self), Int32.max)
        XCTAssertEqual(try row.decode("i8", as: Int.self), Int.min)
        XCTAssertEqual(try row.decode("f4", as: Float.self), 0.1)
        XCTAssertEqual(try row.decode("f8", as: Double.self), .pi)
        XCTAssertEqual(try row.decode("n", as: Double.self), 12345.678)
        XCTAssertEqual(try row.decode("b", as: Bool.self), true)
        XCTAssertEqual(try row.decode("bytes", as: [UInt8].self), bytes)
        XCTAssertEqual(try row.decode("bytes", as: Data.self), Data(bytes))
        let decoded = try row.decode("at", as: Date.self)
        XCTAssertEqual(decoded.timeIntervalSince1970, when.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertEqual(try row.decode("reals", as: [Float].self), reals)
        XCTAssertEqual(try row.decode("doubles", as: [Double].self), doubles)
        XCTAssertEqual(try row.decode("ints", as: [Int].self), [Int.max, 0, -1])
        XCTAssertEqual(try row.decode("texts", as: [String].self), texts)
        XCTAssertEqual(try row.decode("doc", as: String.self), #"{"a": [1, 2], "é": null}"#)
        // By index, too.
        XCTAssertEqual(try row.decode(at: 0, as: Int.self), 1)

        // The server agrees on what it stored, not only this client.
        let check = try XCTUnwrap(
            try connection.query(
                """
                SELECT length(bytes) AS n, get_byte(bytes, 0) AS first, get_byte(bytes, 255) AS last,
                       at = '2023-11-14 22:13:20.123456+00'::timestamptz AS exact_time, cardinality(texts) AS texts,
                       doc->>'a' AS a, texts[6] = '' AS empty_element
                FROM everything WHERE id = 1
                """
            ).first)
        XCTAssertEqual(try check.decode("n", as: Int.self), 256)
        XCTAssertEqual(try check.decode("first", as: Int.self), 0)
        XCTAssertEqual(try check.decode("last", as: Int.self), 255)
        XCTAssertEqual(try check.decode("exact_time", as: Bool.self), true)
        XCTAssertEqual(try check.decode("texts", as: Int.self), texts.count)
        XCTAssertEqual(try check.decode("a", as: String.self), "[1, 2]")
        XCTAssertEqual(try check.decode("empty_element", as: Bool.self), true)
    }

    func testNullsAndEmptyValues() throws {
        try connection.execute(
            "INSERT INTO everything (id, t, i8, f4, b, bytes, at, reals, texts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            2, String?.none, Int?.none, Float?.none, Bool?.none, Data(), Date?.none, [Float](), [String]())
        let row = try XCTUnwrap(try connection.query("SELECT * FROM everything WHERE id = 2").first)
        XCTAssertNil(try row.decode("t", as: String?.self))
        XCTAssertNil(try row.decode("i8", as: Int?.self))
        XCTAssertNil(try row.decode("f4", as: Float?.self))
        XCTAssertNil(try row.decode("b", as: Bool?.self))
        XCTAssertNil(try row.decode("at", as: Date?.self))
        XCTAssertNil(try row.decode("doubles", as: [Double]?.self))
        XCTAssertTrue(try row.isNull("n"))
        XCTAssertEqual(try row.decode("bytes", as: [UInt8].self), [])
        XCTAssertEqual(try row.decode("reals", as: [Float].self), [])
        XCTAssertEqual(try row.decode("texts", as: [String].self), [])
        XCTAssertEqual(try row.decode("reals", as: [Float]?.self), [])

        // NULL into a non-optional is an error naming the column.
        XCTAssertThrowsError(try row.decode("t", as: String.self)) { error in
            let error = error as? PostgresError
            XCTAssertEqual(error?.kind, .decoding)
            XCTAssertTrue(error?.message.contains("'t' is NULL") ?? false, "\(String(describing: error))")
        }
    }

    func testTimestampsKeepMicroseconds() throws {
        // Values the server writes, parsed by this client (including before 1970, leap day, BC, infinity).
        let cases: [(String, Int64)] = [
            ("2024-02-29 23:59:59.999999+00", 1_709_251_199_999_999),
            ("1969-12-31 23:59:59.000001+00", -999_999),
            ("1970-01-01 00:00:00+00", 0),
            ("2000-01-01 00:00:00.5+00", 946_684_800_500_000),
        ]
        for (literal, micros) in cases {
            let date = try connection.value("SELECT $1::timestamptz", literal, as: Date.self)
            XCTAssertEqual(
                (date.timeIntervalSince1970 * 1_000_000).rounded(), Double(micros), accuracy: 1, "\(literal)")
            // And this client's encoding of the parsed date is the same instant on the server.
            XCTAssertTrue(try connection.value("SELECT $1 = $2::timestamptz", date, literal, as: Bool.self), literal)
        }
        let bc = try connection.value("SELECT '0044-03-15 12:00:00+00 BC'::timestamptz", as: Date.self)
        XCTAssertTrue(try connection.value("SELECT $1 = '0044-03-15 12:00:00+00 BC'::timestamptz", bc, as: Bool.self))
        XCTAssertEqual(try connection.value("SELECT 'infinity'::timestamptz", as: Date.self), .distantFuture)
        // A session time zone set by the user's PGTZ would not matter: output is UTC by construction.
        XCTAssertEqual(try connection.value("SHOW TimeZone", as: String.self), "UTC")
        // Random instants with microseconds (1951…2051: a Date's Double resolves microseconds exactly
        // within about 70 years of 2001) survive the trip exactly, and the server stores that microsecond.
        for _ in 0..<200 {
            let microsSince2001 = Int64.random(in: -1_577_880_000_000_000...1_577_880_000_000_000)
            let date = Date(timeIntervalSinceReferenceDate: Double(microsSince2001) / 1_000_000)
            let row = try XCTUnwrap(
                try connection.query(
                    "SELECT $1::timestamptz AS at, (extract(epoch FROM $1::timestamptz) * 1000000)::bigint AS micros",
                    date
                ).first)
            XCTAssertEqual(try row.decode("at", as: Date.self), date)
            XCTAssertEqual(try row.decode("micros", as: Int.self), Int(microsSince2001) + 978_307_200_000_000)
        }
    }

    func testServerSideFloatsAndSpecialValues() throws {
        let row = try XCTUnwrap(
            try connection.query(
                """
                SELECT 'NaN'::float8 AS nan, '-Infinity'::real AS ninf, 1.5::numeric AS n, '{}'::real[] AS empty,
                       '{1.5,NaN,Infinity}'::real[] AS specials, '[0:1]={7,8}'::int[] AS shifted
                """
            ).first)
        XCTAssertTrue(try row.decode("nan", as: Double.self).isNaN)
        XCTAssertEqual(try row.decode("ninf", as: Float.self), -.infinity)
        XCTAssertEqual(try row.decode("n", as: Float.self), 1.5)
        XCTAssertEqual(try row.decode("empty", as: [Float].self), [])
        let specials = try row.decode("specials", as: [Float].self)
        XCTAssertEqual(specials.count, 3)
        XCTAssertEqual(specials[0], 1.5)
        XCTAssertTrue(specials[1].isNaN)
        XCTAssertEqual(specials[2], .infinity)
        XCTAssertEqual(try row.decode("shifted", as: [Int].self), [7, 8])
        // Random floats survive exactly (shortest round-trip text both ways).
        let values = (0..<500).map { _ in Float(bitPattern: UInt32.random(in: 0...0x7f7f_ffff)) }
        XCTAssertEqual(try connection.value("SELECT $1::real[]", values, as: [Float].self), values)
    }

    func testMismatchesAreClearErrors() throws {
        let row = try XCTUnwrap(
            try connection.query("SELECT 42::int4 AS answer, '{1,NULL}'::real[] AS holes, 'x'::text AS word").first)
        XCTAssertThrowsError(try row.decode("answer", as: String.self)) { error in
            let text = String(describing: error)
            XCTAssertTrue(
                text.contains("'answer'") && text.contains("int4") && text.contains("String"), text)
        }
        XCTAssertThrowsError(try row.decode("word", as: Int.self)) { error in
            XCTAssertTrue(String(describing: error).contains("text"), String(describing: error))
        }
        XCTAssertThrowsError(try row.decode("holes", as: [Float].self)) { error in
            XCTAssertTrue(String(describing: error).contains("element 2 is NULL"), String(describing: error))
        }
        XCTAssertThrowsError(try row.decode("missing", as: Int.self)) { error in
            XCTAssertTrue(String(describing: error).contains("answer, holes, word"), String(describing: error))
        }
        XCTAssertThrowsError(try row.decode(at: 7, as: Int.self))
        XCTAssertThrowsError(try connection.value("SELECT 3000000000::int8", as: Int32.self)) { error in
            XCTAssertTrue(String(describing: error).contains("out of range"), String(describing: error))
        }
    }

    func testParametersAreNeverSpliced() throws {
        // A value that would break out of a spliced literal is just data.
        let hostile = "'); DROP TABLE everything; --"
        try connection.execute("INSERT INTO everything (id, t) VALUES ($1, $2)", 3, hostile)
        XCTAssertEqual(try connection.value("SELECT t FROM everything WHERE id = 3", as: String.self), hostile)
        // PostgreSQL text cannot hold NUL: refused before anything is sent.
        XCTAssertThrowsError(try connection.execute("SELECT $1::text", "a\u{0}b")) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .invalidParameter)
            XCTAssertTrue(String(describing: error).contains("$1"))
        }
        XCTAssertEqual(try connection.value("SELECT count(*) FROM everything", as: Int.self), 1)
    }
}
