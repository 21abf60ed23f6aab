import Foundation
import XCTest

@testable import ReCAME

#if canImport(FoundationXML)
    import FoundationXML
#endif

final class HTMLReportTests: XCTestCase {
    func testReportIsWellFormedWithOneChartPerSection() throws {
        let metrics = ClassificationMetrics(
            classNames: ["scratch", "particle", "bridge <&>"], truth: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 2],
            trainCounts: [3000, 80, 7])
        let history = (1...3).map {
            TrainingRecord(
                epoch: $0, learningRate: 0.1, loss: ["total": 3.0 / Double($0)], validationAccuracy: 0.5,
                validationMacroRecall: 0.2 * Double($0), imagesPerSecond: 100, seconds: 10)
        }
        let html = HTMLReport(title: "Model v1 on test", metrics: metrics, history: history).render()
        // XHTML-compatible markup parses as XML once the doctype is dropped: proof that it is well formed.
        let xml = html.replacingOccurrences(of: "<!DOCTYPE html>", with: "")
            .replacingOccurrences(of: "<meta charset=\"utf-8\">", with: "<meta charset=\"utf-8\"/>")
            .replacingOccurrences(of: "class=l", with: "class=\"l\"")
        let document = try XMLDocument(xmlString: xml, options: [])
        let sections = try document.nodes(forXPath: "//section")
        XCTAssertEqual(sections.count, 5)
        let charts = try document.nodes(forXPath: "//section/*[local-name()='svg']")
        XCTAssertEqual(charts.count, 3, "confusion heat map, recall scatter, training curves")
        let cells = try document.nodes(forXPath: "//*[local-name()='rect']")
        XCTAssertEqual(cells.count, 9, "one cell per confusion entry")
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("http://") && html.contains("src="), "no external resources")
        XCTAssertTrue(html.contains("bridge &lt;&amp;&gt;"))
    }
}
