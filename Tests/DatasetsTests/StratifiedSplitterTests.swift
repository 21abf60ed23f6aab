import XCTest

@testable import Datasets

final class StratifiedSplitterTests: XCTestCase {
    func testStratifiedFractionsAreStableAndSeeded() {
        let identifiers = (0..<1000).map { "img\($0).png" }
        let labels = (0..<1000).map { $0 < 900 ? 0 : $0 < 990 ? 1 : 2 }
        let splitter = StratifiedSplitter(seed: 7)
        let split = splitter.assign(identifiers: identifiers, labels: labels, classCount: 3)
        func count(_ label: Int, _ part: String) -> Int {
            zip(labels, split).filter { $0.0 == label && $0.1 == part }.count
        }
        XCTAssertEqual([count(0, "train"), count(0, "validation"), count(0, "test")], [630, 90, 180])
        XCTAssertEqual([count(1, "train"), count(1, "validation"), count(1, "test")], [63, 9, 18])
        XCTAssertEqual([count(2, "train"), count(2, "validation"), count(2, "test")], [7, 1, 2])
        XCTAssertEqual(split, splitter.assign(identifiers: identifiers, labels: labels, classCount: 3))
        XCTAssertNotEqual(
            split, StratifiedSplitter(seed: 8).assign(identifiers: identifiers, labels: labels, classCount: 3))
        // A class of one image still trains.
        XCTAssertEqual(splitter.assign(identifiers: ["a"], labels: [0], classCount: 1), ["train"])
    }

    func testSplitFileRoundTripAndErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("split.csv").path
        let digest = try StratifiedSplitter.writeSplitFile([("b.png", "test"), ("a.png", "train")], to: path)
        XCTAssertEqual(digest, StratifiedSplitter.digest([("a.png", "train"), ("b.png", "test")]))
        XCTAssertEqual(try StratifiedSplitter.readSplitFile(path), ["a.png": "train", "b.png": "test"])
        try "a.png,train\nb.png,holdout\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try StratifiedSplitter.readSplitFile(path)) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
    }
}
