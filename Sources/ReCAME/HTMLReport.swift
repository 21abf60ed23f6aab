import Foundation

/// A self-contained HTML evaluation report: tables plus inline SVG charts (confusion-matrix heat map,
/// per-class recall against training count on a log axis, training curves). No scripts, no external
/// resources, so it can be mailed or archived as one file.
public struct HTMLReport {
    public var title: String
    public var metrics: ClassificationMetrics
    public var history: [TrainingRecord]
    public var details: [(String, String)]

    public init(
        title: String, metrics: ClassificationMetrics, history: [TrainingRecord] = [], details: [(String, String)] = []
    ) {
        self.title = title
        self.metrics = metrics
        self.history = history
        self.details = details
    }

    public func render() -> String {
        var sections = [section("Summary", summaryTable())]
        sections.append(section("Confusion matrix", confusionHeatMap()))
        sections.append(section("Recall by class against training images", recallScatter()))
        sections.append(section("Per-class recall and precision", perClassTable()))
        if !history.isEmpty { sections.append(section("Training curves", trainingCurves())) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
            th{background:#f3f3f3}td.l,th.l{text-align:left}svg{background:#fff;border:1px solid #ddd}
            section{margin-bottom:2em}
            </style></head><body>
            <h1>\(escape(title))</h1>
            \(sections.joined(separator: "\n"))
            </body></html>

            """
    }

    private func section(_ heading: String, _ body: String) -> String {
        "<section><h2>\(escape(heading))</h2>\n\(body)\n</section>"
    }

    private func summaryTable() -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f %%", $0 * 100) } ?? "n/a" }
        var rows: [(String, String)] = [
            ("images", "\(metrics.total)"),
            ("accuracy", percent(metrics.accuracy)),
            ("macro-F1", percent(metrics.macroF1)),
            ("balanced accuracy", percent(metrics.balancedAccuracy)),
        ]
        for group in ClassificationMetrics.ShotGroup.allCases {
            rows.append(("\(group.rawValue) recall", percent(metrics.recall(of: group))))
        }
        rows += details
        return "<table>" + rows.map { "<tr><th class=l>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
            + "</table>"
    }

    private func perClassTable() -> String {
        let recall = metrics.recall
        let precision = metrics.precision
        let support = metrics.support
        var rows =
            "<tr><th class=l>class</th><th>train images</th><th>test images</th><th>recall</th><th>precision</th></tr>"
        for (index, name) in metrics.classNames.enumerated() {
            let train = metrics.trainCounts.map { String($0[index]) } ?? "n/a"
            let r = recall[index].map { String(format: "%.3f", $0) } ?? "n/a"
            let p = precision[index].map { String(format: "%.3f", $0) } ?? "n/a"
            rows +=
                "<tr><td class=l>\(escape(name))</td><td>\(train)</td><td>\(support[index])</td><td>\(r)</td><td>\(p)</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    /// Cells shaded by the row-normalised rate, so that rare classes are as visible as common ones.
    private func confusionHeatMap() -> String {
        let n = metrics.classNames.count
        let cell = max(18, min(48, 480 / max(n, 1)))
        let margin = 110
        let size = margin + n * cell + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(size)\" height=\"\(size)\" role=\"img\">"
        let support = metrics.support
        for row in 0..<n {
            for column in 0..<n {
                let count = metrics.confusion[row][column]
                let rate = support[row] == 0 ? 0 : Double(count) / Double(support[row])
                let shade = Int(255 - rate * 200)
                let x = margin + column * cell
                let y = margin + row * cell
                svg +=
                    "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#eee\"><title>\(escape(metrics.classNames[row])) → \(escape(metrics.classNames[column])): \(count)</title></rect>"
                if cell >= 24 {
                    svg +=
                        "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" font-size=\"10\" text-anchor=\"middle\">\(count)</text>"
                }
            }
            let label = escape(String(metrics.classNames[row].prefix(14)))
            svg +=
                "<text x=\"\(margin - 4)\" y=\"\(margin + row * cell + cell / 2 + 4)\" font-size=\"11\" text-anchor=\"end\">\(label)</text>"
            svg +=
                "<text transform=\"translate(\(margin + row * cell + cell / 2),\(margin - 4)) rotate(-60)\" font-size=\"11\">\(label)</text>"
        }
        svg += "<text x=\"4\" y=\"14\" font-size=\"11\">rows: true class, columns: predicted</text></svg>"
        return svg
    }

    private func recallScatter() -> String {
        guard let counts = metrics.trainCounts else { return "<p>No training counts in this model.</p>" }
        let recall = metrics.recall
        let points = metrics.classNames.indices.compactMap { index -> (Double, Double, String)? in
            guard let r = recall[index], counts[index] > 0 else { return nil }
            return (log10(Double(counts[index])), r, metrics.classNames[index])
        }
        let low = floor(points.map(\.0).min() ?? 0)
        let high = max(low + 1, ceil(points.map(\.0).max() ?? 1))
        let plot = Plot(width: 560, height: 320, xRange: low...high, yRange: 0...1)
        var svg = plot.open(xLabel: "training images (log scale)", yLabel: "recall")
        var decade = low
        while decade <= high {
            svg += plot.xTick(decade, label: String(format: "%.0f", pow(10, decade)))
            decade += 1
        }
        for value in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += plot.yTick(value, label: String(format: "%.2f", value))
        }
        for (x, y, name) in points {
            let (px, py) = plot.point(x, y)
            svg += "<circle cx=\"\(px)\" cy=\"\(py)\" r=\"4\" fill=\"#c33\"><title>\(escape(name))</title></circle>"
            svg += "<text x=\"\(px + 6)\" y=\"\(py - 4)\" font-size=\"10\">\(escape(String(name.prefix(12))))</text>"
        }
        return svg + "</svg>"
    }

    private func trainingCurves() -> String {
        let epochs = history.map { Double($0.epoch) }
        let losses = history.map { $0.loss["total"] ?? 0 }
        let maxLoss = max(losses.max() ?? 1, 1e-6)
        let plot = Plot(
            width: 560, height: 320, xRange: (epochs.min() ?? 0)...max((epochs.max() ?? 1), (epochs.min() ?? 0) + 1),
            yRange: 0...1)
        var svg = plot.open(xLabel: "epoch", yLabel: "loss / max (blue), validation macro-recall (red)")
        for record in history { svg += plot.xTick(Double(record.epoch), label: "\(record.epoch)") }
        for value in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += plot.yTick(value, label: String(format: "%.2f", value))
        }
        svg += plot.polyline(zip(epochs, losses.map { $0 / maxLoss }), color: "#36c")
        svg += plot.polyline(zip(epochs, history.map(\.validationMacroRecall)), color: "#c33")
        return svg + "</svg>"
    }
}

/// Linear axes mapping data to SVG pixels, shared by the report's charts.
private struct Plot {
    let width: Int
    let height: Int
    let xRange: ClosedRange<Double>
    let yRange: ClosedRange<Double>
    let margin = 50

    func point(_ x: Double, _ y: Double) -> (Int, Int) {
        let fx = (x - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-12)
        let fy = (y - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-12)
        return (margin + Int(fx * Double(width - 2 * margin)), height - margin - Int(fy * Double(height - 2 * margin)))
    }

    func open(xLabel: String, yLabel: String) -> String {
        let (x0, y0) = point(xRange.lowerBound, yRange.lowerBound)
        let (x1, y1) = point(xRange.upperBound, yRange.upperBound)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
            + "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x1)\" y2=\"\(y0)\" stroke=\"#333\"/>"
            + "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0)\" y2=\"\(y1)\" stroke=\"#333\"/>"
            + "<text x=\"\(width / 2)\" y=\"\(height - 8)\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>"
            + "<text x=\"8\" y=\"14\" font-size=\"11\">\(escape(yLabel))</text>"
    }

    func xTick(_ value: Double, label: String) -> String {
        let (x, y) = point(value, yRange.lowerBound)
        return "<line x1=\"\(x)\" y1=\"\(y)\" x2=\"\(x)\" y2=\"\(y + 4)\" stroke=\"#333\"/>"
            + "<text x=\"\(x)\" y=\"\(y + 16)\" font-size=\"10\" text-anchor=\"middle\">\(escape(label))</text>"
    }

    func yTick(_ value: Double, label: String) -> String {
        let (x, y) = point(xRange.lowerBound, value)
        return "<line x1=\"\(x - 4)\" y1=\"\(y)\" x2=\"\(x)\" y2=\"\(y)\" stroke=\"#333\"/>"
            + "<text x=\"\(x - 6)\" y=\"\(y + 4)\" font-size=\"10\" text-anchor=\"end\">\(escape(label))</text>"
    }

    func polyline<S: Sequence>(_ values: S, color: String) -> String where S.Element == (Double, Double) {
        let points = values.map { point($0.0, $0.1) }.map { "\($0.0),\($0.1)" }.joined(separator: " ")
        return "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>"
    }
}

private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
