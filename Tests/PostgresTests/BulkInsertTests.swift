import Foundation
import Postgres
import XCTest

final class BulkInsertTests: XCTestCase {
    private static var database: ScratchDatabase!
    private var connection: PostgresConnection!

    override class func setUp() {
        super.setUp()
        database = try! ScratchDatabase("pg_bulk")
        let connection = try! database.connect()
        try! connection.execute(
            """
            CREATE TABLE "Bulk Rows" (
                id int PRIMARY KEY, label text, data bytea, score real, tags text[], probabilities real[],
                seen timestamptz, flag boolean, doc jsonb
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
        try connection.execute(#"TRUNCATE "Bulk Rows""#)
    }

    override func tearDown() {
        connection.close()
    }

    private static let columns = ["id", "label", "data", "score", "tags", "probabilities", "seen", "flag", "doc"]

    private struct Expected {
        let label: String?
        let data: [UInt8]
        let score: Float
        let tags: [String]
        let probabilities: [Float]
        let seen: Date
        let flag: Bool?
    }

    /// Labels built to break a naive COPY encoder: delimiters, line ends, backslash sequences that COPY
    /// itself would interpret, the end-of-data marker, and non-ASCII.
    private static let awkward = [
        "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "\\.", "\\", "ends with \\",
        "", " ", "Grüße 😀", "\"quoted\"", "{brace,comma}", "NULL", "a\u{7f}b\u{1}c", "\r\n",
    ]

    private func makeRows(_ count: Int) -> ([[any PostgresEncodable]], [Expected]) {
        var rows: [[any PostgresEncodable]] = []
        var expected: [Expected] = []
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        for id in 0..<count {
            let label: String? = id % 17 == 0 ? nil : Self.awkward[id % Self.awkward.count] + " #\(id)"
            let data = (0..<(id % 40)).map { UInt8(truncatingIfNeeded: $0 * 37 + id) } + [0, 9, 10, 13, 92, 255]
            let score = Float(id) / 7
            let tags = [Self.awkward[(id + 3) % Self.awkward.count], "t\(id)"]
            let probabilities = [Float(0.25), Float(id % 10) / 10, .leastNormalMagnitude]
            let seen = start.addingTimeInterval(Double(id) * 0.000_123)
            let flag: Bool? = id % 3 == 0 ? nil : id % 2 == 0
            rows.append([
                id, label, data, score, tags, probabilities, seen, flag, PostgresValue.json(#"{"i": \#(id)}"#),
            ])
            expected.append(
                Expected(
                    label: label, data: data, score: score, tags: tags, probabilities: probabilities, seen: seen,
                    flag: flag))
        }
        return (rows, expected)
    }

    private func verify(_ expected: [Expected]) throws {
        let result = try connection.query(#"SELECT * FROM "Bulk Rows" ORDER BY id"#)
        XCTAssertEqual(result.count, expected.count)
        for (index, row) in result.enumerated() {
            let want = expected[index]
            XCTAssertEqual(try row.decode("id", as: Int.self), index)
            XCTAssertEqual(try row.decode("label", as: String?.self), want.label, "row \(index)")
            XCTAssertEqual(try row.decode("data", as: [UInt8].self), want.data, "row \(index)")
            XCTAssertEqual(try row.decode("score", as: Float.self), want.score, "row \(index)")
            XCTAssertEqual(try row.decode("tags", as: [String].self), want.tags, "row \(index)")
            XCTAssertEqual(try row.decode("probabilities", as: [Float].self), want.probabilities, "row \(index)")
            XCTAssertEqual(
                try row.decode("seen", as: Date.self).timeIntervalSince1970, want.seen.timeIntervalSince1970,
                accuracy: 1e-6)
            XCTAssertEqual(try row.decode("flag", as: Bool?.self), want.flag, "row \(index)")
            if index % 1000 == 0 {
                XCTAssertEqual(try row.decode("doc", as: String.self), #"{"i": \#(index)}"#)
            }
        }
    }

    func testCopyInTenThousandAwkwardRows() throws {
        let (rows, expected) = makeRows(10_000)
        let copied = try connection.copyIn(table: "Bulk Rows", columns: Self.columns, rows: rows)
        XCTAssertEqual(copied, 10_000)
        try verify(expected)
    }

    func testCopyInIsAllOrNothing() throws {
        let (rows, _) = makeRows(100)
        // A row with the wrong number of values aborts the COPY on the client side.
        var broken = rows
        broken.insert([1], at: 50)
        XCTAssertThrowsError(try connection.copyIn(table: "Bulk Rows", columns: Self.columns, rows: broken)) { error in
            XCTAssertTrue(String(describing: error).contains("row 51"), String(describing: error))
        }
        XCTAssertEqual(try connection.value(#"SELECT count(*) FROM "Bulk Rows""#, as: Int.self), 0)
        // A duplicate key aborts it on the server side, with the SQLSTATE.
        XCTAssertThrowsError(
            try connection.copyIn(table: "Bulk Rows", columns: Self.columns, rows: rows + [rows[0]])
        ) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "23505")
        }
        XCTAssertEqual(try connection.value(#"SELECT count(*) FROM "Bulk Rows""#, as: Int.self), 0)
        // NUL cannot be stored in text: refused with the row and column named.
        XCTAssertThrowsError(
            try connection.copyIn(
                table: "Bulk Rows", columns: ["id", "label"], rows: [[1, "ok"], [2, "nul\u{0}inside"]])
        ) { error in
            XCTAssertTrue(String(describing: error).contains("row 2, column label"), String(describing: error))
        }
        XCTAssertEqual(try connection.value("SELECT 'usable'", as: String.self), "usable")
        XCTAssertEqual(try connection.copyIn(table: "Bulk Rows", columns: Self.columns, rows: rows), 100)
    }

    func testMultiRowInsertIsIdempotentWithOnConflict() throws {
        let (rows, expected) = makeRows(2_500)
        let suffix = "ON CONFLICT (id) DO NOTHING"
        XCTAssertEqual(
            try connection.insert(into: "Bulk Rows", columns: Self.columns, rows: rows, suffix: suffix), 2_500)
        // A replay writes nothing twice.
        XCTAssertEqual(
            try connection.insert(into: "Bulk Rows", columns: Self.columns, rows: rows, suffix: suffix), 0)
        try verify(expected)
        // Without ON CONFLICT a duplicate is an error, and inside a transaction nothing of it stays.
        XCTAssertThrowsError(
            try connection.transaction {
                try $0.insert(into: "Bulk Rows", columns: ["id"], rows: [[5000], [0]])
            })
        XCTAssertEqual(try connection.value(#"SELECT count(*) FROM "Bulk Rows""#, as: Int.self), 2_500)
    }
}
