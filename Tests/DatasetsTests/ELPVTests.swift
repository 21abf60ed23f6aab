import Foundation
import Imaging
import XCTest

@testable import Datasets

/// ELPV as `pipeline/data elpv` lays it out (images/ + labels.csv), in a small made-up copy.
final class ELPVTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("elpv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("images"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// 10 cells of each grade, the first 4 of each grade mono and the rest poly.
    private func writeCells(cellType: (Int) -> String = { $0 % 10 < 4 ? "mono" : "poly" }) throws {
        var csv = "path,defect_probability,cell_type,class\n"
        let grades = [("0.0", "p000"), ("0.3333333333333333", "p033"), ("0.6666666666666666", "p067"), ("1.0", "p100")]
        for index in 0..<40 {
            let (probability, grade) = grades[index / 10]
            let name = String(format: "images/cell%04d.png", index)
            let image = try Image(
                width: 12, height: 12, channels: 1, pixels: [UInt8](repeating: UInt8(index * 6), count: 144))
            try Data(try ImageEncoder.png(image)).write(to: root.appendingPathComponent(name))
            csv += "\(name),\(probability),\(cellType(index)),\(grade)\n"
        }
        try csv.write(to: root.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
    }

    func testGradesAndGradesByCellType() throws {
        try writeCells()
        let splits = root.appendingPathComponent("splits").path
        let grades = try DataSpecification(parsing: "elpv:\(root.path)")
        XCTAssertEqual(grades.description, "elpv:\(root.path)")
        let four = try grades.load(height: 8, width: 8, channels: 1, seed: 2, splitDirectory: splits)
        XCTAssertEqual(four.classNames, ["p000", "p033", "p067", "p100"])
        XCTAssertEqual(four.train.count + four.validation.count + four.test.count, 40)
        XCTAssertEqual(four.trainCounts, [7, 7, 7, 7])

        let cells = try DataSpecification(parsing: "elpv-cells:\(root.path)")
        XCTAssertEqual(cells, .elpv(root: root.path, byCellType: true))
        XCTAssertEqual(cells.description, "elpv-cells:\(root.path)")
        let eight = try cells.load(height: 8, width: 8, channels: 1, seed: 2, splitDirectory: splits)
        XCTAssertEqual(
            eight.classNames,
            ["p000_mono", "p000_poly", "p033_mono", "p033_poly", "p067_mono", "p067_poly", "p100_mono", "p100_poly"])
        XCTAssertEqual(eight.train.count + eight.validation.count + eight.test.count, 40)
        let cell = eight.classNames.firstIndex(of: "p067_mono")!
        let members = eight.train.labels.indices.filter { eight.train.labels[$0] == cell }
        XCTAssertFalse(members.isEmpty)
        // cell0020…cell0023 are the mono p067 cells.
        for index in members {
            XCTAssertTrue(["20", "21", "22", "23"].contains { eight.train.identifiers[index].hasSuffix("\($0).png") })
        }
        // The two label sets keep two split files, so neither overwrites the other's assignment.
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("split.csv").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("cells-split.csv").path))
        XCTAssertEqual(
            try DataSpecification(parsing: "elpv-cells"),
            .elpv(root: DataSpecification.defaultELPVRoot, byCellType: true))
    }

    func testUnknownCellTypeAndMissingLabelsAreClearErrors() throws {
        try writeCells(cellType: { $0 == 17 ? "thin-film" : "mono" })
        let splits = root.appendingPathComponent("splits").path
        XCTAssertThrowsError(
            try DataSpecification.elpv(root: root.path, byCellType: true).load(
                height: 8, width: 8, channels: 1, seed: 1, splitDirectory: splits)
        ) { error in
            XCTAssertTrue("\(error)".contains("line 19"), "\(error)")
            XCTAssertTrue("\(error)".contains("thin-film"), "\(error)")
        }
        // The grades alone do not read the cell type.
        XCTAssertNoThrow(
            try DataSpecification.elpv(root: root.path).load(
                height: 8, width: 8, channels: 1, seed: 1, splitDirectory: splits))
        try FileManager.default.removeItem(at: root.appendingPathComponent("labels.csv"))
        XCTAssertThrowsError(
            try DataSpecification.elpv(root: root.path).load(
                height: 8, width: 8, channels: 1, seed: 1, splitDirectory: splits)
        ) { error in
            XCTAssertTrue("\(error)".contains("pipeline/data elpv"), "\(error)")
        }
    }
}
