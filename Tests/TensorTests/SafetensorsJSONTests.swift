import Foundation
import Tensor
import XCTest

final class SafetensorsJSONTests: XCTestCase {
    func testParsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(
            #" { "a": [1, -2, 3.5, 1e3, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {} } "#)
        XCTAssertEqual(
            value,
            .object([
                "a": .array([.integer(1), .integer(-2), .number(3.5), .number(1000), .bool(true), .bool(false), .null]),
                "s": .string("x\"\\/\né😀"),
                "o": .object([:]),
            ]))
    }

    func testKeepsLargeIntegersExact() throws {
        XCTAssertEqual(try JSONValue.parse("9223372036854775807"), .integer(Int64.max))
        XCTAssertEqual(try JSONValue.parse("9007199254740993"), .integer(9_007_199_254_740_993))
        XCTAssertEqual(try JSONValue.parse("9223372036854775808"), .number(9_223_372_036_854_775_808))
    }

    func testRejectsMalformedInputWithItsOffset() {
        for (text, offset, reason) in [
            ("{\"a\":1,}", 7, "expected a string key"), ("[1 2]", 3, "expected ',' or ']'"), ("01", 1, "leading zero"),
            ("\"abc", 4, "unterminated string"), ("nul", 0, "invalid literal"), ("{} x", 3, "after the JSON value"),
            ("\"\\ud800\"", 7, "unpaired surrogate"), ("1.", 2, "invalid fraction"), ("", 0, "unexpected end"),
        ] {
            XCTAssertThrowsError(try JSONValue.parse(text), text) {
                guard let error = $0 as? JSONParseError else { return XCTFail("\($0)") }
                XCTAssertEqual(error.offset, offset, text)
                XCTAssertTrue(error.reason.contains(reason), "\(text): \(error.reason)")
            }
        }
    }

    func testDuplicateKeysAreErrorsWithTheirLevel() {
        XCTAssertThrowsError(try JSONValue.parse(#"{"a": {"b": 1, "b": 2}}"#)) {
            let error = $0 as? JSONParseError
            XCTAssertEqual(error?.duplicateKey, "b")
            XCTAssertEqual(error?.nestingLevel, 2)
        }
    }

    func testNestingIsBounded() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        XCTAssertThrowsError(try JSONValue.parse(deep)) {
            XCTAssertTrue("\($0)".contains("nesting"), "\($0)")
        }
    }

    func testSerializationRoundTripsAndSortsKeys() throws {
        let value = JSONValue.object([
            "z": .number(0.1), "a": .array([.integer(-3), .number(1e-5), .number(16), .string("tab\tquote\"\u{1}")]),
            "m": .null,
        ])
        let text = value.serialized
        XCTAssertTrue(text.hasPrefix(#"{"a":[-3,1e-05,16.0,"tab\tquote\"\u0001"]"#), text)
        XCTAssertEqual(try JSONValue.parse(text), value)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        XCTAssertEqual(decoded, value)
        XCTAssertEqual(try JSONValue.parse(String(decoding: try JSONEncoder().encode(value), as: UTF8.self)), value)
    }
}
