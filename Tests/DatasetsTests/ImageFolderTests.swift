import Foundation
import Imaging
import XCTest

@testable import Datasets

final class ImageFolderTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    private func write(_ relative: String, value: UInt8, jpeg: Bool) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let image = try Image(width: 20, height: 10, channels: 1, pixels: [UInt8](repeating: value, count: 200))
        let bytes = jpeg ? try ImageEncoder.jpeg(image, quality: 95) : try ImageEncoder.png(image)
        try Data(bytes).write(to: url)
    }

    func testNestedNamesMixedFormatsAndASeededSplit() throws {
        for index in 0..<10 {
            try write("scratch/lot \(index % 2)/img\(index).png", value: 40, jpeg: false)
            try write("particle/deep/er/p\(index).JPG", value: 200, jpeg: true)
        }
        try write("scratch/notes.txt.png.bak", value: 0, jpeg: false)
        let spec = try DataSpecification(parsing: "folder:\(root.path)")
        let splitDirectory = root.appendingPathComponent(".splits").path
        let splits = try spec.load(height: 8, width: 8, channels: 1, seed: 3, splitDirectory: splitDirectory)
        XCTAssertEqual(splits.classNames, ["particle", "scratch"])
        XCTAssertEqual(splits.train.count + splits.validation.count + splits.test.count, 20)
        XCTAssertEqual(splits.trainCounts, [7, 7])
        XCTAssertTrue(splits.train.identifiers.contains { $0.hasPrefix("scratch/lot ") })
        // Pixel values survive decoding and resizing (JPEG within its error).
        let particle = try XCTUnwrap(splits.train.labels.firstIndex(of: 0))
        XCTAssertTrue(splits.train.image(particle).allSatisfy { abs(Int($0) - 200) <= 3 })
        let scratch = try XCTUnwrap(splits.train.labels.firstIndex(of: 1))
        XCTAssertTrue(splits.train.image(scratch).allSatisfy { $0 == 40 })
        // The split was written and the same seed gives the same split.
        let files = try FileManager.default.contentsOfDirectory(atPath: splitDirectory)
        XCTAssertEqual(files.count, 1)
        let again = try spec.load(height: 8, width: 8, channels: 1, seed: 3, splitDirectory: splitDirectory)
        XCTAssertEqual(again.splitHash, splits.splitHash)
        XCTAssertEqual(again.test.identifiers, splits.test.identifiers)
    }

    func testUserSplitFileIsHonoured() throws {
        try write("a/1.png", value: 1, jpeg: false)
        try write("a/2.png", value: 2, jpeg: false)
        try write("b/3.png", value: 3, jpeg: false)
        try "path,split\na/1.png,train\na/2.png,test\nb/3.png,train\n".write(
            to: root.appendingPathComponent("split.csv"), atomically: true, encoding: .utf8)
        let splits = try DataSpecification.folder(root: root.path).load(height: 4, width: 4, channels: 1, seed: 1)
        XCTAssertEqual(splits.train.identifiers, ["a/1.png", "b/3.png"])
        XCTAssertEqual(splits.test.identifiers, ["a/2.png"])
        XCTAssertEqual(splits.validation.count, 0)
    }

    func testEmptyClassAndBrokenFilesAreClearErrors() throws {
        try write("good/1.png", value: 1, jpeg: false)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("empty/nested"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder(root: root.path).scan()) { error in
            XCTAssertEqual(error as? DatasetError, .emptyClass(name: "empty", path: "\(root.path)/empty"))
            XCTAssertTrue("\(error)".contains("class 'empty' has no images"))
        }
        try FileManager.default.removeItem(at: root.appendingPathComponent("empty"))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("good/broken.png"))
        XCTAssertThrowsError(
            try DataSpecification.folder(root: root.path).load(
                height: 4, width: 4, channels: 1, seed: 1, splitDirectory: root.appendingPathComponent("s").path)
        ) { error in
            XCTAssertTrue("\(error)".contains("broken.png"), "\(error)")
        }
        XCTAssertThrowsError(try DataSpecification(parsing: "folder:")) { error in
            XCTAssertTrue("\(error)".contains("folder:PATH"))
        }
        XCTAssertThrowsError(try DataSpecification(parsing: "fmnist-lt:x"))
        XCTAssertEqual(try DataSpecification(parsing: "fmnist-lt:100"), .fashionMNISTLongTail(imbalance: 100))
        XCTAssertEqual(try DataSpecification(parsing: "elpv"), .elpv(root: DataSpecification.defaultELPVRoot))
    }
}
