import XCTest

@testable import Pipeline

final class ImageMessageTests: XCTestCase {
    func testDecodesTheContractAndKeepsUnknownFields() throws {
        let json = """
            {"batch_id":"B1","wafer_id":"W7","image_id":"W7-0001","uri":"file:///data/a%20b.png",
             "product":"P","die_x":3,"die_y":-4,"captured_at":"2026-12-01T08:00:00.250Z","tool":"AOI-3","n":{"a":1}}
            """
        let message = try ImageMessage(json: Array(json.utf8))
        XCTAssertEqual(message.batchID, "B1")
        XCTAssertEqual(message.waferID, "W7")
        XCTAssertEqual(message.imageID, "W7-0001")
        XCTAssertEqual(try message.filePath, "/data/a b.png")
        XCTAssertEqual(message.dieX, 3)
        XCTAssertEqual(message.dieY, -4)
        XCTAssertEqual(message.capturedAt?.timeIntervalSince1970 ?? 0, 1_796_112_000.25, accuracy: 0.001)
        XCTAssertEqual(message.extraJSON, #"{"n":{"a":1},"tool":"AOI-3"}"#)
        XCTAssertEqual(try ImageMessage(json: message.jsonBytes()), message)
    }

    func testPlainPathsAndMinimalMessages() throws {
        let message = try ImageMessage(
            json: Array(#"{"batch_id":"b","wafer_id":"w","image_id":"i","uri":"rel/x.jpg"}"#.utf8))
        XCTAssertEqual(try message.filePath, "rel/x.jpg")
        XCTAssertNil(message.product)
        XCTAssertNil(message.extraJSON)
    }

    func testRejectsWhatIsNotTheContractWithAReason() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("not json at all", "not JSON"),
            ("[1,2]", "not an object"),
            (#"{"wafer_id":"w","image_id":"i","uri":"u"}"#, "'batch_id'"),
            (#"{"batch_id":"b","wafer_id":"w","uri":"u"}"#, "'image_id'"),
            (#"{"batch_id":"b","wafer_id":"w","image_id":7,"uri":"u"}"#, "'image_id' must be a string"),
            (#"{"batch_id":"","wafer_id":"w","image_id":"i","uri":"u"}"#, "'batch_id' must be"),
            (#"{"batch_id":"b","wafer_id":"w","image_id":"i","uri":"u","die_x":1.5}"#, "'die_x'"),
            (#"{"batch_id":"b","wafer_id":"w","image_id":"i","uri":"u","die_x":true}"#, "'die_x'"),
            (#"{"batch_id":"b","wafer_id":"w","image_id":"i","uri":"u","captured_at":"yesterday"}"#, "'captured_at'"),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try ImageMessage(json: Array(json.utf8)), "case: \(json)") { error in
                XCTAssertTrue("\(error)".contains(expected), "\(json): \(error)")
            }
        }
        XCTAssertThrowsError(try ImageMessage(json: [0xff, 0xfe, 0x00])) { error in
            XCTAssertTrue("\(error)".contains("UTF-8"), "\(error)")
        }
        let s3 = ImageMessage(batchID: "b", waferID: "w", imageID: "i", uri: "s3://bucket/x.png")
        XCTAssertThrowsError(try s3.filePath) { error in XCTAssertTrue("\(error)".contains("s3"), "\(error)") }
    }
}
