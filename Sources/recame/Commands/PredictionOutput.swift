import Foundation

/// Prints predictions as JSON lines (streamed batch by batch) or as a table at the end.
final class PredictionOutput {
    private let json: Bool
    private let classNames: [String]
    private var pending: [String] = []
    private var rows: [[String]] = []

    init(json: Bool, classNames: [String]) {
        self.json = json
        self.classNames = classNames
    }

    func add(file: String, prediction: FileClassifier.Prediction) {
        let name = classNames[prediction.classIndex]
        if json {
            let probabilities = prediction.probabilities.map { "\($0)" }.joined(separator: ",")
            pending.append(
                "{\"file\":\(Self.quoted(file)),\"class\":\(Self.quoted(name)),\"class_index\":\(prediction.classIndex),"
                    + "\"confidence\":\(prediction.confidence),\"probabilities\":[\(probabilities)]}")
        } else {
            rows.append([file, name, String(format: "%.4f", prediction.confidence)])
        }
    }

    /// Writes the JSON lines gathered so far (a batch at a time, so a long run shows progress).
    func flush() {
        guard !pending.isEmpty else { return }
        print(pending.joined(separator: "\n"))
        pending.removeAll(keepingCapacity: true)
    }

    func finish() {
        flush()
        if !json && !rows.isEmpty {
            print(TextTable(header: ["FILE", "CLASS", "CONFIDENCE"], rows: rows))
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
